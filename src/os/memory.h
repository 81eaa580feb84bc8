/* SPDX-License-Identifier: MIT */
/* memory.h — keeping a long-running process small: what the C library allows tuning */
#ifndef SVM_OS_MEMORY_H
#define SVM_OS_MEMORY_H

/**
 * memory_pin_mmap_threshold() - serve every allocation of at least @bytes from fresh pages
 *
 * So that large frees during setup do not raise the threshold and leave big, later
 * zeroed allocations resident (see the measurement in service.c). No-op where the C
 * library has no such knob.
 */
void memory_pin_mmap_threshold(unsigned long bytes);

/** memory_trim() - give freed heap back to the system (no-op where unsupported) */
void memory_trim(void);

#endif
