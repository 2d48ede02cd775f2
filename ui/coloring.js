// coloring.js: Wireshark's default colouring rules (its "colorfilters" file, 4.0), evaluated in
// the page on field values the packet list asks for beside its columns (frames?columns=...),
// since the API answers fields, not colours. First matching rule wins, as in Wireshark. Each
// rule's condition is its display filter written out over those fields; a field that occurs
// more than once ("a,b") matches "==" and "<" when any occurrence does and "!=" when every one
// does (libwireshark 4.0's meaning; an absent field matches neither).
// Must not fetch anything: packet-list.js asks for COLOR_FIELDS.
// SPDX-License-Identifier: GPL-2.0-or-later

const CHECKSUM_FIELDS = ['eth.fcs.status', 'ip.checksum.status', 'tcp.checksum.status', 'udp.checksum.status',
	'sctp.checksum.status', 'mstp.checksum.status', 'cdp.checksum.status', 'edp.checksum.status',
	'wlan.fcs.status', 'stt.checksum.status'];

export const COLOR_FIELDS = ['frame.protocols', 'tcp.analysis.flags', 'tcp.analysis.window_update',
	'tcp.analysis.keep_alive', 'tcp.analysis.keep_alive_ack', 'hsrp.state', 'stp.type', 'ospf.msg', 'icmp.type',
	'icmpv6.type', 'tcp.flags.reset', 'sctp.chunk_type', 'ip.dst', 'ip.ttl', ...CHECKSUM_FIELDS, 'tcp.port',
	'tcp.flags', 'tcp.flags.fin', 'eth.dst.ig', '_ws.expert.severity'];

// Wireshark's PROTO_CHECKSUM_E_BAD; SCTP's ABORT chunk type.
const CHECKSUM_BAD = 0;
const SCTP_ABORT = 6;

// libwireshark's expert severities (PI_CHAT ... PI_ERROR) by the value _ws.expert.severity prints.
const SEVERITIES = new Map([[0x100000, 'comment'], [0x200000, 'chat'], [0x400000, 'note'], [0x600000, 'warn'],
	[0x800000, 'error']]);

function numbers(text) {
	if (!text)
		return [];
	return text.split(',').map((one) => Number(one.trim())).filter((n) => !Number.isNaN(n));
}

function ipv4(text) {
	const parts = text.split('.').map(Number);
	return parts.length === 4 && parts.every((p) => p >= 0 && p <= 255)
		? ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3] : null;
}

// "!=": present, and no occurrence equal.
function allDiffer(values, ...unwanted) {
	return values.length > 0 && values.every((v) => !unwanted.includes(v));
}

function inSubnet(text, base, bits) {
	const value = ipv4(text);
	if (value === null)
		return false;
	const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
	return ((value & mask) >>> 0) === ((ipv4(base) & mask) >>> 0);
}

// The rules, in the file's order: [name, css class, condition over a field reader].
const RULES = [
	['Bad TCP', 'bad-tcp', (f) => f.has('tcp.analysis.flags') && !f.has('tcp.analysis.window_update')
		&& !f.has('tcp.analysis.keep_alive') && !f.has('tcp.analysis.keep_alive_ack')],
	['HSRP State Change', 'state-change', (f) => allDiffer(f.all('hsrp.state'), 8, 16)],
	['Spanning Tree Topology  Change', 'state-change', (f) => f.all('stp.type').includes(0x80)],
	['OSPF State Change', 'state-change', (f) => allDiffer(f.all('ospf.msg'), 1)],
	['ICMP errors', 'icmp-errors', (f) => f.all('icmp.type').some((t) => (t >= 3 && t <= 5) || t === 11)
		|| f.all('icmpv6.type').some((t) => t >= 1 && t <= 4)],
	['ARP', 'arp', (f) => f.proto('arp')],
	['ICMP', 'icmp', (f) => f.proto('icmp') || f.proto('icmpv6')],
	['TCP RST', 'tcp-rst', (f) => f.all('tcp.flags.reset').includes(1)],
	['SCTP ABORT', 'tcp-rst', (f) => f.all('sctp.chunk_type').includes(SCTP_ABORT)],
	['TTL low or unexpected', 'ttl', (f) => {
		const dsts = f.texts('ip.dst');
		const ttls = f.all('ip.ttl');
		if (dsts.length === 0 || ttls.length === 0)
			return false;
		const low = dsts.every((d) => !inSubnet(d, '224.0.0.0', 4)) && ttls.some((t) => t < 5)
			&& !f.proto('pim') && !f.proto('ospf');
		const local = dsts.some((d) => inSubnet(d, '224.0.0.0', 24)) && allDiffer(dsts, '224.0.0.251')
			&& allDiffer(ttls, 1) && !(f.proto('vrrp') || f.proto('carp'));
		return low || local;
	}],
	['Checksum Errors', 'bad-tcp', (f) => CHECKSUM_FIELDS.some((name) => f.all(name).includes(CHECKSUM_BAD))],
	['SMB', 'smb', (f) => ['smb', 'nbss', 'nbns', 'netbios'].some((p) => f.proto(p))],
	['HTTP', 'http', (f) => f.proto('http') || f.all('tcp.port').includes(80) || f.proto('http2')],
	['DCERPC', 'dcerpc', (f) => f.proto('dcerpc')],
	['Routing', 'routing', (f) => ['hsrp', 'eigrp', 'ospf', 'bgp', 'cdp', 'vrrp', 'carp', 'gvrp', 'igmp', 'ismp']
		.some((p) => f.proto(p))],
	['TCP SYN/FIN', 'tcp-synfin', (f) => f.all('tcp.flags').some((flags) => (flags & 0x02) !== 0)
		|| f.all('tcp.flags.fin').includes(1)],
	['TCP', 'tcp', (f) => f.proto('tcp')],
	['UDP', 'udp', (f) => f.proto('udp')],
	['Broadcast', 'broadcast', (f) => f.all('eth.dst.ig').includes(1)],
	['System Event', 'system-event', (f) => f.proto('systemd_journal') || f.proto('sysdig')],
];

function reader(fields, values) {
	const text = (name) => {
		const index = fields.indexOf(name);
		return index < 0 ? '' : values[index] ?? '';
	};
	const protocols = new Set(text('frame.protocols').split(':'));
	return {
		has: (name) => text(name) !== '',
		all: (name) => numbers(text(name)),
		texts: (name) => (text(name) ? text(name).split(',') : []),
		proto: (name) => protocols.has(name),
	};
}

// { rule: name or null, className, severity: 'error' | 'warn' | ... | null } for one frame,
// given the names asked for and the values answered (the same order).
export function colorOf(fields, values) {
	const f = reader(fields, values);
	const worst = Math.max(0, ...f.all('_ws.expert.severity').filter((v) => SEVERITIES.has(v)));
	const severity = SEVERITIES.get(worst) ?? null;
	for (const [name, className, test] of RULES) {
		if (test(f))
			return { rule: name, className: `color-${className}`, severity };
	}
	return { rule: null, className: '', severity };
}
