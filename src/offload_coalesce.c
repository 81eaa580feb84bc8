// SPDX-License-Identifier: MIT
/* offload_coalesce.c — joins consecutive TCP segments of one flow from the VM into one packet */
#include <string.h>

#include "checksum.h"
#include "offload.h"

#define IPV4_HDR_LEN 20
#define IP_DF 0x4000
#define IP_MF_OFFSET 0x3fff

#define TCP_FIN 0x01
#define TCP_PSH 0x08
#define TCP_ACK 0x10

/** struct segment - the fields of one candidate TCP segment that joining compares */
struct segment {
	const uint8_t *eth, *ip, *tcp;
	size_t tcp_hdr_len;
	size_t data_len;
	uint32_t seq;
	uint16_t ip_id;
	uint8_t flags;
};

/*
 * read_segment() - check that @f is a TCP segment that could be joined with others:
 * IPv4 without options or fragmentation, only ACK and perhaps PSH set, some data.
 */
static bool read_segment(const struct frame_ref *f, struct segment *s)
{
	const uint8_t *ip = f->data + ETH_HDR_LEN, *tcp = ip + IPV4_HDR_LEN;
	size_t ip_len;

	if (f->len < ETH_HDR_LEN + IPV4_HDR_LEN + TCP_MIN_HDR_LEN ||
	    be16(f->data + 12) != ETHERTYPE_IPV4 || ip[0] != 0x45 || ip[9] != IPPROTO_TCP_ ||
	    (be16(ip + 6) & IP_MF_OFFSET))
		return false;
	ip_len = be16(ip + 2);
	s->tcp_hdr_len = (size_t)(tcp[12] >> 4) * 4;
	s->flags = tcp[13];
	if (ip_len > f->len - ETH_HDR_LEN || s->tcp_hdr_len < TCP_MIN_HDR_LEN ||
	    ip_len <= IPV4_HDR_LEN + s->tcp_hdr_len || (s->flags & ~TCP_PSH) != TCP_ACK)
		return false;
	s->eth = f->data;
	s->ip = ip;
	s->tcp = tcp;
	s->data_len = ip_len - IPV4_HDR_LEN - s->tcp_hdr_len;
	s->seq = be32(tcp + 4);
	s->ip_id = be16(ip + 4);
	return true;
}

/* checksums_ok() - the IP header and TCP checksums of a segment read_segment() accepted */
static bool checksums_ok(const struct segment *s)
{
	size_t tcp_len = s->tcp_hdr_len + s->data_len;

	return checksum_final(checksum_add(0, s->ip, IPV4_HDR_LEN)) == 0 &&
	       checksum_final(checksum_add(checksum_pseudo_ipv4(s->ip, IPPROTO_TCP_,
								(uint16_t)tcp_len),
					   s->tcp, tcp_len)) == 0;
}

/*
 * continues() - whether @s, the @k-th frame of a run that began with @first and whose
 * previous frame was @prev, may join it. IP IDs must count up from the first, unless
 * the packets may not be fragmented (DF), whose IDs mean nothing (RFC 6864).
 */
static bool continues(const struct segment *first, const struct segment *prev,
		      const struct segment *s, unsigned k)
{
	bool df = be16(first->ip + 6) & IP_DF;

	return memcmp(s->eth, first->eth, ETH_HDR_LEN) == 0 &&
	       s->ip[1] == first->ip[1] &&                             /* TOS */
	       be16(s->ip + 6) == be16(first->ip + 6) &&               /* DF alike */
	       s->ip[8] == first->ip[8] &&                             /* TTL */
	       memcmp(s->ip + 12, first->ip + 12, 8) == 0 &&           /* addresses */
	       (df || s->ip_id == (uint16_t)(first->ip_id + k)) &&
	       s->tcp_hdr_len == first->tcp_hdr_len &&
	       memcmp(s->tcp, first->tcp, 4) == 0 &&                   /* ports */
	       memcmp(s->tcp + 8, first->tcp + 8, 4) == 0 &&           /* ACK number */
	       memcmp(s->tcp + 14, first->tcp + 14, 2) == 0 &&         /* window */
	       memcmp(s->tcp + 18, first->tcp + 18, 2) == 0 &&         /* urgent pointer */
	       memcmp(s->tcp + TCP_MIN_HDR_LEN, first->tcp + TCP_MIN_HDR_LEN,
		      first->tcp_hdr_len - TCP_MIN_HDR_LEN) == 0 &&    /* options */
	       s->seq == prev->seq + (uint32_t)prev->data_len &&
	       s->data_len <= first->data_len;
}

unsigned tcp_coalesce(const struct frame_ref *frames, unsigned n, struct tcp_merged *m)
{
	struct segment first, prev, s;
	size_t ip_len, hdr_len;
	unsigned k;
	uint8_t *ip, *tcp;

	if (n < 2 || !read_segment(&frames[0], &first) || (first.flags & TCP_PSH))
		return 1;
	prev = first;
	ip_len = IPV4_HDR_LEN + first.tcp_hdr_len + first.data_len;
	/* the cheap tests first: checksums are summed only for frames that will join */
	for (k = 1; k < n && k < TCP_COALESCE_MAX; k++) {
		if (!read_segment(&frames[k], &s) || !continues(&first, &prev, &s, k) ||
		    ip_len + s.data_len > UINT16_MAX || (k == 1 && !checksums_ok(&first)) ||
		    !checksums_ok(&s))
			break;
		ip_len += s.data_len;
		m->payload[k] = (struct iovec){(void *)(s.tcp + s.tcp_hdr_len), s.data_len};
		prev = s;
		/* a short segment or a push ends what the sender had to say: the run ends */
		if (s.data_len < first.data_len || (s.flags & TCP_PSH)) {
			k++;
			break;
		}
	}
	if (k < 2)
		return 1;

	hdr_len = ETH_HDR_LEN + IPV4_HDR_LEN + first.tcp_hdr_len;
	m->frames = k;
	m->payload[0] = (struct iovec){(void *)(first.tcp + first.tcp_hdr_len), first.data_len};
	memcpy(m->hdr, first.eth, hdr_len);
	ip = m->hdr + ETH_HDR_LEN;
	tcp = ip + IPV4_HDR_LEN;
	put_be16(ip + 2, (uint16_t)ip_len);
	put_be16(ip + 10, 0);
	put_be16(ip + 10, checksum_final(checksum_add(0, ip, IPV4_HDR_LEN)));
	tcp[13] = prev.flags; /* PSH if the last segment had it */
	/* the checksum field holds the pseudo-header sum; the host adds the rest */
	put_be16(tcp + 16, checksum_fold(checksum_pseudo_ipv4(ip, IPPROTO_TCP_,
							      (uint16_t)(ip_len - IPV4_HDR_LEN))));
	m->info = (struct offload_info){
		.gso_tcp4 = true,
		.needs_csum = true,
		.gso_size = (uint16_t)first.data_len,
		.hdr_len = (uint16_t)hdr_len,
		.csum_start = ETH_HDR_LEN + IPV4_HDR_LEN,
		.csum_offset = 16,
	};
	return k;
}
