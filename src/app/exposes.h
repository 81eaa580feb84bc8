/* SPDX-License-Identifier: MIT */
/* exposes.h — the port forwards of one instance: claimed at start, following the VM's lease */
#ifndef SVM_APP_EXPOSES_H
#define SVM_APP_EXPOSES_H

#include <stddef.h>
#include <stdint.h>

#include "app/config.h"
#include "backend/backend.h"
#include "guard/guard.h"

/**
 * struct exposes - the forwards in force, the same in the back-end and the guard
 * @backend: what forwards (its expose_* operations)
 * @guard: what lets the forwarded connections' replies out, and counts them
 * @list: the forwards, @count of them; forward i is the guard's forward i
 * @vm_addr: where they go now (0: the VM has no address yet: claimed, not forwarded)
 */
struct exposes {
	struct backend *backend;
	struct guard *guard;
	struct expose *list;
	size_t count;
	uint32_t vm_addr;
};

/**
 * exposes_init() - claim every forward of @cfg (nothing forwarded before the VM's lease)
 * Return: 0, or -1 with @err naming --expose (a port someone else holds, a back-end that
 * does not forward).
 */
int exposes_init(struct exposes *x, struct backend *b, struct guard *g,
		 const struct expose_config *cfg, char *err, size_t err_size);

/** exposes_vm_address() - the VM now holds @addr (0: none): every forward follows it */
void exposes_vm_address(struct exposes *x, uint32_t addr);

/**
 * exposes_add() - one more forward, in force at once if the VM has an address
 * Return: 0, or -1 with @err (overlapping one in force, a port someone else holds...)
 */
int exposes_add(struct exposes *x, const struct expose *e, char *err, size_t err_size);

/** exposes_del() - remove the forward equal to @e. Return: 0, or -1 with @err */
int exposes_del(struct exposes *x, const struct expose *e, char *err, size_t err_size);

/** exposes_fini() - stop every forward and give its ports back */
void exposes_fini(struct exposes *x);

#endif
