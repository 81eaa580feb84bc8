/* SPDX-License-Identifier: MIT */
/* peer_watch_os.h — what each OS gives the peer watch: is the VM's end of a socketpair open? */
#ifndef SVM_OS_PEER_WATCH_OS_H
#define SVM_OS_PEER_WATCH_OS_H

/*
 * The peer watch (os/peer_watch.h) is one piece of code for every OS (peer_watch_common.c):
 * it watches the process that created the socketpair and, when that exits, asks the OS
 * whether the VM's end is still open. Only the asking is the OS's (os/<os>/peer_watch.c).
 */
enum peer_state { PEER_ALIVE, PEER_GONE, PEER_UNKNOWN };

/* What an OS keeps to ask about one socket's peer (Linux: a sock_diag socket); may be none. */
struct peer_probe;

/**
 * peer_probe_open() - get ready to ask about the peer of @vm_fd, while we still may
 * @vm_fd: our end of the socketpair
 *
 * Called once, before privileges are dropped.
 * Return: the probe, or NULL (nothing to keep, or it cannot be had: then
 * peer_probe_state() answers what it can, perhaps PEER_UNKNOWN).
 */
struct peer_probe *peer_probe_open(int vm_fd);

/**
 * peer_probe_state() - is the other end of our connected AF_UNIX socket @vm_fd still open?
 * @p: peer_probe_open()'s answer, NULL included
 * @vm_fd: our end
 *
 * Return: PEER_ALIVE, PEER_GONE, or PEER_UNKNOWN when the OS cannot tell.
 */
enum peer_state peer_probe_state(struct peer_probe *p, int vm_fd);

/** peer_probe_close() - let go of what peer_probe_open() kept (NULL: nothing) */
void peer_probe_close(struct peer_probe *p);

#endif
