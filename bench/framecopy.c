// SPDX-License-Identifier: MIT
/* framecopy.c — TAP setup and the two frame-copy threads shared by the benchmark pump and null relay */
#include "framecopy.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <net/if_arp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

/**
 * struct fc_batch - buffers for one direction's batched I/O.
 * @msgs: one header per frame, for recvmmsg()/sendmmsg().
 * @iov: one I/O vector per frame.
 * @buf: @n frames of frame_max bytes each.
 * @n: number of frames.
 */
struct fc_batch {
	struct mmsghdr *msgs;
	struct iovec *iov;
	uint8_t *buf;
	unsigned int n;
};

/**
 * fc_fatal() - Report an unrecoverable copy error and tell the main thread (SIGUSR1).
 * @what: what failed; errno says why.
 */
static void fc_fatal(const char *what)
{
	fprintf(stderr, "framecopy: %s: %s\n", what, strerror(errno));
	kill(getpid(), SIGUSR1);
}

/**
 * batch_alloc() - Allocate @n frame buffers of @frame_max bytes with their headers.
 * @b: the batch to fill.
 * @n: number of frames.
 * @frame_max: bytes per frame.
 *
 * Return: 0, or -1 when out of memory.
 */
static int batch_alloc(struct fc_batch *b, unsigned int n, size_t frame_max)
{
	size_t slot = FC_VNET_HDR_LEN + frame_max; /* room for a header before every frame */

	b->n = n;
	b->msgs = calloc(n, sizeof(*b->msgs));
	b->iov = calloc(n, sizeof(*b->iov));
	b->buf = malloc((size_t)n * slot);
	if (!b->msgs || !b->iov || !b->buf)
		return -1;
	for (unsigned int i = 0; i < n; i++) {
		b->iov[i].iov_base = b->buf + (size_t)i * slot;
		b->iov[i].iov_len = frame_max;
		b->msgs[i].msg_hdr.msg_iov = &b->iov[i];
		b->msgs[i].msg_hdr.msg_iovlen = 1;
	}
	return 0;
}

/**
 * peer_gone() - Whether a send error means the other end of the socketpair is gone.
 * @err: the errno of the failed send.
 *
 * Return: true for the errors a closed or dead peer gives.
 */
static bool peer_gone(int err)
{
	return err == ECONNREFUSED || err == ECONNRESET || err == EPIPE || err == ENOTCONN;
}

/**
 * flush_to_sock() - Send frames [0, @n) of @b, one datagram each, blocking while the socket is full.
 * @p: the pair.
 * @b: the batch; iov_len of each frame holds its length.
 * @n: frames to send.
 *
 * Return: 0, or -1 when the peer is gone or the socket failed.
 */
static int flush_to_sock(struct fc_pair *p, struct fc_batch *b, unsigned int n)
{
	unsigned int done = 0;

	while (done < n) {
		int r = sendmmsg(p->sock_fd, b->msgs + done, n - done, 0);

		p->to_sock.calls++;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (peer_gone(errno))
				return -1;
			/* EMSGSIZE and the like condemn only the first frame: drop it, go on */
			p->to_sock.dropped++;
			done++;
			continue;
		}
		for (int i = 0; i < r; i++)
			p->to_sock.bytes += b->iov[done + (unsigned int)i].iov_len;
		p->to_sock.frames += (uint64_t)r;
		done += (unsigned int)r;
	}
	return 0;
}

/**
 * tap_read_burst() - Read frames from the TAP without blocking into @b, up to a batch.
 * @p: the pair.
 * @b: the batch; each frame's iov says where it is and how long.
 *
 * Return: frames read (0: the TAP is empty), or -1 after a fatal error.
 */
static int tap_read_burst(struct fc_pair *p, struct fc_batch *b)
{
	/* a TAP with a header: read with it; krunkit's socket carries the frame alone */
	size_t hdr = p->offload ? FC_VNET_HDR_LEN : 0;
	size_t skip = p->offload == FC_OFFLOAD_KRUNKIT ? FC_VNET_HDR_LEN : 0;
	unsigned int n = 0;

	while (n < b->n) {
		uint8_t *slot = b->buf + (size_t)n * (FC_VNET_HDR_LEN + p->frame_max);
		ssize_t r = read(p->tap_fd, slot, p->frame_max + hdr);

		if (r >= (ssize_t)hdr && r > 0) {
			b->iov[n].iov_base = slot + skip;
			b->iov[n].iov_len = (size_t)r - skip;
			n++;
		} else if (r < 0 && errno == EINTR) {
			continue;
		} else if (r < 0 && errno != EAGAIN) {
			fc_fatal("read from TAP");
			return -1;
		} else {
			break;
		}
	}
	return (int)n;
}

