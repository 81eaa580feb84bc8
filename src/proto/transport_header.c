// SPDX-License-Identifier: MIT
/* transport_header.c — UDP and TCP headers written, for frames of either IP family */
#include "proto/transport_header.h"

#include "proto/byteorder.h"
#include "proto/wire.h"

#define TCP_OPT_MSS 2
#define TCP_OPT_MSS_LEN 4

size_t tcp_header_len(const struct tcp_fields *tcp)
{
	return TCP_MIN_HDR_LEN + (tcp->mss ? TCP_OPT_MSS_LEN : 0);
}

void udp_header_put(uint8_t *udp, uint16_t src_port, uint16_t dst_port, size_t udp_len)
{
	put_be16(udp, src_port);
	put_be16(udp + 2, dst_port);
	put_be16(udp + 4, (uint16_t)udp_len);
	put_be16(udp + UDP_CSUM_OFFSET, 0);
}

void tcp_header_put(uint8_t *th, uint16_t src_port, uint16_t dst_port,
		    const struct tcp_fields *tcp)
{
	size_t hdr_len = tcp_header_len(tcp);

	put_be16(th, src_port);
	put_be16(th + 2, dst_port);
	put_be32(th + 4, tcp->seq);
	put_be32(th + 8, tcp->ack);
	th[12] = (uint8_t)((hdr_len / 4) << 4);
	th[13] = tcp->flags;
	put_be16(th + 14, tcp->window);
	put_be16(th + TCP_CSUM_OFFSET, 0);
	put_be16(th + 18, 0); /* urgent pointer */
	if (tcp->mss) {
		th[20] = TCP_OPT_MSS;
		th[21] = TCP_OPT_MSS_LEN;
		put_be16(th + 22, tcp->mss);
	}
}
