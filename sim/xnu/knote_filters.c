// SPDX-License-Identifier: MIT
/* knote_filters.c — the simulated kqueue's filters: descriptors, kqueues, processes, signals, user */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kq.h"

/*
 * Each filter as XNU's filterops (bsd/kern/kern_event.c, bsd/kern/kern_sig.c,
 * xnu-11417.101.15): f_attach when it is added, f_touch when it is added again, f_event
 * when its source changes (here knote_post(), from the kqueue's thread), f_process when a
 * scan reaches it, which decides whether it is still worth reporting.
 */

/* ---- descriptors: filt_soread()/filt_sowrite(), filt_piperead()... as poll() sees them ---- */

static short fd_ready(int fd, int16_t filter)
{
	struct pollfd p = {.fd = fd, .events = filter == EVFILT_READ ? POLLIN | POLLRDHUP : POLLOUT};

	if (poll(&p, 1, 0) <= 0 || (p.revents & POLLNVAL))
		return 0;
	return p.revents;
}

static bool readable(short revents)
{
	return revents & (POLLIN | POLLHUP | POLLERR | POLLRDHUP);
}

static bool writable(short revents)
{
	return revents & (POLLOUT | POLLHUP | POLLERR);
}

/* The descriptor's WATCH_FD, made if it has none that lives. */
static struct watch *fd_watch(struct kq *kq, int fd)
{
	for (struct watch *w = kq->watches; w; w = w->next)
		if (w->kind == WATCH_FD && w->fd == fd && !w->dead)
			return w;
	return kq_watch_add(kq, WATCH_FD, fd, 0);
}

static int attach_fd(struct knote *kn)
{
	struct kq *kq = kn->kq, *inner = kq_find((int)kn->ident);
	struct watch *w;

	if (fcntl((int)kn->ident, F_GETFD) < 0)
		return EBADF;
	if (inner) {
		/* kqueue_kqfilter(): a kqueue is only ever read, and never from itself */
		if (kn->filter != EVFILT_READ || inner == kq)
			return EINVAL;
		w = kq_watch_add(kq, WATCH_NESTED, inner->fd, EPOLLIN);
		if (!w)
			return errno ? errno : ENOMEM;
		w->inner = inner;
		w->rd = kn;
		kn->watch = w;
		/* kqueue_kqfilter() returns whether the inner kqueue holds knotes (kq_count) */
		kq_harvest(inner);
		kn->active = inner->count > 0;
		return 0;
	}
	w = fd_watch(kq, (int)kn->ident);
	if (!w)
		return errno ? errno : ENOMEM;
	if (kn->filter == EVFILT_READ)
		w->rd = kn;
	else
		w->wr = kn;
	kn->watch = w;
	kq_watch_update(kq, w);
	kn->active = kn->filter == EVFILT_READ ? readable(fd_ready(w->fd, EVFILT_READ))
					       : writable(fd_ready(w->fd, EVFILT_WRITE));
	return 0;
}

static bool process_fd(struct knote *kn, struct kevent *ev)
{
	struct watch *w = kn->watch;
	short revents;
	int avail = 0;

	if (w->kind == WATCH_NESTED) {
		/* filt_kqprocess(): reported while the inner kqueue counts knotes, with that count */
		kq_harvest(w->inner);
		if (w->inner->count == 0)
			return false;
		ev->data = w->inner->count;
		return true;
	}
	revents = fd_ready(w->fd, kn->filter);
	if (kn->filter == EVFILT_READ ? !readable(revents) : !writable(revents))
		return false;
	if (kn->filter == EVFILT_READ && ioctl(w->fd, FIONREAD, &avail) == 0)
		ev->data = avail;
	if (revents & (POLLHUP | POLLRDHUP)) {
		int soerr = 0;
		socklen_t len = sizeof(soerr);

		/* filt_soread(): at the end of the stream, EV_EOF and the socket's error */
		ev->flags |= EV_EOF;
		if (getsockopt(w->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0)
			ev->fflags = (uint32_t)soerr;
	}
	return true;
}

/* ---- processes: filt_procattach(), filt_proc() -------------------------------------------- */

/* Linux shows the exited process as a zombie ('Z' in /proc/PID/stat) until it is reaped. */
static bool is_zombie(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	__real_close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] == 'Z';
}