/**
 * tap_to_sock() - Thread: TAP -> socket. Reads a burst of frames without blocking, sends it
 * with one sendmmsg(), sleeps in poll() when the TAP is empty.
 * @arg: the &struct fc_pair.
 *
 * Return: NULL, only after a fatal error.
 */
static void *tap_to_sock(void *arg)
{
	struct fc_pair *p = arg;
	struct fc_batch b;

	if (batch_alloc(&b, p->batch, p->frame_max) < 0) {
		errno = ENOMEM;
		fc_fatal("tap->sock buffers");
		return NULL;
	}
	for (;;) {
		int n = tap_read_burst(p, &b);

		if (n < 0)
			return NULL;
		if (n > 0) {
			if (flush_to_sock(p, &b, (unsigned int)n) < 0) {
				fc_fatal("send to socket");
				return NULL;
			}
			continue;
		}
		/* nothing queued: sleep until the TAP has a frame */
		struct pollfd pfd = {.fd = p->tap_fd, .events = POLLIN};

		if (poll(&pfd, 1, -1) < 0 && errno != EINTR) {
			fc_fatal("poll on TAP");
			return NULL;
		}
		if (pfd.revents & (POLLERR | POLLHUP | POLLNVAL)) {
			errno = EIO;
			fc_fatal("TAP");
			return NULL;
		}
	}
}

/**
 * sock_batch_alloc() - The socket -> TAP direction's buffers: krunkit's frames get an
 * all-zero header before them (a header on the socket is the TAP's own).
 * @p: the pair.
 * @b: the batch to fill.
 *
 * Return: 0, or -1 after a fatal error.
 */
static int sock_batch_alloc(struct fc_pair *p, struct fc_batch *b)
{
	size_t skip = p->offload == FC_OFFLOAD_KRUNKIT ? FC_VNET_HDR_LEN : 0;

	if (batch_alloc(b, p->batch, p->frame_max + (p->offload ? FC_VNET_HDR_LEN : 0)) < 0) {
		errno = ENOMEM;
		fc_fatal("sock->tap buffers");
		return -1;
	}
	for (unsigned int i = 0; i < b->n; i++) {
		memset(b->iov[i].iov_base, 0, skip);
		b->iov[i].iov_base = (uint8_t *)b->iov[i].iov_base + skip;
	}
	return 0;
}

/**
 * sock_burst_to_tap() - Receive up to a batch of datagrams with one recvmmsg() and write
 * each to the TAP.
 * @p: the pair.
 * @b: buffers from sock_batch_alloc().
 * @flags: MSG_WAITFORONE (block for the first) or MSG_DONTWAIT.
 *
 * Return: frames received (0: none waited, with MSG_DONTWAIT), or -1 after a fatal error.
 */
static int sock_burst_to_tap(struct fc_pair *p, struct fc_batch *b, int flags)
{
	size_t skip = p->offload == FC_OFFLOAD_KRUNKIT ? FC_VNET_HDR_LEN : 0;
	int n = recvmmsg(p->sock_fd, b->msgs, b->n, flags, NULL);

	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return 0;
		fc_fatal("receive from socket");
		return -1;
	}
	p->to_tap.calls++;
	for (int i = 0; i < n; i++) {
		const struct mmsghdr *m = &b->msgs[i];

		if (p->tap_fd < 0 || (m->msg_hdr.msg_flags & MSG_TRUNC) || m->msg_len == 0) {
			p->to_tap.dropped++;
			continue;
		}
		if (write(p->tap_fd, (uint8_t *)b->iov[i].iov_base - skip, m->msg_len + skip) < 0) {
			if (errno == EBADFD || errno == EBADF) {
				fc_fatal("write to TAP");
				return -1;
			}
			/* EINVAL (malformed), EIO (down), EAGAIN: the frame is lost, like on a wire */
			p->to_tap.dropped++;
			continue;
		}
		p->to_tap.frames++;
		p->to_tap.bytes += m->msg_len;
	}
	return n;
}

