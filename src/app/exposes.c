// SPDX-License-Identifier: MIT
/* exposes.c — the port forwards of one instance: claimed at start, following the VM's lease */
#include "app/exposes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/expose_spec.h"
#include "core/log.h"
#include "proto/addr.h"

static unsigned ports_in_force(const struct exposes *x)
{
	unsigned n = 0;

	for (size_t i = 0; i < x->count; i++)
		n += expose_ports(&x->list[i]);
	return n;
}

int exposes_add(struct exposes *x, const struct expose *e, char *err, size_t err_size)
{
	const struct backend_ops *ops = x->backend->ops;
	char spec[EXPOSE_SPEC_TEXT_LEN], other[EXPOSE_SPEC_TEXT_LEN], why[300] = "";
	struct expose *more;
	int forward;

	expose_spec_format(e, spec, sizeof(spec));
	if (!ops->expose_reserve) {
		snprintf(err, err_size, "%s: the %s back-end forwards no ports", spec, ops->name);
		return -1;
	}
	for (size_t i = 0; i < x->count; i++)
		if (expose_overlaps(e, &x->list[i])) {
			snprintf(err, err_size, "%s: its host port is forwarded already (%s)", spec,
				 expose_spec_format(&x->list[i], other, sizeof(other)));
			return -1;
		}
	if (ports_in_force(x) + expose_ports(e) > EXPOSE_MAX_PORTS) {
		snprintf(err, err_size, "%s: more than %d ports forwarded", spec, EXPOSE_MAX_PORTS);
		return -1;
	}
	more = realloc(x->list, (x->count + 1) * sizeof(*more));
	forward = more ? guard_forward_add(x->guard, e->proto, e->vm_lo, e->vm_hi) : -1;
	if (!more || forward < 0) {
		if (more)
			x->list = more;
		snprintf(err, err_size, "%s: out of memory", spec);
		return -1;
	}
	x->list = more;
	if (ops->expose_reserve(x->backend, e, why, sizeof(why)) < 0) {
		guard_forward_del(x->guard, (size_t)forward);
		snprintf(err, err_size, "%s: %s", spec, why);
		return -1;
	}
	if (x->vm_addr && ops->expose_apply(x->backend, e, x->vm_addr, why, sizeof(why)) < 0) {
		ops->expose_release(x->backend, e);
		guard_forward_del(x->guard, (size_t)forward);
		snprintf(err, err_size, "%s: %s", spec, why);
		return -1;
	}
	x->list[x->count++] = *e;
	return 0;
}

int exposes_del(struct exposes *x, const struct expose *e, char *err, size_t err_size)
{
	char spec[EXPOSE_SPEC_TEXT_LEN];

	for (size_t i = 0; i < x->count; i++) {
		if (!expose_same(&x->list[i], e))
			continue;
		x->backend->ops->expose_release(x->backend, &x->list[i]);
		guard_forward_del(x->guard, i);
		memmove(x->list + i, x->list + i + 1, (x->count - i - 1) * sizeof(*x->list));
		x->count--;
		return 0;
	}
	snprintf(err, err_size, "%s: no such forward", expose_spec_format(e, spec, sizeof(spec)));
	return -1;
}

int exposes_init(struct exposes *x, struct backend *b, struct guard *g,
		 const struct expose_config *cfg, char *err, size_t err_size)
{
	char why[400];

	*x = (struct exposes){.backend = b, .guard = g};
	for (size_t i = 0; i < cfg->count; i++)
		if (exposes_add(x, &cfg->list[i], why, sizeof(why)) < 0) {
			snprintf(err, err_size, "--expose: %s", why);
			return -1;
		}
	return 0;
}

void exposes_vm_address(struct exposes *x, uint32_t addr)
{
	char why[300], spec[EXPOSE_SPEC_TEXT_LEN], text[IPV4_TEXT_LEN];

	if (addr == x->vm_addr)
		return;
	x->vm_addr = addr;
	ipv4_format(addr, text);
	for (size_t i = 0; i < x->count; i++) {
		expose_spec_format(&x->list[i], spec, sizeof(spec));
		if (x->backend->ops->expose_apply(x->backend, &x->list[i], addr, why, sizeof(why)) < 0)
			log_error("expose %s: %s", spec, why);
		else if (addr)
			log_info("expose %s -> %s", spec, text);
	}
}

void exposes_fini(struct exposes *x)
{
	for (size_t i = 0; i < x->count; i++)
		x->backend->ops->expose_release(x->backend, &x->list[i]);
	free(x->list);
	x->list = NULL;
	x->count = 0;
}
