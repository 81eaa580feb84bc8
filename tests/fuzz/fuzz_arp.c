// SPDX-License-Identifier: MIT
/* fuzz_arp.c — libFuzzer target: the sender read from an ARP frame of the host's side (arp_sender_of) */
/*
 * Input: an Ethernet frame as the bridge (tap) or vmnet's interface may carry it, from the
 * host or from any other machine there: the address probes and the vmnet back-end's gateway
 * lookup read who claims an address from it.
 * Checks: arp_sender_of() accepts exactly the Ethernet/IPv4 ARP requests and replies (a
 * byte-by-byte reading of RFC 826's layout, written apart here) whose sender is a unicast MAC
 * with an address other than 0.0.0.0, and gives back that sender's bytes; a refused frame
 * leaves its outputs alone.
 */
#include <stdbool.h>
#include <string.h>

#include "fuzz_promise.h"
#include "hostnet/arp_probe.h"

/* RFC 826 over Ethernet and IPv4: htype 1, ptype 0x0800, hlen 6, plen 4, op 1 or 2 */
static bool reference(const uint8_t *f, size_t len)
{
	static const uint8_t head[] = {0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 6, 4, 0x00};

	if (len < 14 + 28 || memcmp(f + 12, head, sizeof(head)) != 0 || (f[21] != 1 && f[21] != 2))
		return false;
	return (f[28] | f[29] | f[30] | f[31]) != 0 && !(f[22] & 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t untouched[6] = {0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
	uint8_t mac[6];
	uint32_t ip = 0x01020304;
	bool got;

	memcpy(mac, untouched, 6);
	got = arp_sender_of(data, size, &ip, mac);
	promise(got == reference(data, size));
	if (got) {
		promise(ip == ((uint32_t)data[28] << 24 | (uint32_t)data[29] << 16 |
			       (uint32_t)data[30] << 8 | data[31]));
		promise(memcmp(mac, data + 22, 6) == 0);
	} else if (size < 14 + 28) {
		promise(ip == 0x01020304 && memcmp(mac, untouched, 6) == 0);
	}
	return 0;
}