/**
 * sock_to_tap() - Thread: socket -> TAP. Receives up to a batch of datagrams with one
 * blocking recvmmsg(), writes each to the TAP (or drops it in sink mode).
 * @arg: the &struct fc_pair.
 *
 * Return: NULL, only after a fatal error.
 */
static void *sock_to_tap(void *arg)
{
	struct fc_pair *p = arg;
	struct fc_batch b;

	if (sock_batch_alloc(p, &b) < 0)
		return NULL;
	while (sock_burst_to_tap(p, &b, MSG_WAITFORONE) >= 0) {
	}
	return NULL;
}

/**
 * one_thread() - Thread: both directions in one loop, as a single-threaded forwarder (like
 * sock-vmnet's relay) does them: a burst each way without blocking, poll() on both when
 * neither had anything. (null-relay --one-thread: what a thread per direction is worth.)
 * @arg: the &struct fc_pair.
 *
 * Return: NULL, only after a fatal error.
 */
static void *one_thread(void *arg)
{
	struct fc_pair *p = arg;
	struct fc_batch in, out;

	if (sock_batch_alloc(p, &in) < 0 || batch_alloc(&out, p->batch, p->frame_max) < 0) {
		errno = ENOMEM;
		fc_fatal("buffers");
		return NULL;
	}
	for (;;) {
		int got_in = sock_burst_to_tap(p, &in, MSG_DONTWAIT);
		int got_out = got_in < 0 ? -1 : tap_read_burst(p, &out);
		struct pollfd pfd[2] = {{.fd = p->sock_fd, .events = POLLIN},
					{.fd = p->tap_fd, .events = POLLIN}};

		if (got_out < 0)
			return NULL;
		if (got_out > 0 && flush_to_sock(p, &out, (unsigned int)got_out) < 0) {
			fc_fatal("send to socket");
			return NULL;
		}
		if (got_in > 0 || got_out > 0)
			continue;
		if (poll(pfd, 2, -1) < 0 && errno != EINTR) {
			fc_fatal("poll");
			return NULL;
		}
		if ((pfd[0].revents | pfd[1].revents) & (POLLERR | POLLNVAL)) {
			errno = EIO;
			fc_fatal("poll");
			return NULL;
		}
	}
}

/**
 * netns_path() - The path of a network namespace given as a name under /run/netns or a path.
 * @netns: the name or path.
 * @out: receives the path.
 * @len: size of @out.
 */
static void netns_path(const char *netns, char *out, size_t len)
{
	if (strchr(netns, '/'))
		snprintf(out, len, "%s", netns);
	else
		snprintf(out, len, "/run/netns/%s", netns);
}

/**
 * tap_create() - Create and configure the TAP in the calling thread's network namespace.
 * @cfg: what to create.
 * @ifname: receives the name the kernel gave it.
 *
 * Return: the non-blocking TAP descriptor, or -1 with a message on stderr.
 */
static int tap_create(const struct fc_tap_config *cfg, char ifname[IF_NAMESIZE])
{
	struct ifreq ifr;
	int fd, ctl = -1;

	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		perror("framecopy: /dev/net/tun");
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (cfg->offload ? IFF_VNET_HDR : 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", cfg->name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		fprintf(stderr, "framecopy: TUNSETIFF %s: %s\n", cfg->name, strerror(errno));
		goto fail;
	}
	snprintf(ifname, IF_NAMESIZE, "%s", ifr.ifr_name);
	if (cfg->offload) {
		int hdr = FC_VNET_HDR_LEN, le = 1;

		/* TUNSETVNETLE: the header little-endian, as VERSION_1 says (x86 and arm64 are) */
		if (ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0 ||
		    (ioctl(fd, TUNSETVNETLE, &le) < 0 && errno != EINVAL) ||
		    ioctl(fd, TUNSETOFFLOAD, (unsigned long)(TUN_F_CSUM | TUN_F_TSO4)) < 0) {
			fprintf(stderr, "framecopy: offloads on %s: %s\n", ifname, strerror(errno));
			goto fail;
		}
	}

	ctl = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (ctl < 0) {
		perror("framecopy: control socket");
		goto fail;
	}
	if (cfg->mtu > 0) {
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
		ifr.ifr_mtu = cfg->mtu;
		if (ioctl(ctl, SIOCSIFMTU, &ifr) < 0) {
			fprintf(stderr, "framecopy: MTU %d on %s: %s\n", cfg->mtu, ifname, strerror(errno));
			goto fail;
		}
	}
	if (cfg->set_mac) {
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
		ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
		memcpy(ifr.ifr_hwaddr.sa_data, cfg->mac, 6);
		if (ioctl(ctl, SIOCSIFHWADDR, &ifr) < 0) {
			fprintf(stderr, "framecopy: MAC on %s: %s\n", ifname, strerror(errno));
			goto fail;
		}
	}
	if (cfg->bridge) {
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", cfg->bridge);
		ifr.ifr_ifindex = (int)if_nametoindex(ifname);
		if (ifr.ifr_ifindex == 0 || ioctl(ctl, SIOCBRADDIF, &ifr) < 0) {
			fprintf(stderr, "framecopy: attach %s to bridge %s: %s\n", ifname, cfg->bridge,
				strerror(errno));
			goto fail;
		}
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(ctl, SIOCGIFFLAGS, &ifr) < 0) {
		perror("framecopy: SIOCGIFFLAGS");
		goto fail;
	}
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(ctl, SIOCSIFFLAGS, &ifr) < 0) {
		perror("framecopy: SIOCSIFFLAGS");
		goto fail;
	}
	/* non-blocking, so the reader can drain a burst and learn when the queue is empty */
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
		perror("framecopy: O_NONBLOCK");
		goto fail;
	}
	close(ctl);
	return fd;
