// SPDX-License-Identifier: MIT
/* offload_join.c — joins consecutive TCP segments or UDP datagrams of one flow from the VM */
#include <string.h>

#include "proto/checksum.h"
#include "proto/offload.h"

/** struct segment - the fields of one candidate frame that joining compares */
struct segment {
	const uint8_t *eth, *ip, *l4;
	size_t l4_hdr_len;
	size_t data_len;
	uint32_t seq;   /* TCP */
	uint8_t flags;  /* TCP */
	uint16_t ip_id;
};

/* read_tcp() - a TCP segment with data and only ACK (and perhaps PSH) set */
static bool read_tcp(struct segment *s, size_t l4_len)
{
	s->l4_hdr_len = (size_t)(s->l4[12] >> 4) * 4;
	s->flags = s->l4[13];
	if (s->l4_hdr_len < TCP_MIN_HDR_LEN || l4_len <= s->l4_hdr_len ||
	    (s->flags & ~TCP_PSH) != TCP_ACK)
		return false;
	s->seq = be32(s->l4 + 4);
	return true;
}

/* read_udp() - a UDP datagram with data and a checksum, its length that of the IP packet */
static bool read_udp(struct segment *s, size_t l4_len)
{
	s->l4_hdr_len = UDP_HDR_LEN;
	return l4_len > UDP_HDR_LEN && be16(s->l4 + 4) == l4_len && be16(s->l4 + 6) != 0;
}

/*
 * read_segment() - check that @f could be joined with others: IPv4 without options or
 * fragmentation, TCP (read_tcp) or, if @udp, UDP (read_udp).
 */
static bool read_segment(const struct frame_ref *f, bool udp, struct segment *s)
{
	const uint8_t *ip = f->data + ETH_HDR_LEN;
	size_t ip_len;

	if (f->offload) /* large already, or its checksum partial: it goes as it is */
		return false;
	if (f->len < ETH_HDR_LEN + IPV4_HDR_LEN + UDP_HDR_LEN ||
	    be16(f->data + 12) != ETHERTYPE_IPV4 || ip[0] != 0x45 ||
	    (be16(ip + 6) & IPV4_FRAGMENT_MASK))
		return false;
	ip_len = be16(ip + 2);
	if (ip_len > f->len - ETH_HDR_LEN || ip_len < IPV4_HDR_LEN + UDP_HDR_LEN)
		return false;
	*s = (struct segment){0};
	s->eth = f->data;
	s->ip = ip;
	s->l4 = ip + IPV4_HDR_LEN;
	s->ip_id = be16(ip + 4);
	if (ip[9] == IPPROTO_TCP_) {
		if (ip_len < IPV4_HDR_LEN + TCP_MIN_HDR_LEN || !read_tcp(s, ip_len - IPV4_HDR_LEN))
			return false;
	} else if (ip[9] != IPPROTO_UDP_ || !udp || !read_udp(s, ip_len - IPV4_HDR_LEN)) {
		return false;
	}
	s->data_len = ip_len - IPV4_HDR_LEN - s->l4_hdr_len;
	return true;
}

/* checksums_ok() - the IP header and TCP/UDP checksums of a segment read_segment() took */
static bool checksums_ok(const struct segment *s)
{
	size_t l4_len = s->l4_hdr_len + s->data_len;

	return checksum_final(checksum_add(0, s->ip, IPV4_HDR_LEN)) == 0 &&
	       checksum_final(checksum_add(checksum_pseudo_ipv4(s->ip, s->ip[9], (uint16_t)l4_len),
					   s->l4, l4_len)) == 0;
}

/* tcp_continues() - TCP's own rules: same ACK, window, urgent pointer, options; in order */
static bool tcp_continues(const struct segment *first, const struct segment *prev,
			  const struct segment *s)
{
	return s->l4_hdr_len == first->l4_hdr_len &&
	       memcmp(s->l4 + 8, first->l4 + 8, 4) == 0 &&   /* ACK number */
	       memcmp(s->l4 + 14, first->l4 + 14, 2) == 0 && /* window */
	       memcmp(s->l4 + 18, first->l4 + 18, 2) == 0 && /* urgent pointer */
	       memcmp(s->l4 + TCP_MIN_HDR_LEN, first->l4 + TCP_MIN_HDR_LEN,
		      first->l4_hdr_len - TCP_MIN_HDR_LEN) == 0 && /* options */
	       s->seq == prev->seq + (uint32_t)prev->data_len;
}

/*
 * continues() - whether @s, the @k-th frame of a run that began with @first and whose
 * previous frame was @prev, may join it. IP IDs must count up from the first, unless
 * the packets may not be fragmented (DF), whose IDs mean nothing (RFC 6864).
 */
