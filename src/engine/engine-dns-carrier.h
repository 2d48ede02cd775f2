/* engine-dns-carrier.h: the IP and transport layers that carry a DNS message, tracked along a
 * frame's tree walk: the innermost IP/IPv6 and UDP/TCP layers before the message, a tunnel's
 * inner header or the packet an ICMP/ICMPv6 error quotes included.
 * Must not read DNS fields: engine-dns.c does, and asks this module only for the carrier.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>
#include <epan/proto.h>

G_BEGIN_DECLS

/* The protocol nodes that change the carrier (they are in every tree, primed or not). */
typedef enum {
	ENGINE_DNS_LAYER_NONE,
	ENGINE_DNS_LAYER_IPV4,
	ENGINE_DNS_LAYER_IPV6,
	ENGINE_DNS_LAYER_UDP,
	ENGINE_DNS_LAYER_TCP,
	ENGINE_DNS_LAYER_ICMP,   /* an error quotes the packet that could not be delivered */
	ENGINE_DNS_LAYER_ICMPV6,
} EngineDnsLayer;

/* The IP and transport layers in force at a point of the tree walk. */
typedef struct {
	const char *src;        /* in the string chunk; NULL when no IP layer was seen */
	const char *dst;
	const char *transport;  /* "udp", "tcp" or NULL */
	guint32 src_port;
	guint32 dst_port;
} EngineDnsCarrier;

/* The protocol id of a layer's node, or -1 when libwireshark has no such protocol. */
int engine_dns_carrier_protocol(EngineDnsLayer layer);

/* A layer's protocol node seen in the walk: its header replaces what it carries (addresses
 * and ports kept in strings, which outlives the packet). */
void engine_dns_carrier_update(EngineDnsCarrier *carrier, EngineDnsLayer layer, field_info *fi,
			       GStringChunk *strings);

G_END_DECLS