fail:
	if (ctl >= 0)
		close(ctl);
	close(fd);
	return -1;
}

int fc_tap_open(const struct fc_tap_config *cfg, char ifname[IF_NAMESIZE])
{
	char path[4096];
	int own = -1, target = -1, fd;

	if (!cfg->netns)
		return tap_create(cfg, ifname);

	netns_path(cfg->netns, path, sizeof(path));
	own = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	target = open(path, O_RDONLY | O_CLOEXEC);
	if (own < 0 || target < 0) {
		fprintf(stderr, "framecopy: open namespace %s: %s\n", own < 0 ? "/proc/self/ns/net" : path,
			strerror(errno));
		fd = -1;
		goto out;
	}
	if (setns(target, CLONE_NEWNET) < 0) {
		fprintf(stderr, "framecopy: enter %s: %s\n", path, strerror(errno));
		fd = -1;
		goto out;
	}
	fd = tap_create(cfg, ifname);
	if (setns(own, CLONE_NEWNET) < 0) {
		/* carrying on in the wrong namespace would put the peer there too */
		perror("framecopy: return to own namespace");
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
out:
	if (own >= 0)
		close(own);
	if (target >= 0)
		close(target);
	return fd;
}

int fc_sock_tune(int fd, int sndbuf)
{
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf)) == 0)
		return 0;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)) == 0)
		return 0;
	perror("framecopy: SO_SNDBUF");
	return -1;
}

int fc_start(struct fc_pair *pair)
{
	pthread_t t;
	int err;

	if (pair->batch < 1 || pair->batch > FC_MAX_BATCH) {
		fprintf(stderr, "framecopy: batch %u out of range\n", pair->batch);
		return -1;
	}
	if (pair->one_thread && pair->tap_fd >= 0) {
		err = pthread_create(&t, NULL, one_thread, pair);
		if (err == 0)
			pthread_detach(t);
	} else if ((err = pthread_create(&t, NULL, sock_to_tap, pair)) == 0) {
		pthread_detach(t);
		if (pair->tap_fd >= 0) {
			err = pthread_create(&t, NULL, tap_to_sock, pair);
			if (err == 0)
				pthread_detach(t);
		}
	}
	if (err != 0) {
		fprintf(stderr, "framecopy: pthread_create: %s\n", strerror(err));
		return -1;
	}
	return 0;
}

uint64_t fc_cpu_us(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) < 0)
		return 0;
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000u +
	       (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

/**
 * hex_digit() - The value of a hexadecimal digit.
 * @c: the character.
 *
 * Return: 0..15, or -1 if @c is not a hex digit.
 */
static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool fc_parse_mac(const char *text, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++) {
		int hi = hex_digit(text[0]);
		int lo = hi < 0 ? -1 : hex_digit(text[1]);

		if (lo < 0)
			return false;
		mac[i] = (uint8_t)(hi << 4 | lo);
		text += 2;
		if (i < 5 && *text++ != ':')
			return false;
	}
	return *text == '\0';
}

bool fc_parse_uint(const char *text, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (*text < '0' || *text > '9')
		return false;
	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}