static bool continues(const struct segment *first, const struct segment *prev,
		      const struct segment *s, unsigned k)
{
	bool df = be16(first->ip + 6) & IPV4_FLAG_DF;

	return memcmp(s->eth, first->eth, ETH_HDR_LEN) == 0 &&
	       s->ip[1] == first->ip[1] &&                   /* TOS */
	       be16(s->ip + 6) == be16(first->ip + 6) &&     /* DF alike */
	       s->ip[8] == first->ip[8] &&                   /* TTL */
	       s->ip[9] == first->ip[9] &&                   /* protocol */
	       memcmp(s->ip + 12, first->ip + 12, 8) == 0 && /* addresses */
	       (df || s->ip_id == (uint16_t)(first->ip_id + k)) &&
	       memcmp(s->l4, first->l4, 4) == 0 &&           /* ports */
	       s->data_len <= first->data_len &&
	       (first->ip[9] != IPPROTO_TCP_ || tcp_continues(first, prev, s));
}

/* write_header() - the joined packet's headers: the first frame's, lengths and sums anew */
static void write_header(struct joined_packet *m, const struct segment *first,
			 const struct segment *last, size_t ip_len)
{
	bool tcp = first->ip[9] == IPPROTO_TCP_;
	size_t hdr_len = ETH_HDR_LEN + IPV4_HDR_LEN + first->l4_hdr_len;
	uint8_t *ip = m->hdr + ETH_HDR_LEN, *l4 = ip + IPV4_HDR_LEN;
	uint16_t l4_len = (uint16_t)(ip_len - IPV4_HDR_LEN);

	memcpy(m->hdr, first->eth, hdr_len);
	put_be16(ip + 2, (uint16_t)ip_len);
	put_be16(ip + 10, 0);
	put_be16(ip + 10, checksum_final(checksum_add(0, ip, IPV4_HDR_LEN)));
	if (tcp)
		l4[13] = last->flags; /* PSH if the last segment had it */
	else
		put_be16(l4 + 4, l4_len);
	/* the checksum field holds the pseudo-header sum; the host adds the rest */
	put_be16(l4 + (tcp ? 16 : 6), checksum_fold(checksum_pseudo_ipv4(ip, ip[9], l4_len)));
	m->info = (struct offload_info){
		.gso = tcp ? GSO_TCP4 : GSO_UDP4,
		.needs_csum = true,
		.gso_size = (uint16_t)first->data_len,
		.hdr_len = (uint16_t)hdr_len,
		.csum_start = ETH_HDR_LEN + IPV4_HDR_LEN,
		.csum_offset = tcp ? 16 : 6,
	};
}

unsigned packet_join(const struct frame_ref *frames, unsigned n, bool join_udp,
		     struct joined_packet *m)
{
	struct segment first, prev, s;
	size_t ip_len;
	unsigned k;

	if (n < 2 || !read_segment(&frames[0], join_udp, &first) || (first.flags & TCP_PSH))
		return 1;
	prev = first;
	ip_len = IPV4_HDR_LEN + first.l4_hdr_len + first.data_len;
	/* the cheap tests first: checksums are summed only for frames that will join */
	for (k = 1; k < n && k < JOIN_MAX; k++) {
		if (!read_segment(&frames[k], join_udp, &s) || !continues(&first, &prev, &s, k) ||
		    ip_len + s.data_len > UINT16_MAX || (k == 1 && !checksums_ok(&first)) ||
		    !checksums_ok(&s))
			break;
		ip_len += s.data_len;
		m->payload[k] = (struct iovec){(void *)(s.l4 + s.l4_hdr_len), s.data_len};
		prev = s;
		/* a short segment or a push ends what the sender had to say: the run ends */
		if (s.data_len < first.data_len || (s.flags & TCP_PSH)) {
			k++;
			break;
		}
	}
	if (k < 2)
		return 1;
	m->frames = k;
	m->payload[0] = (struct iovec){(void *)(first.l4 + first.l4_hdr_len), first.data_len};
	write_header(m, &first, &prev, ip_len);
	return k;
}

void joined_checksum(struct joined_packet *m)
{
	const struct offload_info *info = &m->info;
	uint8_t *field = m->hdr + info->csum_start + info->csum_offset, odd = 0;
	uint64_t sum = checksum_add(0, m->hdr + info->csum_start,
				    (size_t)info->hdr_len - info->csum_start);
	bool carry = false; /* a byte left over from an odd-length piece, waiting for its pair */
	uint16_t c;

	for (unsigned i = 0; i < m->frames; i++) {
		const uint8_t *p = m->payload[i].iov_base;
		size_t n = m->payload[i].iov_len;

		if (carry && n) {
			uint8_t pair[2] = {odd, p[0]};

			sum = checksum_add(sum, pair, 2);
			p++, n--;
			carry = false;
		}
		if (n & 1) {
			odd = p[n - 1];
			carry = true;
			n--;
		}
		sum = checksum_add(sum, p, n);
	}
	if (carry)
		sum = checksum_add(sum, &odd, 1);
	c = checksum_final(sum);
	/* 0 is written 0xffff for UDP only (RFC 768: 0 is "no checksum"; TCP has no such case) */
	put_be16(field, c || info->csum_offset != 6 ? c : 0xffff);
}
