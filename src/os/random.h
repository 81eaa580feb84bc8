/* SPDX-License-Identifier: MIT */
/* random.h — unpredictable bytes from the OS's generator */
#ifndef SVM_OS_RANDOM_H
#define SVM_OS_RANDOM_H

#include <stddef.h>

/**
 * os_random() - fill @buf with @len unpredictable bytes
 * Return: 0, or -errno when the OS generator cannot answer without blocking (Linux
 * early in boot); the caller must then not pretend the bytes are random.
 */
int os_random(void *buf, size_t len);

#endif
