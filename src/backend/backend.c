// SPDX-License-Identifier: MIT
/* backend.c — the back-ends this build has, found by name */
#include "backend/backend.h"

#include <string.h>

/* Each OS's back-ends; meson.build defines SVM_BACKEND_* for those it builds. */
#ifdef SVM_BACKEND_TAP
extern const struct backend_ops backend_tap;
#endif
#ifdef SVM_BACKEND_VMNET
extern const struct backend_ops backend_vmnet;
#endif

/* The first is the default: vmnet where it is built (macOS, and the simulation build). */
static const struct backend_ops *const backends[] = {
#ifdef SVM_BACKEND_VMNET
	&backend_vmnet,
#endif
#ifdef SVM_BACKEND_TAP
	&backend_tap,
#endif
	NULL,
};

const struct backend_ops *backend_find(const char *name)
{
	for (const struct backend_ops *const *b = backends; *b; b++)
		if (strcmp((*b)->name, name) == 0)
			return *b;
	return NULL;
}

const char *backend_default(void)
{
	return backends[0] ? backends[0]->name : "none";
}

const char *backend_names(void)
{
	static char names[64];

	if (!names[0]) {
		for (const struct backend_ops *const *b = backends; *b; b++) {
			if (b != backends)
				strncat(names, ", ", sizeof(names) - strlen(names) - 1);
			strncat(names, (*b)->name, sizeof(names) - strlen(names) - 1);
		}
	}
	return names;
}