static int attach_proc(struct knote *kn)
{
	pid_t pid = (pid_t)kn->ident;
	int pidfd;
	struct watch *w;

	if (kn->sfflags & ~NOTE_EXIT)
		return ENOTSUP; /* the simulation knows NOTE_EXIT only */
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return errno == EINVAL ? ESRCH : errno;
	/*
	 * filt_procattach(): proc_find() fails from proc_prepareexit() on (P_REF_DEAD, set
	 * before the process is a zombie, kern_exit.c), so a process that has exited is
	 * refused with ESRCH — and it may not be a zombie yet.
	 */
	if (is_zombie(pid)) {
		__real_close(pidfd);
		proc_exit_window_open(pid);
		return ESRCH;
	}
	w = kq_watch_add(kn->kq, WATCH_PROC, pidfd, EPOLLIN);
	if (!w) {
		__real_close(pidfd);
		return ENOMEM;
	}
	w->rd = kn;
	kn->watch = w;
	return 0;
}

static bool process_proc(struct knote *kn, struct kevent *ev)
{
	if (!kn->hook)
		return false;
	/*
	 * filt_proc(): NOTE_EXIT comes with EV_EOF | EV_ONESHOT — it is reported once. And
	 * proc_exit() posts it (proc_knote(), kern_exit.c) before the process is marked
	 * SZOMB: a wait for it right now may find no zombie yet.
	 */
	ev->fflags = NOTE_EXIT;
	ev->flags |= EV_EOF | EV_ONESHOT;
	proc_exit_window_open((pid_t)kn->ident);
	return true;
}

/* ---- signals: filt_sigattach(), filt_signal(), filt_signalprocess() (kern_sig.c) ---------- */

static int update_signalfd(struct kq *kq)
{
	int fd = signalfd(kq->sigfd, &kq->sigs, SFD_NONBLOCK | SFD_CLOEXEC);

	if (fd < 0)
		return errno;
	if (kq->sigfd < 0) {
		struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};

		kq->sigfd = fd;
		/* read by the thread that calls kevent(): it waits on it too (kq.h) */
		if (epoll_ctl(kq->wep, EPOLL_CTL_ADD, fd, &ev) < 0)
			return errno;
	}
	return 0;
}

static int attach_signal(struct knote *kn)
{
	struct kq *kq = kn->kq;
	int sig = (int)kn->ident;
	sigset_t one;

	if (sig <= 0 || sig >= NSIG)
		return EINVAL;
	kn->flags |= EV_CLEAR; /* filt_sigattach(): "automatically set" */
	/*
	 * XNU counts a signal on the knote even while its action is SIG_IGN. Linux drops an
	 * ignored signal unless it is blocked, so the simulation blocks it in the calling
	 * thread (the loop's; threads made later inherit the mask) and reads it from a
	 * signalfd: what the loop sees is the same.
	 */
	sigemptyset(&one);
	sigaddset(&one, sig);
	pthread_sigmask(SIG_BLOCK, &one, NULL);
	sigaddset(&kq->sigs, sig);
	return update_signalfd(kq);
}

static void detach_signal(struct knote *kn)
{
	struct kq *kq = kn->kq;
	int sig = (int)kn->ident;
	sigset_t one;

	for (struct knote *o = kq->knotes; o; o = o->next)
		if (o != kn && o->filter == EVFILT_SIGNAL && o->ident == kn->ident)
			return;
	sigdelset(&kq->sigs, sig);
	update_signalfd(kq);
	sigemptyset(&one);
	sigaddset(&one, sig);
	pthread_sigmask(SIG_UNBLOCK, &one, NULL);
}

