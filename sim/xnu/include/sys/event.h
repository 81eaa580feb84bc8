/* SPDX-License-Identifier: MIT */
/* event.h — the simulation's <sys/event.h>: kqueue(2) and kevent(2) as XNU documents them, on Linux */
#ifndef SVM_SIM_XNU_SYS_EVENT_H
#define SVM_SIM_XNU_SYS_EVENT_H

/*
 * What src/os/darwin uses of kqueue, with the names, types and values of XNU's
 * bsd/sys/event.h (xnu-11417.101.15) and the kqueue(2) manual; implemented by sim/xnu over
 * epoll, eventfd, signalfd and pidfd (kqueue.c). Only for the darwin-loop simulation
 * build (-Dsim_os=darwin): never part of what ships.
 */
#include <stdint.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

struct kevent {
	uintptr_t ident; /* a descriptor, a signal number, a pid, or the caller's own (EVFILT_USER) */
	int16_t filter;
	uint16_t flags;
	uint32_t fflags;
	intptr_t data;
	void *udata;
};

#define EV_SET(kevp, a, b, c, d, e, f)                                                       \
	do {                                                                                \
		struct kevent *ev_set_ = (kevp);                                            \
		ev_set_->ident = (a);                                                       \
		ev_set_->filter = (b);                                                      \
		ev_set_->flags = (c);                                                       \
		ev_set_->fflags = (d);                                                      \
		ev_set_->data = (e);                                                        \
		ev_set_->udata = (f);                                                       \
	} while (0)

/* filters */
#define EVFILT_READ (-1)
#define EVFILT_WRITE (-2)
#define EVFILT_PROC (-5)
#define EVFILT_SIGNAL (-6)
#define EVFILT_USER (-10)

/* flags, in and out */
#define EV_ADD 0x0001
#define EV_DELETE 0x0002
#define EV_ENABLE 0x0004
#define EV_DISABLE 0x0008
#define EV_ONESHOT 0x0010
#define EV_CLEAR 0x0020
#define EV_RECEIPT 0x0040
#define EV_DISPATCH 0x0080
#define EV_ERROR 0x4000
#define EV_EOF 0x8000

/* EVFILT_USER's fflags */
#define NOTE_TRIGGER 0x01000000
#define NOTE_FFNOP 0x00000000
#define NOTE_FFAND 0x40000000
#define NOTE_FFOR 0x80000000
#define NOTE_FFCOPY 0xc0000000
#define NOTE_FFCTRLMASK 0xc0000000
#define NOTE_FFLAGSMASK 0x00ffffff

/* EVFILT_PROC's fflags */
#define NOTE_EXIT 0x80000000

int kqueue(void);
int kevent(int kq, const struct kevent *changelist, int nchanges, struct kevent *eventlist,
	   int nevents, const struct timespec *timeout);

#ifdef __cplusplus
}
#endif

#endif
