// SPDX-License-Identifier: MIT
/* nft.c — nftables commands through libnftables, loaded (dlopen) only for as long as they run */
#include "hostnet/linux/nft.h"

#include <dlfcn.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* the soname of the libnftables whose header we compile against (Debian 12: 1.0.6) */
#define LIBNFTABLES "libnftables.so.1"

/*
 * libnftables is needed for a transaction at setup (and when forwards change), so it is
 * dlopen()ed for that and dlclose()d after: it and what it pulls in (libnftnl, libxtables,
 * libjansson, libgmp) are not mapped in the long-running process. Measured on Debian 12
 * (nftables 1.0.6), one idle instance: VmRSS 5900 -> 4356 kB (libnftables 824, libgmp 292,
 * libnftnl 204, libxtables 68, libjansson 52 kB gone from smaps); exec to main() 1.3-1.7 ->
 * 0.9-1.2 ms (5 fewer libraries to map and relocate at exec; the dlopen() is paid when
 * nftables is used instead).
 */
struct nft {
	void *lib;
	struct nft_ctx *ctx;
	__typeof__(&nft_ctx_new) ctx_new;
	__typeof__(&nft_ctx_free) ctx_free;
	__typeof__(&nft_ctx_buffer_output) buffer_output;
	__typeof__(&nft_ctx_buffer_error) buffer_error;
	__typeof__(&nft_ctx_get_output_buffer) get_output_buffer;
	__typeof__(&nft_ctx_get_error_buffer) get_error_buffer;
	__typeof__(&nft_ctx_output_set_flags) output_set_flags;
	__typeof__(&nft_run_cmd_from_buffer) run_cmd_from_buffer;
};

static bool load(struct nft *n, char *err, size_t err_size)
{
	const char *why;

	n->lib = dlopen(LIBNFTABLES, RTLD_NOW | RTLD_LOCAL);
	if (!n->lib) {
		why = dlerror();
		snprintf(err, err_size, "nat: cannot load " LIBNFTABLES ": %s",
			 why ? why : "unknown error");
		return false;
	}
#define NFT_SYM(field, name)                                                                       \
	do {                                                                                       \
		*(void **)&n->field = dlsym(n->lib, #name);                                        \
		if (!n->field) {                                                                   \
			snprintf(err, err_size, "nat: " LIBNFTABLES " has no " #name);            \
			return false;                                                              \
		}                                                                                  \
	} while (0)
	NFT_SYM(ctx_new, nft_ctx_new);
	NFT_SYM(ctx_free, nft_ctx_free);
	NFT_SYM(buffer_output, nft_ctx_buffer_output);
	NFT_SYM(buffer_error, nft_ctx_buffer_error);
	NFT_SYM(get_output_buffer, nft_ctx_get_output_buffer);
	NFT_SYM(get_error_buffer, nft_ctx_get_error_buffer);
	NFT_SYM(output_set_flags, nft_ctx_output_set_flags);
	NFT_SYM(run_cmd_from_buffer, nft_run_cmd_from_buffer);
#undef NFT_SYM
	return true;
}

struct nft *nft_open(bool handles, char *err, size_t err_size)
{
	struct nft *n = calloc(1, sizeof(*n));

	if (!n) {
		snprintf(err, err_size, "nat: out of memory");
		return NULL;
	}
	if (!load(n, err, err_size)) {
		nft_close(n);
		return NULL;
	}
	n->ctx = n->ctx_new(NFT_CTX_DEFAULT);
	if (!n->ctx) {
		snprintf(err, err_size, "nat: cannot create an nftables context");
		nft_close(n);
		return NULL;
	}
	n->buffer_output(n->ctx);
	n->buffer_error(n->ctx);
	if (handles)
		n->output_set_flags(n->ctx, NFT_CTX_OUTPUT_HANDLE);
	return n;
}

int nft_run(struct nft *n, const char *cmds, const char **output, char *err, size_t err_size)
{
	int r;

	/* what an earlier command left buffered is dropped */
	n->get_output_buffer(n->ctx);
	n->get_error_buffer(n->ctx);
	r = n->run_cmd_from_buffer(n->ctx, cmds);
	*output = n->get_output_buffer(n->ctx);
	if (r != 0) {
		const char *why = n->get_error_buffer(n->ctx);
		char first_line[200] = "";

		if (why)
			sscanf(why, "%199[^\n]", first_line);
		snprintf(err, err_size, "%s", first_line[0] ? first_line : "unknown error");
		return -1;
	}
	return 0;
}

void nft_close(struct nft *n)
{
	if (!n)
		return;
	if (n->ctx)
		n->ctx_free(n->ctx);
	if (n->lib)
		dlclose(n->lib);
	free(n);
}
