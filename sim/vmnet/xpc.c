// SPDX-License-Identifier: MIT
/* xpc.c — the simulation's libxpc: reference-counted dictionaries of a few value types */
#include <xpc/xpc.h>

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

enum value_type { XV_UINT64, XV_BOOL, XV_STRING, XV_UUID };

struct entry {
	char *key;
	enum value_type type;
	union {
		uint64_t u64;
		bool b;
		char *str;
		uuid_t uuid;
	} v;
	struct entry *next;
};

/* A dictionary is shared between threads only after it is complete (libxpc: not thread-safe). */
struct xpc_dict {
	atomic_int refs;
	struct entry *entries;
};

xpc_object_t xpc_dictionary_create(const char *const *keys, const xpc_object_t *values,
				   size_t count)
{
	struct xpc_dict *d = calloc(1, sizeof(*d));

	(void)keys;
	(void)values;
	if (!d || count)
		sim_fatal("xpc_dictionary_create: %s", d ? "initial pairs are not simulated"
							   : "out of memory");
	atomic_init(&d->refs, 1);
	return d;
}

static void entry_clear(struct entry *e)
{
	if (e->type == XV_STRING)
		free(e->v.str);
}

/* The entry for @key, made if absent (its old value cleared if present). */
static struct entry *entry_set(xpc_object_t xdict, const char *key, enum value_type type)
{
	struct xpc_dict *d = xdict;
	struct entry *e;

	for (e = d->entries; e; e = e->next)
		if (strcmp(e->key, key) == 0)
			break;
	if (e) {
		entry_clear(e);
	} else {
		e = calloc(1, sizeof(*e));
		if (!e || !(e->key = strdup(key)))
			sim_fatal("xpc: out of memory");
		e->next = d->entries;
		d->entries = e;
	}
	e->type = type;
	return e;
}

static const struct entry *entry_get(xpc_object_t xdict, const char *key, enum value_type type)
{
	const struct xpc_dict *d = xdict;

	for (const struct entry *e = d->entries; e; e = e->next)
		if (strcmp(e->key, key) == 0)
			return e->type == type ? e : NULL;
	return NULL;
}

void xpc_dictionary_set_uint64(xpc_object_t xdict, const char *key, uint64_t value)
{
	entry_set(xdict, key, XV_UINT64)->v.u64 = value;
}

void xpc_dictionary_set_bool(xpc_object_t xdict, const char *key, bool value)
{
	entry_set(xdict, key, XV_BOOL)->v.b = value;
}

void xpc_dictionary_set_string(xpc_object_t xdict, const char *key, const char *string)
{
	char *copy = strdup(string);

	if (!copy)
		sim_fatal("xpc: out of memory");
	entry_set(xdict, key, XV_STRING)->v.str = copy;
}

void xpc_dictionary_set_uuid(xpc_object_t xdict, const char *key, const uuid_t uuid)
{
	memcpy(entry_set(xdict, key, XV_UUID)->v.uuid, uuid, sizeof(uuid_t));
}

uint64_t xpc_dictionary_get_uint64(xpc_object_t xdict, const char *key)
{
	const struct entry *e = entry_get(xdict, key, XV_UINT64);

	return e ? e->v.u64 : 0;
}

bool xpc_dictionary_get_bool(xpc_object_t xdict, const char *key)
{
	const struct entry *e = entry_get(xdict, key, XV_BOOL);

	return e ? e->v.b : false;
}

const char *xpc_dictionary_get_string(xpc_object_t xdict, const char *key)
{
	const struct entry *e = entry_get(xdict, key, XV_STRING);

	return e ? e->v.str : NULL;
}

const uint8_t *xpc_dictionary_get_uuid(xpc_object_t xdict, const char *key)
{
	const struct entry *e = entry_get(xdict, key, XV_UUID);

	return e ? e->v.uuid : NULL;
}

xpc_object_t xpc_dictionary_get_value(xpc_object_t xdict, const char *key)
{
	const struct xpc_dict *d = xdict;

	for (struct entry *e = d->entries; e; e = e->next)
		if (strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

xpc_object_t xpc_retain(xpc_object_t object)
{
	atomic_fetch_add(&((struct xpc_dict *)object)->refs, 1);
	return object;
}

void xpc_release(xpc_object_t object)
{
	struct xpc_dict *d = object;

	if (atomic_fetch_sub(&d->refs, 1) != 1)
		return;
	while (d->entries) {
		struct entry *e = d->entries;

		d->entries = e->next;
		entry_clear(e);
		free(e->key);
		free(e);
	}
	free(d);
}
