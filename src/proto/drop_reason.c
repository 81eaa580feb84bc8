// SPDX-License-Identifier: MIT
/* drop_reason.c — the stable names of the drop reasons, as the stats JSON and the logs use them */
#include "proto/drop_reason.h"

static const char *const drop_names[DROP__COUNT] = {
	[DROP_NONE] = "none",
#define SVM_DROP_NAME(name, str, doc) [DROP_##name] = str,
	SVM_DROP_REASONS(SVM_DROP_NAME)
#undef SVM_DROP_NAME
};

const char *drop_reason_name(enum drop_reason r)
{
	return (unsigned)r < DROP__COUNT ? drop_names[r] : "unknown";
}
