// SPDX-License-Identifier: MIT
/* port_claim.c — a forwarded host port held by a socket of ours, so that nobody else takes it */
#include "hostnet/port_claim.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "os/socket.h"

int port_claim(const struct expose *e, uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr = {htonl(e->bind)}};
	int fd = os_socket(AF_INET, e->proto == 17 ? SOCK_DGRAM : SOCK_STREAM, 0), one = 1;

	if (fd < 0)
		return fd;
	if ((e->proto != 17 && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0) ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    (e->proto != 17 && listen(fd, 0) < 0)) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

int port_claim_all(const struct expose *e, int *fds, char *err, size_t err_size)
{
	unsigned n = expose_ports(e);

	for (unsigned i = 0; i < n; i++)
		fds[i] = -1;
	for (unsigned i = 0; i < n; i++) {
		int fd = port_claim(e, (uint16_t)(e->host_lo + i));

		if (fd < 0) {
			snprintf(err, err_size, "host port %u/%s: %s", e->host_lo + i,
				 e->proto == 17 ? "udp" : "tcp",
				 fd == -EADDRINUSE ? "taken (another process, or another instance, "
						     "has it)"
						   : strerror(-fd));
			port_release_all(e, fds);
			return -1;
		}
		fds[i] = fd;
	}
	return 0;
}

void port_claim_reset_waiting(const struct expose *e, const int *fds)
{
	struct linger abort_close = {.l_onoff = 1, .l_linger = 0};

	if (e->proto == 17)
		return;
	for (unsigned i = 0; i < expose_ports(e); i++) {
		int c;

		while (fds[i] >= 0 && (c = os_accept(fds[i])) >= 0) {
			setsockopt(c, SOL_SOCKET, SO_LINGER, &abort_close, sizeof(abort_close));
			close(c); /* an RST: the client tries again, and meets the forward */
		}
	}
}

void port_release_all(const struct expose *e, int *fds)
{
	for (unsigned i = 0; i < expose_ports(e); i++)
		if (fds[i] >= 0) {
			close(fds[i]);
			fds[i] = -1;
		}
}

int *port_claim_new(const struct expose *e, char *err, size_t err_size)
{
	int *fds = malloc(expose_ports(e) * sizeof(*fds));

	if (!fds) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	if (port_claim_all(e, fds, err, err_size) < 0) {
		free(fds);
		return NULL;
	}
	return fds;
}

void port_claim_free(const struct expose *e, int *fds)
{
	if (!fds)
		return;
	port_release_all(e, fds);
	free(fds);
}

struct claimed_forward *claimed_forward_find(struct claimed_forward *list,
					     const struct expose *e)
{
	for (struct claimed_forward *f = list; f; f = f->next)
		if (expose_same(&f->e, e))
			return f;
	return NULL;
}

struct claimed_forward *claimed_forward_add(struct claimed_forward **list,
					    const struct expose *e, char *err, size_t err_size)
{
	struct claimed_forward *f = calloc(1, sizeof(*f));

	if (!f) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	f->e = *e;
	f->held = port_claim_new(e, err, err_size);
	if (!f->held) {
		free(f);
		return NULL;
	}
	f->next = *list;
	*list = f;
	return f;
}

struct claimed_forward *claimed_forward_take(struct claimed_forward **list,
					     const struct expose *e)
{
	for (struct claimed_forward **p = list; *p; p = &(*p)->next) {
		struct claimed_forward *f = *p;

		if (expose_same(&f->e, e)) {
			*p = f->next;
			f->next = NULL;
			return f;
		}
	}
	return NULL;
}

void claimed_forward_free(struct claimed_forward *f)
{
	if (!f)
		return;
	port_claim_free(&f->e, f->held);
	free(f);
}
