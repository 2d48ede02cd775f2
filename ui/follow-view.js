// follow-view.js: follow stream (GET follow/<proto>/<stream>[/<substream>]) as Wireshark's
// dialog shows it: the conversation's payload in order, the client's bytes and the server's in
// two colours (each chunk also says its side and frame in its title), as ASCII, a hex dump or
// raw hex (tshark's "raw": one line per chunk, the server's indented), one side or both; a
// download of either side's bytes; a chunk click opens its frame in the packet list filtered
// on the stream, as Wireshark leaves its list after following.
// SPDX-License-Identifier: GPL-2.0-or-later
import { api } from './api.js';
import { announce, formatNumber, h, saveBlob } from './dom.js';
import { followLabel } from './packets-view.js';
import { errorText, filterLink } from './view-parts.js';

// More than this is not put in the page (a download has it all).
const MAX_SHOWN_BYTES = 2 * 1024 * 1024;

function decode(base64) {
	const text = atob(base64);
	const bytes = new Uint8Array(text.length);
	for (let i = 0; i < text.length; i++)
		bytes[i] = text.charCodeAt(i);
	return bytes;
}

// Printable ASCII, tabs and line ends as they are (CR LF as one line end), the rest as '.'.
function asciiOf(bytes) {
	let out = '';
	for (let i = 0; i < bytes.length; i++) {
		const b = bytes[i];
		if (b === 0x0d && bytes[i + 1] === 0x0a)
			continue;
		out += (b >= 0x20 && b < 0x7f) || b === 0x0a || b === 0x09 ? String.fromCharCode(b) : '.';
	}
	return out;
}

const hexOf = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

