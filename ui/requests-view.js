// requests-view.js: the HTTP requests (GET http/requests) and TLS handshakes (GET tls/handshakes)
// of a capture as sortable tables, each row's frames links into the packet list; the TLS view
// also holds the key log upload, since that is what turns its encrypted streams into text.
// SPDX-License-Identifier: GPL-2.0-or-later
import { api } from './api.js';
import { formatNumber, h } from './dom.js';
import { keylogPanel } from './keylog-panel.js';
import { sortableTable } from './sortable-table.js';
import { afterAnalysis, frameLink, section } from './view-parts.js';

const endpoint = (address, port) => (address ? `${address}${port !== null && port !== undefined ? `:${port}` : ''}` : '');

export function httpView(ctx) {
	const { captureId } = ctx;
	const holder = h('div');
	afterAnalysis(ctx, holder, async () => {
		const data = await api.httpRequests(captureId);
		holder.replaceChildren(data.requests.length === 0 ? h('p', {}, 'No HTTP/1.x requests in this capture.') : sortableTable({
			caption: 'HTTP requests',
			label: 'HTTP requests',
			rows: data.requests,
			columns: [
				{ key: 'frame', label: 'Frame', numeric: true, format: (v) => frameLink(captureId, v) },
				{ key: 'method', label: 'Method' },
				{ key: 'host', label: 'Host' },
				{ key: 'uri', label: 'URI' },
				{ key: 'status', label: 'Status', numeric: true, format: (v) => v ?? '' },
				{ key: 'reason', label: 'Reason' },
				{ key: 'content_type', label: 'Content type' },
				{ key: 'response_size', label: 'Body bytes', numeric: true, format: (v) => (v === null ? '' : formatNumber(v)) },
				{ key: 'time', label: 'Time (s)', numeric: true, format: (v) => (v === null ? '' : formatNumber(v)) },
				{ key: 'response_frame', label: 'Response frame', numeric: true, format: (v) => frameLink(captureId, v) },
				{ key: 'client', label: 'Client', value: (r) => endpoint(r.client, r.client_port) },
				{ key: 'server', label: 'Server', value: (r) => endpoint(r.server, r.server_port) },
				{ key: 'stream', label: 'TCP stream', numeric: true, format: (v) => v ?? '' },
			],
		}));
	});
	return { element: section('http', 'HTTP requests', holder) };
}

export function tlsView(ctx) {
	const { captureId } = ctx;
	const holder = h('div');
	const load = () => afterAnalysis(ctx, holder, async () => {
		const data = await api.tlsHandshakes(captureId);
		holder.replaceChildren(data.handshakes.length === 0 ? h('p', {}, 'No TLS, DTLS or QUIC handshakes in this capture.') : sortableTable({
			caption: 'TLS handshakes',
			label: 'TLS handshakes',
			rows: data.handshakes,
			columns: [
				{ key: 'frame', label: 'Client Hello', numeric: true, format: (v) => frameLink(captureId, v) },
				{ key: 'server_frame', label: 'Server Hello', numeric: true, format: (v) => frameLink(captureId, v) },
				{ key: 'client', label: 'Client', value: (r) => endpoint(r.client, r.client_port) },
				{ key: 'server', label: 'Server', value: (r) => endpoint(r.server, r.server_port) },
				{ key: 'server_name', label: 'Server name' },
				{ key: 'version', label: 'Version' },
				{ key: 'cipher_suite', label: 'Cipher suite' },
				{ key: 'alpn', label: 'ALPN', value: (r) => (r.alpn || []).join(', ') },
				{ key: 'transport', label: 'Transport' },
				{ key: 'ja3', label: 'JA3' },
				{ key: 'ja3s', label: 'JA3S' },
				{ key: 'ja4', label: 'JA4' },
			],
		}));
	});
	load();
	return {
		refresh: load,
		element: h('div', {},
			section('tls', 'TLS handshakes', holder),
			section('tls-keylog', 'TLS decryption', keylogPanel(ctx, 'tls'))),
	};
}
