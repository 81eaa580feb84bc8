/* SPDX-License-Identifier: MIT */
/* xpc.h — the simulation's stand-in for libxpc: dictionaries of numbers, booleans, strings, uuids */
#ifndef SVM_SIM_XPC_H
#define SVM_SIM_XPC_H

/*
 * Only the dictionary calls vmnet's interface descriptions and parameters need, with
 * libxpc's names and meanings: a getter answers 0, false or NULL for a key that is absent
 * or holds another type. Objects are reference counted; xpc_release() drops one.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef void *xpc_object_t;
typedef unsigned char uuid_t[16];

/** xpc_dictionary_create() - a dictionary (the simulation takes no initial @count pairs) */
xpc_object_t xpc_dictionary_create(const char *const *keys, const xpc_object_t *values,
				   size_t count);
void xpc_dictionary_set_uint64(xpc_object_t xdict, const char *key, uint64_t value);
void xpc_dictionary_set_bool(xpc_object_t xdict, const char *key, bool value);
void xpc_dictionary_set_string(xpc_object_t xdict, const char *key, const char *string);
void xpc_dictionary_set_uuid(xpc_object_t xdict, const char *key, const uuid_t uuid);
uint64_t xpc_dictionary_get_uint64(xpc_object_t xdict, const char *key);
bool xpc_dictionary_get_bool(xpc_object_t xdict, const char *key);
const char *xpc_dictionary_get_string(xpc_object_t xdict, const char *key);
const uint8_t *xpc_dictionary_get_uuid(xpc_object_t xdict, const char *key);
/** xpc_dictionary_get_value() - the key's entry, or NULL when absent (only for presence) */
xpc_object_t xpc_dictionary_get_value(xpc_object_t xdict, const char *key);

xpc_object_t xpc_retain(xpc_object_t object);
void xpc_release(xpc_object_t object);

#ifdef __cplusplus
}
#endif

#endif