void knote_post_signals(struct kq *kq)
{
	struct signalfd_siginfo si;

	while (read(kq->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		for (struct knote *kn = kq->knotes; kn; kn = kn->next) {
			if (kn->filter == EVFILT_SIGNAL && kn->ident == si.ssi_signo) {
				kn->hook++; /* filt_signal(): one more delivery */
				kq_activate(kn);
			}
		}
	}
}

/* ---- user events: filt_userattach(), filt_usertouch(), filt_userprocess() ---------------- */

static void touch_user(struct knote *kn, const struct kevent *kev)
{
	uint32_t fflags = kev->fflags & NOTE_FFLAGSMASK;

	switch (kev->fflags & NOTE_FFCTRLMASK) {
	case NOTE_FFAND:
		kn->sfflags &= fflags;
		break;
	case NOTE_FFOR:
		kn->sfflags |= fflags;
		break;
	case NOTE_FFCOPY:
		kn->sfflags = fflags;
		break;
	default: /* NOTE_FFNOP */
		break;
	}
	kn->sdata = kev->data;
	if (kev->fflags & NOTE_TRIGGER) {
		kn->hook = 1;
		kq_activate(kn);
	}
}

static bool process_user(struct knote *kn, struct kevent *ev)
{
	if (!kn->hook)
		return false;
	ev->data = kn->sdata;
	ev->fflags = kn->sfflags;
	if (kn->flags & EV_CLEAR)
		kn->hook = 0; /* without EV_CLEAR a trigger stays: reported on every scan */
	return true;
}

/* ---- the filterops ------------------------------------------------------------------------- */

int knote_attach(struct knote *kn)
{
	switch (kn->filter) {
	case EVFILT_READ:
	case EVFILT_WRITE:
		return attach_fd(kn);
	case EVFILT_PROC:
		return attach_proc(kn);
	case EVFILT_SIGNAL:
		return attach_signal(kn);
	case EVFILT_USER:
		kn->hook = (kn->sfflags & NOTE_TRIGGER) != 0;
		kn->sfflags &= NOTE_FFLAGSMASK;
		kn->active = kn->hook;
		return 0;
	default:
		return EINVAL;
	}
}

void knote_touch(struct knote *kn, const struct kevent *kev)
{
	struct watch *w = kn->watch;

	switch (kn->filter) {
	case EVFILT_READ:
	case EVFILT_WRITE:
		/* filt_sortouch(), filt_kqtouch(): active again if the source is ready now */
		if (w->kind == WATCH_NESTED ? (kq_harvest(w->inner), w->inner->count > 0)
		    : kn->filter == EVFILT_READ ? readable(fd_ready(w->fd, EVFILT_READ))
						: writable(fd_ready(w->fd, EVFILT_WRITE)))
			kq_activate(kn);
		break;
	case EVFILT_USER:
		touch_user(kn, kev);
		break;
	default: /* a signal or an exit that fired is still pending: it stays queued */
		if (kn->hook)
			kq_activate(kn);
		break;
	}
}

void knote_detach(struct knote *kn)
{
	struct watch *w = kn->watch;

	if (kn->filter == EVFILT_SIGNAL) {
		detach_signal(kn);
		return;
	}
	if (!w)
		return;
	if (w->rd == kn)
		w->rd = NULL;
	if (w->wr == kn)
		w->wr = NULL;
	if (w->kind == WATCH_FD) {
		kq_watch_update(kn->kq, w);
		return;
	}
	epoll_ctl(kn->kq->ep, EPOLL_CTL_DEL, w->fd, NULL);
	if (w->kind == WATCH_PROC)
		__real_close(w->fd);
	w->dead = true;
}

bool knote_process(struct knote *kn, struct kevent *ev)
{
	bool fired;

	*ev = (struct kevent){.ident = kn->ident, .filter = kn->filter,
			      .flags = EV_ADD | (kn->flags & (EV_ONESHOT | EV_CLEAR | EV_DISPATCH)),
			      .udata = kn->udata};
	switch (kn->filter) {
	case EVFILT_READ:
	case EVFILT_WRITE:
		return process_fd(kn, ev);
	case EVFILT_PROC:
		return process_proc(kn, ev);
	case EVFILT_SIGNAL:
		fired = kn->hook != 0;
		ev->data = kn->hook;
		kn->hook = 0; /* EV_CLEAR: counted anew from here */
		return fired;
	case EVFILT_USER:
		return process_user(kn, ev);
	default:
		return false;
	}
}

void knote_post(struct kq *kq, struct watch *w, uint32_t events)
{
	(void)kq;
	if (w->dead)
		return;
	switch (w->kind) {
	case WATCH_FD:
		if (w->rd && (events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP)))
			kq_activate(w->rd);
		if (w->wr && (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)))
			kq_activate(w->wr);
		break;
	case WATCH_NESTED:
		/* filt_kqueue(): the inner queue went from empty to not (kqfile_wakeup()) */
		if (w->rd) {
			kq_harvest(w->inner);
			if (w->inner->count > 0)
				kq_activate(w->rd);
		}
		break;
	case WATCH_PROC:
		if (w->rd) {
			w->rd->hook = 1;
			kq_activate(w->rd);
		}
		break;
	}
}
