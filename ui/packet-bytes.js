// packet-bytes.js: the bytes pane, a region labelled "Packet bytes": offset, hex and ASCII
// columns, 16 bytes a line, of one data source of the frame (GET frames/N's "data_sources": the
// frame, and reassembled, decompressed or decrypted bytes), the sources as tabs under it. The
// selected tree node's bytes are wrapped in <mark>; a click on a byte says which one it was
// (onByteClick), so the tree can select the deepest node covering it. Must not fetch anything.
// SPDX-License-Identifier: GPL-2.0-or-later
import { h } from './dom.js';

const BYTES_PER_LINE = 16;

function hexToBytes(hex) {
	const bytes = new Uint8Array(hex.length / 2);
	for (let i = 0; i < bytes.length; i++)
		bytes[i] = parseInt(hex.substr(i * 2, 2), 16);
	return bytes;
}

const printable = (byte) => (byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : '.');
const hex2 = (byte) => byte.toString(16).padStart(2, '0');

export function packetBytes({ onByteClick }) {
	const dump = h('div', {
		class: 'hex-dump', id: 'bytes-panel', role: 'tabpanel', tabindex: '0', 'aria-label': 'Bytes',
	});
	const tabs = h('div', { role: 'tablist', class: 'bytes-tabs', 'aria-label': 'Data sources' });
	const element = h('section', { class: 'bytes-pane', role: 'region', 'aria-label': 'Packet bytes' }, dump, tabs);
	const state = { sources: [], current: 0, bytes: new Uint8Array(0), lines: [], mark: null, digits: 4 };

	function markedIn(start, end) {
		const { mark } = state;
		if (!mark || mark.source !== state.current)
			return null;
		const from = Math.max(mark.offset, start);
		const to = Math.min(mark.offset + mark.length, end);
		return from < to ? { from, to } : null;
	}

	// One part (hex or ASCII) of a line: a span per byte, the marked run inside one <mark>.
	function part(start, end, text, separatorAfter) {
		const marked = markedIn(start, end);
		const out = [];
		let holder = null;
		for (let i = start; i < end; i++) {
			const inMark = Boolean(marked) && i >= marked.from && i < marked.to;
			if (inMark && !holder) {
				holder = h('mark');
				out.push(holder);
			}
			const span = h('span', { 'data-o': String(i) }, text(state.bytes[i]));
			if (inMark)
				holder.append(span);
			else
				out.push(span);
			// A separator between two marked bytes belongs inside the mark.
			const runGoesOn = inMark && i + 1 < marked.to;
			const separator = separatorAfter(i, end);
			if (separator && runGoesOn)
				holder.append(separator);
			else if (separator)
				out.push(separator);
			if (!runGoesOn)
				holder = null;
		}
		return out;
	}

	function lineElement(line) {
		const start = line * BYTES_PER_LINE;
		const end = Math.min(start + BYTES_PER_LINE, state.bytes.length);
		return h('div', { class: 'hex-line', 'data-line': String(line) },
			h('span', { class: 'hex-offset' }, start.toString(16).padStart(state.digits, '0')),
			h('span', { class: 'hex-bytes' }, part(start, end, hex2,
				(i, e) => (i + 1 < e ? ((i + 1) % BYTES_PER_LINE === 8 ? '  ' : ' ') : ''))),
			h('span', { class: 'hex-ascii' }, part(start, end, printable,
				(i, e) => ((i + 1) % BYTES_PER_LINE === 8 && i + 1 < e ? ' ' : ''))));
	}

	function renderSource() {
		const source = state.sources[state.current];
		state.bytes = source ? hexToBytes(source.bytes) : new Uint8Array(0);
		state.digits = state.bytes.length > 0xffff ? 8 : 4;
		const count = Math.ceil(state.bytes.length / BYTES_PER_LINE);
		state.lines = [];
		for (let line = 0; line < count; line++)
			state.lines.push(lineElement(line));
		dump.replaceChildren(...state.lines);
		dump.setAttribute('aria-labelledby', `bytes-tab-${state.current}`);
		for (const [i, tab] of [...tabs.children].entries()) {
			tab.setAttribute('aria-selected', i === state.current ? 'true' : 'false');
			tab.tabIndex = i === state.current ? 0 : -1;
		}
	}

	function linesOf(mark) {
		if (!mark || mark.source !== state.current || !(mark.length > 0))
			return [];
		const first = Math.floor(mark.offset / BYTES_PER_LINE);
		const last = Math.min(Math.floor((mark.offset + mark.length - 1) / BYTES_PER_LINE), state.lines.length - 1);
		const out = [];
		for (let line = first; line <= last; line++)
			out.push(line);
		return out;
	}

	function selectTab(index, { focus = false } = {}) {
		if (index < 0 || index >= state.sources.length)
			return;
		state.current = index;
		renderSource();
		if (focus)
			tabs.children[index].focus();
	}

	dump.addEventListener('click', (event) => {
		const span = event.target.closest('[data-o]');
		if (span)
			onByteClick?.(state.current, Number(span.dataset.o));
	});
	tabs.addEventListener('keydown', (event) => {
		const moves = { ArrowRight: 1, ArrowLeft: -1 };
		if (!(event.key in moves) && event.key !== 'Home' && event.key !== 'End')
			return;
		event.preventDefault();
		const count = state.sources.length;
		const next = event.key === 'Home' ? 0 : event.key === 'End' ? count - 1 : (state.current + moves[event.key] + count) % count;
		selectTab(next, { focus: true });
	});

	return {
		element,
		get source() { return state.current; },

		show(sources) {
			state.sources = sources || [];
			state.current = 0;
			state.mark = null;
			tabs.replaceChildren(...state.sources.map((source, i) => h('button', {
				type: 'button', role: 'tab', id: `bytes-tab-${i}`, class: 'bytes-tab', 'aria-controls': 'bytes-panel',
				onclick: () => selectTab(i),
			}, source.name)));
			tabs.hidden = state.sources.length < 2;
			renderSource();
		},

		clear() {
			this.show([]);
		},

		// Marks (source, offset, length), switching to that source's tab; null unmarks.
		highlight(mark) {
			const valid = mark && mark.length > 0 && mark.source < state.sources.length ? mark : null;
			if (valid && valid.source !== state.current) {
				state.mark = valid;
				selectTab(valid.source);
			} else {
				const touched = new Set([...linesOf(state.mark), ...linesOf(valid)]);
				state.mark = valid;
				for (const line of touched) {
					const fresh = lineElement(line);
					state.lines[line].replaceWith(fresh);
					state.lines[line] = fresh;
				}
			}
			const first = linesOf(state.mark)[0];
			if (first !== undefined) {
				// Scroll the dump only, never the page.
				const line = state.lines[first];
				if (line.offsetTop < dump.scrollTop || line.offsetTop + line.offsetHeight > dump.scrollTop + dump.clientHeight)
					dump.scrollTop = Math.max(line.offsetTop - dump.clientHeight / 3, 0);
			}
		},
	};
}
