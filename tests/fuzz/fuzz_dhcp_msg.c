// SPDX-License-Identifier: MIT
/* fuzz_dhcp_msg.c — libFuzzer target: DHCP client messages, parsed, then answered from the parse */
/*
 * Input: a UDP payload as a VM would send it to port 67.
 * Checks, beyond "no crash, no sanitizer report": what dhcp_msg_parse() accepts holds
 * together (a client identifier lies inside the input; an overload is 1-3; the fields
 * are the input's bytes), and a reply built from it the way dhcp4.c builds one — the
 * header, the client identifier echoed, every option that fits — never outgrows its buffer
 * and always ends with an END option inside it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "proto/byteorder.h"
#include "proto/dhcp_msg.h"
#include "fuzz_promise.h"

static void check_parse(const struct dhcp_msg *m, const uint8_t *data, size_t size)
{
	promise(size >= DHCP_FIXED_LEN);
	promise(m->op == DHCP_OP_BOOTREQUEST && m->htype == DHCP_HTYPE_ETHERNET && m->hlen == 6);
	promise(m->xid == be32(data + DHCP_OFF_XID));
	promise(memcmp(m->chaddr, data + DHCP_OFF_CHADDR, DHCP_CHADDR_LEN) == 0);
	promise(m->overload <= 3);
	if (m->client_id) {
		promise(m->client_id_len >= 2);
		promise(m->client_id >= data && m->client_id + m->client_id_len <= data + size);
	}
	if (m->has_requested_addr || m->has_server_id || m->type)
		promise(size > DHCP_OFF_OPTIONS || m->overload);
}

/* A reply as dhcp4.c writes one, into the smallest buffer a client must accept. */
static void check_reply(const struct dhcp_msg *m)
{
	uint8_t buf[DHCP_MIN_MAX_MESSAGE];
	struct dhcp_builder b;
	uint8_t filler[255];
	size_t len;

	memset(filler, 'x', sizeof(filler));
	if (!dhcp_reply_start(&b, buf, sizeof(buf), m, DHCPACK, m->ciaddr, 0xc0a84002))
		return;
	if (m->client_id)
		dhcp_reply_option(&b, DHCP_OPT_CLIENT_ID, m->client_id, m->client_id_len);
	dhcp_reply_option_u32(&b, DHCP_OPT_SERVER_ID, 0xc0a84001);
	/* options until one does not fit: the builder must refuse, never overrun */
	while (dhcp_reply_option(&b, DHCP_OPT_DOMAIN_NAME, filler, m->xid % sizeof(filler)))
		promise(b.len < b.cap);
	len = dhcp_reply_finish(&b);
	promise(len <= sizeof(buf) && len >= DHCP_MIN_REPLY_LEN);
	promise(be32(buf + DHCP_OFF_XID) == m->xid);
	promise(memcmp(buf + DHCP_OFF_CHADDR, m->chaddr, DHCP_CHADDR_LEN) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dhcp_msg m;
	const char *why = NULL;

	log_set_quiet(true);
	if (!dhcp_msg_parse(&m, data, size, &why)) {
		promise(why && why[0]);
		return 0;
	}
	check_parse(&m, data, size);
	check_reply(&m);
	return 0;
}
