// tables-view.js: the endpoints, conversations and DNS views of a capture's page: sortable
// tables of the summary's results, linked to the packet list: an endpoint or conversation row
// opens the packets it carries (the display filter Wireshark's "apply as filter" builds for
// it), a DNS lookup opens its query or response frame.
// SPDX-License-Identifier: GPL-2.0-or-later
import { api } from './api.js';
import { formatNumber, h } from './dom.js';
import { sortableTable } from './sortable-table.js';
import { afterAnalysis, errorText, filterLink, frameLink, section } from './view-parts.js';

let tablesPromise = null;

function availableTables() {
	tablesPromise ??= api.tables().catch((failure) => {
		tablesPromise = null;
		throw failure;
	});
	return tablesPromise;
}

// Tables whose rows have ports, and whose filter field is "<table>.port".
const PORTED = new Set(['tcp', 'udp', 'sctp', 'dccp']);

function addressFilter(table, address) {
	if (table === 'eth')
		return `eth.addr == ${address}`;
	if (table === 'ipv6' || (PORTED.has(table) && address.includes(':')))
		return `ipv6.addr == ${address}`;
	if (table === 'ip' || PORTED.has(table))
		return `ip.addr == ${address}`;
	return `${table}.addr == ${address}`;
}

function endpointFilter(table, host) {
	const address = addressFilter(table, host.host);
	return PORTED.has(table) && host.port !== undefined ? `${address} && ${table}.port == ${host.port}` : address;
}

function conversationFilter(table, conv) {
	const a = addressFilter(table, conv.saddr);
	const b = addressFilter(table, conv.daddr);
	if (PORTED.has(table) && conv.sport !== undefined)
		return `${a} && ${table}.port == ${conv.sport} && ${b} && ${table}.port == ${conv.dport}`;
	return `${a} && ${b}`;
}

function endpointTable(captureId, table, data) {
	const hasPort = data.hosts.some((host) => host.port !== undefined);
	return sortableTable({
		caption: `${data.proto} endpoints`,
		label: `${data.proto} endpoints`,
		rows: data.hosts,
		sort: { key: 'totalb', descending: true },
		columns: [
			{ key: 'host', label: 'Host' },
			hasPort ? { key: 'port', label: 'Port', numeric: true, format: (v) => v ?? '' } : null,
			{ key: 'totalf', label: 'Frames', numeric: true },
			{ key: 'totalb', label: 'Bytes', numeric: true },
			{ key: 'txf', label: 'Tx frames', numeric: true },
			{ key: 'txb', label: 'Tx bytes', numeric: true },
			{ key: 'rxf', label: 'Rx frames', numeric: true },
			{ key: 'rxb', label: 'Rx bytes', numeric: true },
			{
				key: 'packets', label: 'Packets', sortable: false, value: () => '',
				format: (v, row) => filterLink(captureId, endpointFilter(table, row), 'Packets',
					`Packets of ${row.host}${row.port !== undefined ? ` port ${row.port}` : ''}`),
			},
		].filter(Boolean),
	});
}

function conversationTable(captureId, table, data) {
	const hasPort = data.convs.some((conv) => conv.sport !== undefined);
	return sortableTable({
		caption: `${data.proto} conversations`,
		label: `${data.proto} conversations`,
		rows: data.convs,
		sort: { key: 'totalb', descending: true },
		columns: [
			{ key: 'saddr', label: 'Address A' },
			hasPort ? { key: 'sport', label: 'Port A', numeric: true, format: (v) => v ?? '' } : null,
			{ key: 'daddr', label: 'Address B' },
			hasPort ? { key: 'dport', label: 'Port B', numeric: true, format: (v) => v ?? '' } : null,
			{ key: 'totalf', label: 'Frames', numeric: true },
			{ key: 'totalb', label: 'Bytes', numeric: true },
			{ key: 'txf', label: 'A→B frames', numeric: true },
			{ key: 'txb', label: 'A→B bytes', numeric: true },
			{ key: 'rxf', label: 'B→A frames', numeric: true },
			{ key: 'rxb', label: 'B→A bytes', numeric: true },
			{ key: 'start', label: 'Start (s)', numeric: true },
			{ key: 'duration', label: 'Duration (s)', numeric: true },
			{
				key: 'packets', label: 'Packets', sortable: false, value: () => '',
				format: (v, row) => filterLink(captureId, conversationFilter(table, row), 'Packets',
					`Packets between ${row.saddr}${row.sport !== undefined ? `:${row.sport}` : ''} and ${row.daddr}${row.dport !== undefined ? `:${row.dport}` : ''}`),
			},
		].filter(Boolean),
	});
}

// A select of every table the workers know, and the sortable table of the chosen one.
function statsView(ctx, kind) {
	const { captureId } = ctx;
	const pickerId = `${kind}-protocol`;
	const picker = h('select', { id: pickerId, disabled: true }, h('option', { value: 'ip' }, 'IPv4'));
	const holder = h('div', { class: 'stats-holder' });
	const load = async () => {
		holder.setAttribute('aria-busy', 'true');
		const table = picker.value;
		try {
			const data = kind === 'endpoints'
				? await api.endpoints(captureId, table)
				: await api.conversations(captureId, table);
			holder.replaceChildren(kind === 'endpoints' ? endpointTable(captureId, table, data)
				: conversationTable(captureId, table, data));
		} catch (failure) {
			holder.replaceChildren(errorText(failure));
		} finally {
			holder.removeAttribute('aria-busy');
		}
	};
	availableTables().then((tables) => {
		picker.replaceChildren(...tables.map((t) => h('option', { value: t.filter, selected: t.filter === 'ip' },
			`${t.name} (${t.filter})`)));
		picker.disabled = false;
	}).catch(() => { picker.disabled = false; });
	picker.addEventListener('change', load);
	afterAnalysis(ctx, holder, load);
	const title = kind === 'endpoints' ? 'Endpoints' : 'Conversations';
	return {
		element: section(kind, title,
			h('div', { class: 'field inline' }, h('label', { for: pickerId }, 'Protocol'), picker),
			holder),
	};
}

export const endpointsView = (ctx) => statsView(ctx, 'endpoints');
export const conversationsView = (ctx) => statsView(ctx, 'conversations');

function dnsTable(captureId, data) {
	if (data.lookups.length === 0)
		return h('p', {}, 'No DNS messages in this capture.');
	return sortableTable({
		caption: 'DNS lookups',
		label: 'DNS lookups',
		rows: data.lookups,
		columns: [
			{ key: 'query_frame', label: 'Query frame', numeric: true, format: (v) => frameLink(captureId, v) },
			{ key: 'client', label: 'Client' },
			{ key: 'server', label: 'Server' },
			{ key: 'full_query', label: 'Name' },
			{ key: 'query_type', label: 'Type' },
			{ key: 'rcode_name', label: 'Result', format: (v) => v || 'no response' },
			{ key: 'response_frame', label: 'Response frame', numeric: true, format: (v) => frameLink(captureId, v) },
			{ key: 'rtt', label: 'RTT (s)', numeric: true, format: (v) => (v === null ? '' : formatNumber(v)) },
			{ key: 'answers', label: 'Answers', value: (row) => (row.answers || []).map((a) => a.data).filter(Boolean).join(', ') },
		],
	});
}

export function dnsView(ctx) {
	const holder = h('div');
	afterAnalysis(ctx, holder, async () => {
		holder.replaceChildren(dnsTable(ctx.captureId, await api.dns(ctx.captureId)));
	});
	return { element: section('dns', 'DNS lookups', holder) };
}
