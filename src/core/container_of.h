/* SPDX-License-Identifier: MIT */
/* container_of.h — from a pointer to a member back to the struct that embeds it */
#ifndef SVM_CORE_CONTAINER_OF_H
#define SVM_CORE_CONTAINER_OF_H

#include <stddef.h>

#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

#endif
