// SPDX-License-Identifier: MIT
/* backend.c — the back-ends this build has, found by name */
#include "backend/backend.h"

#include <stdio.h>
#include <string.h>

/* Each OS's back-ends; meson.build defines SVM_BACKEND_* for those it builds. */
#ifdef SVM_BACKEND_TAP
extern const struct backend_ops backend_tap;
#endif
#ifdef SVM_BACKEND_VMNET
extern const struct backend_ops backend_vmnet;
#endif
#ifdef SVM_BACKEND_USER
extern const struct backend_ops backend_user;
#endif

/*
 * In the order --backend=auto tries them: the system's own first (vmnet where it is built:
 * macOS and the simulation build; tap on Linux), the userspace one last.
 */
static const struct backend_ops *const backends[] = {
#ifdef SVM_BACKEND_VMNET
	&backend_vmnet,
#endif
#ifdef SVM_BACKEND_TAP
	&backend_tap,
#endif
#ifdef SVM_BACKEND_USER
	&backend_user,
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

const struct backend_ops *backend_auto(char *why, size_t why_size)
{
	why[0] = '\0';
	for (const struct backend_ops *const *b = backends; *b; b++) {
		char reason[200] = "";

		if (!(*b)->usable || (*b)->usable(reason, sizeof(reason)))
			return *b;
		snprintf(why + strlen(why), why_size - strlen(why), "%s%s: %s", why[0] ? "; " : "",
			 (*b)->name, reason);
	}
	return NULL;
}

const char *backend_names(void)
{
	static char names[64];

	if (!names[0]) {
		snprintf(names, sizeof(names), "auto");
		for (const struct backend_ops *const *b = backends; *b; b++) {
			strncat(names, ", ", sizeof(names) - strlen(names) - 1);
			strncat(names, (*b)->name, sizeof(names) - strlen(names) - 1);
		}
	}
	return names;
}
