/* SPDX-License-Identifier: MIT */
/* fuzz_promise.h — what every libFuzzer target shares: its entry point and promise() */
#ifndef SVM_TESTS_FUZZ_PROMISE_H
#define SVM_TESTS_FUZZ_PROMISE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A promise the code under test makes: broken, the target aborts and libFuzzer keeps the input. */
#define promise(cond)                                                                    \
	do {                                                                             \
		if (!(cond)) {                                                           \
			fprintf(stderr, "broken promise: %s (line %d)\n", #cond, __LINE__); \
			abort();                                                         \
		}                                                                        \
	} while (0)

#endif
