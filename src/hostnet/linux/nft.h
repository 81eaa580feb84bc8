/* SPDX-License-Identifier: MIT */
/* nft.h — nftables commands through libnftables, loaded (dlopen) only for as long as they run */
#ifndef SVM_HOSTNET_LINUX_NFT_H
#define SVM_HOSTNET_LINUX_NFT_H

#include <stdbool.h>
#include <stddef.h>

struct nft;

/**
 * nft_open() - load libnftables and make a context whose output and errors are buffered
 * @handles: listings show each rule's handle ("# handle N"), to delete it by
 * Return: the session, or NULL with @err set.
 */
struct nft *nft_open(bool handles, char *err, size_t err_size);

/**
 * nft_run() - run @cmds (nft's syntax, one command a line) as one transaction
 * @output: set to what they printed (a listing), valid until the next call
 * Return: 0, or -1 with @err set to the first line of nft's complaint.
 */
int nft_run(struct nft *n, const char *cmds, const char **output, char *err, size_t err_size);

/** nft_close() - free the context and unload libnftables */
void nft_close(struct nft *n);

#endif
