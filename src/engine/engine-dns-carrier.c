/* engine-dns-carrier.c: which IP and transport layers carry a DNS message. The addresses and
 * ports are read from the bytes under the layers' protocol nodes, because priming ip.src and
 * the like would make every IP frame build them (11% of the summary pass). The packet an ICMP
 * or ICMPv6 error quotes has no such nodes (see engine_dns_carrier_quoted), so its headers are
 * read from the bytes after the ICMP header.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define G_LOG_DOMAIN "engine-dns"
#define WS_LOG_DOMAIN "engine-dns"

#include "engine/engine-dns-carrier.h"

#include <wireshark.h>
#include <epan/address.h>
#include <epan/packet.h>
#include <epan/to_str.h>
#include <epan/tvbuff.h>

int
engine_dns_carrier_protocol(EngineDnsLayer layer)
{
	static const char *const names[] = {
		[ENGINE_DNS_LAYER_IPV4] = "ip",     [ENGINE_DNS_LAYER_IPV6] = "ipv6",
		[ENGINE_DNS_LAYER_UDP] = "udp",     [ENGINE_DNS_LAYER_TCP] = "tcp",
		[ENGINE_DNS_LAYER_ICMP] = "icmp",   [ENGINE_DNS_LAYER_ICMPV6] = "icmpv6",
	};
	if (layer <= ENGINE_DNS_LAYER_NONE || layer >= G_N_ELEMENTS(names))
		return -1;
	return proto_get_id_by_filter_name(names[layer]);
}

/* An address from the header under a protocol node, as ip.src/ipv6.src print it. */
static const char *
engine_dns_carrier_address(GStringChunk *strings, tvbuff_t *tvb, gint offset, address_type type, int length)
{
	address addr;
	set_address(&addr, type, length, tvb_get_ptr(tvb, offset, length));
	char *text = address_to_str(NULL, &addr);
	const char *kept = g_string_chunk_insert_const(strings, text);
	wmem_free(NULL, text);
	return kept;
}

/* The addresses of the whole fixed IPv4 or IPv6 header at start, where the dissector adds
 * ip.src/ip.dst (it reads the whole header before adding any of them). Returns the header's
 * length with *next its protocol field, or 0 (carrier untouched) when there is no such header. */
static gint
engine_dns_carrier_ip_header(GStringChunk *strings, EngineDnsCarrier *carrier, tvbuff_t *tvb, gint start,
			  gboolean is_ipv6, guint8 *next)
{
	if (!is_ipv6) {
		if (tvb_captured_length_remaining(tvb, start) < 20)
			return 0;
		guint8 version_length = tvb_get_guint8(tvb, start);
		if ((version_length >> 4) != 4 || (version_length & 0x0f) * 4 < 20)
			return 0;
		carrier->src = engine_dns_carrier_address(strings, tvb, start + 12, AT_IPv4, 4);
		carrier->dst = engine_dns_carrier_address(strings, tvb, start + 16, AT_IPv4, 4);
		*next = tvb_get_guint8(tvb, start + 9);
		return (version_length & 0x0f) * 4;
	}
	if (tvb_captured_length_remaining(tvb, start) < 40)
		return 0;
	carrier->src = engine_dns_carrier_address(strings, tvb, start + 8, AT_IPv6, 16);
	carrier->dst = engine_dns_carrier_address(strings, tvb, start + 24, AT_IPv6, 16);
	*next = tvb_get_guint8(tvb, start + 6);
	return 40;
}

/* A new IP header: an inner one (tunnel, ICMP error) replaces the outer. Without its
 * addresses the outer layer stays in force, as it would in the field walk. */
static void
engine_dns_carrier_ip(GStringChunk *strings, EngineDnsCarrier *carrier, EngineDnsLayer layer, field_info *fi)
{
	guint8 next;

	if (fi->ds_tvb != NULL)
		engine_dns_carrier_ip_header(strings, carrier, fi->ds_tvb, fi->start, layer == ENGINE_DNS_LAYER_IPV6, &next);
}

