/* SPDX-License-Identifier: MIT */
/* forward.h — port forwards of the tap back-end: nftables DNAT rules, each tagged with its owner */
#ifndef SVM_HOSTNET_LINUX_FORWARD_H
#define SVM_HOSTNET_LINUX_FORWARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/expose.h"

/* How a forward is tagged: "svm-fwd PID:START:PIDNS SPEC", in each rule's comment. */
#define FORWARD_TAG_LEN 96

/**
 * forward_owner_tag() - this process's tag prefix ("svm-fwd PID:START:PIDNS "), its
 * identity surviving pid reuse: a later process with the same pid is another owner
 * Return: 0, or -errno.
 */
int forward_owner_tag(char *tag, size_t size);

/**
 * forward_add() - DNAT @e's host ports to @vm (host order) through bridge @bridge
 * @owner: forward_owner_tag()'s
 * @err: why not, one line
 *
 * In the table "ip sock_vmnet", chains forward_pre (prerouting: from other hosts) and
 * forward_out (output: from the host itself), a rule per port: to @e->bind, or to any local
 * address (fib daddr type local) when it is 0. 127.0.0.1 included: the bridge may route
 * loopback sources (its route_localnet, this bridge's own setting) and forward_post
 * masquerades them to the gateway address, so that the VM's reply comes back; chain
 * loopback_guard drops what comes in from a bridge for 127/8.
 * Return: 0, or -1 with @err set.
 */
int forward_add(const char *bridge, const struct expose *e, uint32_t vm, const char *owner,
		char *err, size_t err_size);

/** forward_del() - remove the rules of @e that @owner added. Return: 0 or -1 with @err. */
int forward_del(const struct expose *e, const char *owner, char *err, size_t err_size);

/**
 * forward_prune() - remove every forward rule whose owner process has ended (a SIGKILLed
 * instance leaves its rules behind; the next one that starts or forwards removes them)
 * Return: how many rules were removed, or -1 with @err.
 */
int forward_prune(char *err, size_t err_size);

#endif
