/* SPDX-License-Identifier: MIT */
/* un.h — the simulation's <sys/un.h>: Linux's, and XNU's LOCAL_PEERPID (sim/xnu/local_peerpid.c) */
#ifndef SVM_SIM_XNU_SYS_UN_H
#define SVM_SIM_XNU_SYS_UN_H

#include_next <sys/un.h>

/*
 * XNU's <sys/un.h> names the option LOCAL_PEERPID at level SOL_LOCAL (values 0 and 2
 * there). Linux's level 0 is SOL_IP, so the simulation gives the pair values of its own,
 * which its getsockopt() tells apart from every real option.
 */
#define SOL_LOCAL 0x584e55
#define LOCAL_PEERPID 0x002

#endif