/* Both dissectors read both ports before adding either. */
static void
engine_dns_carrier_ports(EngineDnsCarrier *carrier, EngineDnsLayer layer, tvbuff_t *tvb, gint start)
{
	if (tvb != NULL && tvb_captured_length_remaining(tvb, start) >= 4) {
		carrier->transport = layer == ENGINE_DNS_LAYER_UDP ? "udp" : "tcp";
		carrier->src_port = tvb_get_ntohs(tvb, start);
		carrier->dst_port = tvb_get_ntohs(tvb, start + 2);
	}
}

/* The IPv6 extension headers the dissector steps over to reach the transport (hop-by-hop,
 * routing, fragment, authentication, destination options): their length, or 0. */
static gint
engine_dns_carrier_ipv6_extension(tvbuff_t *tvb, gint start, guint8 type)
{
	if (tvb_captured_length_remaining(tvb, start) < 8)
		return 0;
	switch (type) {
	case 0:
	case 43:
	case 60:
		return (tvb_get_guint8(tvb, start + 1) + 1) * 8;
	case 44:
		return 8;
	case 51:
		return (tvb_get_guint8(tvb, start + 1) + 2) * 4;
	default:
		return 0;
	}
}

/* The layers of a quoted packet: its IP header(s) (IP in IP too), then UDP or TCP. */
static void
engine_dns_carrier_quoted_packet(GStringChunk *strings, EngineDnsCarrier *carrier, tvbuff_t *tvb, gint offset)
{
	guint8 next = 0;
	gint length;

	/* The IPv4 dissector hands a header of version 6 to IPv6; bounded against loops. */
	for (guint depth = 0; depth < 8; depth++) {
		gboolean is_ipv6 = tvb_captured_length_remaining(tvb, offset) > 0 &&
				   (tvb_get_guint8(tvb, offset) >> 4) == 6;
		length = engine_dns_carrier_ip_header(strings, carrier, tvb, offset, is_ipv6, &next);
		if (length == 0)
			return;
		offset += length;
		while (is_ipv6 && (length = engine_dns_carrier_ipv6_extension(tvb, offset, next)) > 0) {
			next = tvb_get_guint8(tvb, offset);
			offset += length;
		}
		if (next != 4 && next != 41)
			break;
	}
	carrier->transport = NULL;
	if (next == 17 || next == 6)
		engine_dns_carrier_ports(carrier, next == 17 ? ENGINE_DNS_LAYER_UDP : ENGINE_DNS_LAYER_TCP, tvb, offset);
}

/* ICMP (types 3, 4, 5, 11, 12) and ICMPv6 (1 to 4) errors quote a packet 8 bytes in, which
 * the dissectors hand to IP below the ICMP node. In a tree that is not visible, a protocol
 * node below another node is left out unless primed, so that packet's IP and UDP/TCP nodes
 * are missing (its DNS node is not: it is primed); they are read from the bytes instead. */
static void
engine_dns_carrier_quoted(GStringChunk *strings, EngineDnsCarrier *carrier, EngineDnsLayer layer, field_info *fi)
{
	if (fi->ds_tvb == NULL || tvb_captured_length_remaining(fi->ds_tvb, fi->start) < 8)
		return;
	guint8 type = tvb_get_guint8(fi->ds_tvb, fi->start);
	gboolean is_error = layer == ENGINE_DNS_LAYER_ICMP
		? (type == 3 || type == 4 || type == 5 || type == 11 || type == 12)
		: (type >= 1 && type <= 4);
	if (is_error)
		engine_dns_carrier_quoted_packet(strings, carrier, fi->ds_tvb, fi->start + 8);
}

void
engine_dns_carrier_update(EngineDnsCarrier *carrier, EngineDnsLayer layer, field_info *fi, GStringChunk *strings)
{
	switch (layer) {
	case ENGINE_DNS_LAYER_IPV4:
	case ENGINE_DNS_LAYER_IPV6:
		engine_dns_carrier_ip(strings, carrier, layer, fi);
		break;
	case ENGINE_DNS_LAYER_UDP:
	case ENGINE_DNS_LAYER_TCP:
		engine_dns_carrier_ports(carrier, layer, fi->ds_tvb, fi->start);
		break;
	case ENGINE_DNS_LAYER_ICMP:
	case ENGINE_DNS_LAYER_ICMPV6:
		engine_dns_carrier_quoted(strings, carrier, layer, fi);
		break;
	default:
		break;
	}
}