// tshark's follow hex dump: 16 bytes a line, the offset counting that side's bytes.
function hexDump(bytes, startOffset) {
	const lines = [];
	for (let i = 0; i < bytes.length; i += 16) {
		const slice = bytes.subarray(i, i + 16);
		const hex = Array.from(slice, (b) => b.toString(16).padStart(2, '0'));
		const left = hex.slice(0, 8).join(' ');
		const right = hex.slice(8).join(' ');
		const ascii = Array.from(slice, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
		lines.push(`${(startOffset + i).toString(16).padStart(8, '0')}  ${left.padEnd(23)}  ${right.padEnd(23)}  ${ascii}`);
	}
	return `${lines.join('\n')}\n`;
}

function parseTarget(route) {
	const [proto, stream, substream] = route.rest || [];
	if (!proto || stream === undefined || !/^[0-9]+$/.test(stream) || (substream !== undefined && !/^[0-9]+$/.test(substream)))
		return null;
	return { proto, stream: Number(stream), substream: substream === undefined ? undefined : Number(substream) };
}

export function followView(ctx) {
	const { captureId } = ctx;
	const heading = h('h2', { id: 'follow-heading' }, 'Follow stream');
	const endpoints = h('p', { class: 'follow-endpoints' });
	const holder = h('div', { class: 'follow-holder' });
	const modeInputs = ['ascii', 'hex', 'raw'].map((mode) => h('input', {
		type: 'radio', name: 'follow-mode', id: `follow-mode-${mode}`, value: mode, checked: mode === 'ascii',
	}));
	const direction = h('select', { id: 'follow-direction' },
		h('option', { value: 'both' }, 'Both directions'),
		h('option', { value: 'client' }, 'Client to server only'),
		h('option', { value: 'server' }, 'Server to client only'));
	const downloadClient = h('button', { type: 'button', id: 'follow-download-client', class: 'secondary', disabled: true }, 'Download client bytes');
	const downloadServer = h('button', { type: 'button', id: 'follow-download-server', class: 'secondary', disabled: true }, 'Download server bytes');
	const links = h('p', { class: 'follow-links' });
	const text = h('pre', {
		class: 'follow-text', id: 'follow-text', tabindex: '0', role: 'region', 'aria-label': 'Stream content',
	});
	const note = h('p', { class: 'help follow-note' });
	const state = { key: null, data: null, chunks: [], target: null, controller: null, from: null };

	const mode = () => modeInputs.find((input) => input.checked).value;

	function render() {
		const { chunks } = state;
		const wanted = direction.value;
		const offsets = { client: 0, server: 0 };
		let shown = 0;
		let cut = false;
		const pieces = [];
		for (const chunk of chunks) {
			const start = offsets[chunk.from];
			offsets[chunk.from] += chunk.bytes.length;
			if (wanted !== 'both' && chunk.from !== wanted)
				continue;
			if (shown + chunk.bytes.length > MAX_SHOWN_BYTES) {
				cut = true;
				break;
			}
			shown += chunk.bytes.length;
			let body;
			if (mode() === 'ascii')
				body = asciiOf(chunk.bytes);
			else if (mode() === 'hex')
				body = hexDump(chunk.bytes, start);
			else
				body = `${chunk.from === 'server' ? '\t' : ''}${hexOf(chunk.bytes)}\n`;
			pieces.push(h('span', {
				class: `chunk ${chunk.from}`, 'data-from': chunk.from, 'data-frame': String(chunk.frame),
				title: `${chunk.from === 'client' ? 'Client' : 'Server'}, frame ${chunk.frame}, ${chunk.bytes.length} bytes`,
			}, body));
		}
		text.replaceChildren(...pieces);
		text.dataset.mode = mode();
		note.textContent = cut ? `Only the first ${formatNumber(MAX_SHOWN_BYTES)} bytes are shown; the downloads hold everything.`
			: chunks.length === 0 ? 'This stream carries no payload.' : 'Click a chunk to open its frame in the list of this stream.';
	}

	function sideBytes(side) {
		const parts = state.chunks.filter((c) => c.from === side).map((c) => c.bytes);
		return new Blob(parts, { type: 'application/octet-stream' });
	}

	function download(side) {
		const t = state.target;
		const name = `${(ctx.info?.filename || captureId).replace(/\.[^.]*$/, '')}-${t.proto}-stream-${t.stream}${t.substream === undefined ? '' : `-${t.substream}`}-${side}.bin`;
		saveBlob(sideBytes(side), name);
	}

	async function load(target, from) {
		state.controller?.abort();
		const controller = new AbortController();
		state.controller = controller;
		state.target = target;
		state.data = null;
		state.chunks = [];
		heading.textContent = `Follow ${followLabel(target)}`;
		endpoints.textContent = '';
		holder.replaceChildren();
		text.replaceChildren();
		note.textContent = 'Loading…';
		text.setAttribute('aria-busy', 'true');
		downloadClient.disabled = true;
		downloadServer.disabled = true;
		links.replaceChildren(h('a', { href: ctx.packetsHash({ frame: from }) }, '← Back to the packets'));
		let data;
		try {
			data = await api.follow(captureId, target, controller.signal);
		} catch (failure) {
			if (failure.name !== 'AbortError') {
				text.removeAttribute('aria-busy');
				note.textContent = '';
				holder.replaceChildren(errorText(failure));
			}
			return;
		}
		text.removeAttribute('aria-busy');
		state.data = data;
		state.chunks = data.chunks.map((c) => ({ from: c.from, frame: c.frame, bytes: decode(c.data) }));
		const side = (name, e) => `${name} ${e.address}${e.port !== undefined && e.port !== null ? `:${e.port}` : ''}: ${formatNumber(e.bytes)} bytes`;
		endpoints.replaceChildren(
			h('span', { class: 'legend client' }, side('Client', data.client)), ' · ',
			h('span', { class: 'legend server' }, side('Server', data.server)));
		downloadClient.disabled = false;
		downloadServer.disabled = false;
		links.append(' · ', filterLink(captureId, data.filter, `Filter packets: ${data.filter}`));
		render();
		announce(`${heading.textContent}: ${data.chunks.length} chunks`);
	}

	for (const input of modeInputs)
		input.addEventListener('change', render);
	direction.addEventListener('change', render);
	downloadClient.addEventListener('click', () => download('client'));
	downloadServer.addEventListener('click', () => download('server'));
	text.addEventListener('click', (event) => {
		const chunk = event.target.closest('[data-frame]');
		// As Wireshark's follow does, the list then shows the stream (its filter), at that frame.
		if (chunk && state.data)
			window.location.hash = ctx.packetsHash({ filter: state.data.filter, frame: Number(chunk.dataset.frame) });
	});

	const controls = h('div', { class: 'follow-controls' },
		h('fieldset', { class: 'follow-modes' }, h('legend', {}, 'Show as'),
			modeInputs.map((input, i) => h('label', { class: 'check', for: input.id }, input, ` ${['ASCII', 'Hex dump', 'Raw'][i]}`))),
		h('div', { class: 'field' }, h('label', { for: 'follow-direction' }, 'Direction'), direction),
		h('div', { class: 'button-row' }, downloadClient, downloadServer));
	const element = h('section', { class: 'card follow-view', id: 'section-follow', 'aria-labelledby': 'follow-heading' },
		heading, links, endpoints, controls, holder, note, text);

	return {
		element,
		show(route) {
			const target = parseTarget(route);
			if (!target) {
				holder.replaceChildren(h('p', { class: 'error' }, 'This address names no stream to follow.'));
				return;
			}
			const from = Number(route.params?.frame) || null;
			const key = JSON.stringify([target, from]);
			if (key !== state.key) {
				state.key = key;
				load(target, from);
			}
		},
	};
}
