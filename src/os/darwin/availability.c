// SPDX-License-Identifier: MIT
/* availability.c — __builtin_available's run-time check, where compiler-rt's is not linked */
#include <stdint.h>
#include <stdio.h>
#include <sys/sysctl.h>

/*
 * clang turns `__builtin_available(macOS 14.0, *)` into a call of this function, which
 * compiler-rt (libclang_rt.osx.a) provides and Apple's clang always links. Debian's clang
 * has no compiler-rt for macOS, so meson.build compiles this file only when a test link of
 * __builtin_available fails (the cross-link check); on a Mac it is never built.
 */
#define PLATFORM_MACOS 1 /* Mach-O's PLATFORM_MACOS */

static uint32_t os_version; /* major << 16 | minor << 8 | patch, read once */

static void read_version(void)
{
	char text[32] = "";
	size_t len = sizeof(text) - 1;
	unsigned major = 0, minor = 0, patch = 0;

	if (sysctlbyname("kern.osproductversion", text, &len, NULL, 0) == 0)
		sscanf(text, "%u.%u.%u", &major, &minor, &patch);
	os_version = major << 16 | (minor & 0xff) << 8 | (patch & 0xff);
}

int32_t __isPlatformVersionAtLeast(uint32_t platform, uint32_t major, uint32_t minor,
				   uint32_t subminor);

int32_t __isPlatformVersionAtLeast(uint32_t platform, uint32_t major, uint32_t minor,
				   uint32_t subminor)
{
	if (platform != PLATFORM_MACOS)
		return 0;
	if (!os_version)
		read_version(); /* the loop's thread only: no race to guard against */
	return os_version >= (major << 16 | (minor & 0xff) << 8 | (subminor & 0xff));
}
