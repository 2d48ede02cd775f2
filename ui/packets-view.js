// packets-view.js: the capture page's packet viewer, as Wireshark's main window: the display
// filter bar, the packet list (packet-list.js), and the selected frame's protocol tree
// (packet-tree.js) beside its bytes (packet-bytes.js), with "apply as filter", "add as
// column" and follow-stream links for the frame. Its state (filter, selected frame, two-pass,
// added columns) lives in the URL (location.js), so a link shows a colleague the same view.
// SPDX-License-Identifier: GPL-2.0-or-later
import { api } from './api.js';
import { announce, formatNumber, h } from './dom.js';
import { filterInput } from './filter-input.js';
import { captureHash, parseCaptureRoute, recordState } from './location.js';
import { packetBytes } from './packet-bytes.js';
import { packetList } from './packet-list.js';
import { packetTree } from './packet-tree.js';

const DETAIL_DELAY_MS = 60;
// A value that reads as a number, address or byte string goes into a filter as it is; other
// text is quoted (and the other form tried when libwireshark refuses the first).
const LITERAL = /^(-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?|0x[0-9a-fA-F]+|[0-9a-fA-F]{2}([:.-][0-9a-fA-F]{2})+|[0-9]{1,3}(\.[0-9]{1,3}){3}(\/[0-9]{1,2})?|[0-9a-fA-F]*:[0-9a-fA-F:.]*)$/;
const FOLLOW_NAMES = { tcp: 'TCP', udp: 'UDP', tls: 'TLS', http: 'HTTP', http2: 'HTTP/2', quic: 'QUIC' };

// A string value as a filter literal. Values come as Wireshark shows them: non-printable
// bytes already written as C escapes (\r, \x01, \012), which a filter string reads back the
// same way; any other backslash and every double quote are escaped.
function quote(text) {
	return `"${text.replace(/\\(?![abfnrtv\\"]|x[0-9a-fA-F]{2}|[0-7]{3})/g, '\\\\').replace(/(?<!\\)"/g, '\\"')}"`;
}

// The filters that select this node's field and value, most likely first.
function filterCandidates(node) {
	if (!node || !node.abbrev)
		return [];
	if (node.value === undefined || node.value === null || node.value === '')
		return [node.abbrev];
	const bare = `${node.abbrev} == ${node.value}`;
	const quoted = `${node.abbrev} == ${quote(String(node.value))}`;
	return LITERAL.test(String(node.value)) ? [bare, quoted] : [quoted, bare];
}

// Streams this frame belongs to, as follow/<proto>/<stream>[/<substream>] takes them.
function followTargets(tree) {
	const values = new Map();
	const protocols = new Set();
	const walk = (nodes) => {
		for (const node of nodes || []) {
			if (node.abbrev && !node.abbrev.includes('.'))
				protocols.add(node.abbrev);
			if (node.abbrev && node.value !== undefined && node.value !== '') {
				if (!values.has(node.abbrev))
					values.set(node.abbrev, []);
				values.get(node.abbrev).push(node.value);
			}
			walk(node.children);
		}
	};
	walk(tree);
	const first = (name) => (values.has(name) ? Number(values.get(name)[0]) : null);
	const unique = (name) => [...new Set((values.get(name) || []).map(Number))].filter((n) => n > 0);
	const targets = [];
	const tcp = first('tcp.stream');
	const udp = first('udp.stream');
	if (tcp !== null) {
		targets.push({ proto: 'tcp', stream: tcp });
		if (protocols.has('tls'))
			targets.push({ proto: 'tls', stream: tcp });
		if (protocols.has('http'))
			targets.push({ proto: 'http', stream: tcp });
		for (const id of unique('http2.streamid'))
			targets.push({ proto: 'http2', stream: tcp, substream: id });
	}
	if (udp !== null)
		targets.push({ proto: 'udp', stream: udp });
	const quic = first('quic.connection.number');
	if (quic !== null) {
		for (const id of [...new Set((values.get('quic.stream.stream_id') || []).map(Number))])
			targets.push({ proto: 'quic', stream: quic, substream: id });
	}
	return targets;
}

export function followLabel(target) {
	const name = FOLLOW_NAMES[target.proto] || target.proto.toUpperCase();
	return target.substream === undefined || target.substream === null
		? `${name} stream ${target.stream}` : `${name} stream ${target.stream}, substream ${target.substream}`;
}

function paramsOf(route) {
	const p = route.params || {};
	const frame = Number(p.frame);
	return {
		filter: p.filter || '',
		passes: p.passes === '2' ? 2 : 1,
		columns: (p.columns || '').split(',').map((c) => c.trim()).filter(Boolean),
		colors: p.colors !== 'off',
		frame: Number.isInteger(frame) && frame > 0 ? frame : null,
	};
}

const listKey = (q) => JSON.stringify([q.filter, q.passes, q.columns, q.colors]);

export function packetsView(captureId) {
	const state = {
		query: null, // what the list shows: {filter, passes, columns, colors}
		frame: null, // the frame shown in the detail
		detail: null,
		detailController: null,
		detailTimer: 0,
		focusTreeWhenLoaded: false,
		totalFrames: null,
	};
	const filter = filterInput({ id: 'packet-filter', label: 'Display filter', inline: true, detached: true });
	const status = h('p', { class: 'packet-status', id: 'packet-status', role: 'status' }, 'Loading…');
	const gotoInput = h('input', { id: 'goto-frame', type: 'number', min: '1', inputmode: 'numeric', class: 'goto-input' });
	const twoPass = h('input', { id: 'two-pass', type: 'checkbox' });
	const colors = h('input', { id: 'color-rows', type: 'checkbox', checked: true });
	const detailHeading = h('h2', { id: 'detail-heading', class: 'pane-heading' }, 'Packet details');
	const fieldStatus = h('p', { id: 'field-status', class: 'help field-status', 'aria-live': 'polite' }, 'Select a frame in the list.');
	const followBar = h('nav', { class: 'follow-bar', 'aria-label': 'Follow streams of this frame' });
	const comments = h('ul', { class: 'frame-comments', hidden: true });
	const buttons = {
		apply: h('button', { type: 'button', id: 'apply-as-filter', disabled: true }, 'Apply as filter'),
		prepare: h('button', { type: 'button', id: 'prepare-filter', class: 'secondary', disabled: true }, 'Prepare as filter'),
		column: h('button', { type: 'button', id: 'add-column', class: 'secondary', disabled: true }, 'Add as column'),
		expand: h('button', { type: 'button', id: 'expand-all', class: 'secondary', disabled: true }, 'Expand all'),
		collapse: h('button', { type: 'button', id: 'collapse-all', class: 'secondary', disabled: true }, 'Collapse all'),
	};

	const tree = packetTree({ onSelect: selectNode });
	const bytes = packetBytes({
		onByteClick: (source, offset) => {
			const node = tree.selectByte(source, offset);
			if (!node)
				fieldStatus.textContent = `No item covers byte ${offset} of ${state.detail?.data_sources[source]?.name ?? 'this source'}.`;
		},
	});
	const list = packetList({
		onSelect: (frame) => {
			// The same frame again (the list reloaded for a filter or a column): its tree, with
			// what is open and selected in it, stays.
			if (frame !== state.frame || !state.detail)
				scheduleDetail(frame);
			record();
		},
		onOpen: (frame) => {
			if (state.frame === frame && state.detail)
				tree.focus();
			else
				state.focusTreeWhenLoaded = true;
		},
		onRemoveColumn: (field) => changeList({ columns: state.query.columns.filter((c) => c !== field) }),
		onStatus: () => showStatus(),
	});

	// ---- the list ----

	function showStatus(text) {
		if (text) {
			status.textContent = text;
			return;
		}
		const matched = list.matched;
		if (matched === null)
			return;
		const total = state.totalFrames;
		if (!state.query.filter)
			status.textContent = `${formatNumber(matched)} ${matched === 1 ? 'frame' : 'frames'}`;
		else if (total)
			status.textContent = `Displayed: ${formatNumber(matched)} of ${formatNumber(total)} frames (${(matched / total * 100).toFixed(1)}%)`;
		else
			status.textContent = `Displayed: ${formatNumber(matched)} frames`;
		if (state.query.passes === 2)
			status.textContent += ' · two-pass';
	}

	function params() {
		const q = state.query;
		return q ? {
			filter: q.filter, frame: list.selectedFrame ?? undefined, passes: q.passes === 2 ? 2 : undefined,
			columns: q.columns.join(','), colors: q.colors ? undefined : 'off',
		} : {};
	}

	// Only while the packets are the view shown: a late answer must not take the address
	// from another view.
	function record({ push = false } = {}) {
		if (state.query && parseCaptureRoute(window.location.hash)?.view === 'packets')
			recordState(captureHash(captureId, 'packets', params()), { push });
	}

	// Loads the list for a query, then selects `frame`: a frame the address names, or the
	// next one in the list when it is not there (nearest); the frame that was selected when
	// the filter changed stays selected only if the new list holds it.
	async function loadList(query, frame, { nearest = true } = {}) {
		state.query = query;
		filter.value = query.filter;
		twoPass.checked = query.passes === 2;
		colors.checked = query.colors;
		showStatus('Loading…');
		try {
			await list.load(captureId, query);
		} catch (failure) {
			if (failure.name === 'AbortError')
				return;
			showStatus('The list could not be made.');
			if (failure.status === 400)
				filter.showError(failure.message);
			clearDetail('');
			return;
		}
		showStatus();
		if (frame) {
			const found = await list.selectFrame(frame, { nearest });
			if (!found || !found.exact) {
				announce(`Frame ${frame} is not in this list.`);
				if (!found || !nearest)
					clearDetail('Select a frame in the list.');
			}
		} else {
			clearDetail('Select a frame in the list.');
		}
	}

	async function changeList(change) {
		const query = { ...state.query, ...change };
		const keep = list.selectedFrame;
		await loadList(query, keep, { nearest: false });
		record({ push: true });
	}

	async function applyFilter(text) {
		filter.value = text;
		const verdict = await filter.check().catch(() => ({ valid: true }));
		if (!verdict.valid) {
			filter.input.focus();
			return false;
		}
		await changeList({ filter: text.trim() });
		announce(list.matched === null ? 'The filter could not be applied.'
			: `${formatNumber(list.matched)} frames match.`);
		return true;
	}

	// ---- the detail ----

	function clearDetail(message) {
		window.clearTimeout(state.detailTimer);
		state.detailController?.abort();
		state.frame = null;
		state.detail = null;
		detailHeading.textContent = 'Packet details';
		tree.clear(message);
		bytes.clear();
		followBar.replaceChildren();
		comments.hidden = true;
		selectNode(null);
		fieldStatus.textContent = '';
	}

	function scheduleDetail(frame) {
		window.clearTimeout(state.detailTimer);
		// Holding an arrow key moves through many frames: only the one it stops on is asked for.
		state.detailTimer = window.setTimeout(() => loadDetail(frame), DETAIL_DELAY_MS);
	}

	async function loadDetail(frame) {
		state.detailController?.abort();
		const controller = new AbortController();
		state.detailController = controller;
		detailHeading.textContent = `Frame ${frame}`;
		tree.element.setAttribute('aria-busy', 'true');
		fieldStatus.textContent = `Loading frame ${frame}…`;
		let detail;
		try {
			detail = await api.frame(captureId, frame, { passes: state.query.passes }, controller.signal);
		} catch (failure) {
			if (failure.name !== 'AbortError') {
				tree.element.removeAttribute('aria-busy');
				tree.clear(`Could not load frame ${frame}: ${failure.message}`);
				fieldStatus.textContent = failure.message;
			}
			return;
		}
		tree.element.removeAttribute('aria-busy');
		state.frame = frame;
		state.detail = detail;
		tree.show(detail.tree);
		bytes.show(detail.data_sources);
		selectNode(null);
		fieldStatus.textContent = `Frame ${frame}: ${detail.data_sources.map((s) => s.name).join(', ')}`;
		const notes = [...(detail.comments || []).map((c) => `Comment: ${c}`),
			...(detail.annotations || []).map((a) => `Annotation: ${typeof a === 'string' ? a : a.text ?? JSON.stringify(a)}`)];
		comments.replaceChildren(...notes.map((n) => h('li', {}, n)));
		comments.hidden = notes.length === 0;
		renderFollowBar(detail.tree);
		buttons.expand.disabled = false;
		buttons.collapse.disabled = false;
		if (state.focusTreeWhenLoaded) {
			state.focusTreeWhenLoaded = false;
			tree.focus();
		}
	}

	function renderFollowBar(nodes) {
		const targets = followTargets(nodes);
		followBar.replaceChildren(...(targets.length === 0 ? [] : [h('span', { class: 'follow-label' }, 'Follow:'),
			...targets.map((t) => h('a', {
				class: 'follow-link', 'data-proto': t.proto,
				href: captureHash(captureId, 'follow', { frame: state.frame },
					[t.proto, String(t.stream), ...(t.substream === undefined ? [] : [String(t.substream)])]),
			}, followLabel(t)))]));
	}

	function selectNode(node) {
		const hasField = Boolean(node?.abbrev);
		buttons.apply.disabled = !hasField;
		buttons.prepare.disabled = !hasField;
		buttons.column.disabled = !hasField;
		if (!node) {
			bytes.highlight(null);
			return;
		}
		bytes.highlight({ source: node.source ?? 0, offset: node.offset, length: node.length });
		const where = node.length > 0 ? ` · bytes ${node.offset}–${node.offset + node.length - 1}` : '';
		fieldStatus.textContent = node.abbrev ? `${node.abbrev}${where}` : `Text item${where}`;
	}

	// libwireshark decides: the first candidate it accepts; else its words on the first.
	async function nodeFilter(node) {
		const candidates = filterCandidates(node);
		if (candidates.length === 0)
			return { error: 'This item is text only: it has no field to filter on.' };
		let firstError = null;
		for (const candidate of candidates) {
			const verdict = await api.checkFilter(candidate);
			if (verdict.valid)
				return { filter: candidate };
			firstError ??= `libwireshark refuses ${candidate}: ${verdict.error}`;
		}
		return { error: firstError };
	}

	async function filterFromNode(apply) {
		const node = tree.selectedNode;
		fieldStatus.textContent = 'Checking the filter…';
		let answer;
		try {
			answer = await nodeFilter(node);
		} catch (failure) {
			answer = { error: `Could not check the filter: ${failure.message}` };
		}
		if (answer.error) {
			fieldStatus.textContent = answer.error;
			fieldStatus.classList.add('error');
			return;
		}
		fieldStatus.classList.remove('error');
		fieldStatus.textContent = `Filter: ${answer.filter}`;
		if (apply)
			await applyFilter(answer.filter);
		else {
			filter.value = answer.filter;
			filter.input.focus();
		}
	}

	buttons.apply.addEventListener('click', () => filterFromNode(true));
	buttons.prepare.addEventListener('click', () => filterFromNode(false));
	buttons.column.addEventListener('click', () => {
		const node = tree.selectedNode;
		if (!node?.abbrev)
			return;
		if (state.query.columns.includes(node.abbrev)) {
			fieldStatus.textContent = `${node.abbrev} is a column already.`;
			return;
		}
		if (state.query.columns.length >= list.maxColumns) {
			fieldStatus.textContent = `At most ${list.maxColumns} added columns.`;
			return;
		}
		changeList({ columns: [...state.query.columns, node.abbrev] });
		announce(`Column ${node.abbrev} added.`);
	});
	buttons.expand.addEventListener('click', () => tree.expandAll());
	buttons.collapse.addEventListener('click', () => tree.collapseAll());
	twoPass.addEventListener('change', () => changeList({ passes: twoPass.checked ? 2 : 1 }));
	colors.addEventListener('change', () => changeList({ colors: colors.checked }));

	const filterForm = h('form', {
		class: 'packet-toolbar', role: 'search', 'aria-label': 'Packet list',
		onsubmit: (event) => {
			event.preventDefault();
			applyFilter(filter.value);
		},
	},
	filter.element,
	h('div', { class: 'toolbar-buttons' },
		h('button', { type: 'submit', id: 'apply-filter' }, 'Apply'),
		h('button', {
			type: 'button', id: 'clear-filter', class: 'secondary',
			onclick: () => { if (filter.value !== '' || state.query.filter !== '') applyFilter(''); },
		}, 'Clear')));
	const gotoForm = h('form', {
		class: 'goto-form',
		onsubmit: async (event) => {
			event.preventDefault();
			const frame = Number(gotoInput.value);
			if (!Number.isInteger(frame) || frame < 1)
				return;
			const found = await list.selectFrame(frame);
			if (!found)
				announce('The list is empty.');
			else if (!found.exact)
				announce(`Frame ${frame} is not in this list; the next one that is was selected.`);
			list.focus();
		},
	},
	h('label', { for: 'goto-frame' }, 'Go to frame'), gotoInput, h('button', { type: 'submit', class: 'secondary' }, 'Go'));
	const options = h('div', { class: 'packet-options' },
		gotoForm,
		h('label', { class: 'check' }, twoPass, ' Two-pass view'),
		h('label', { class: 'check' }, colors, ' Colour rows'));

	const element = h('section', { class: 'packets-view', 'aria-labelledby': 'packets-heading' },
		h('h2', { id: 'packets-heading', class: 'visually-hidden' }, 'Packets'),
		h('div', { class: 'packet-controls' }, filterForm, options),
		h('div', { class: 'packet-status-row' }, filter.status, status),
		list.element,
		h('div', { class: 'packet-lower' },
			h('section', { class: 'detail-pane', 'aria-labelledby': 'detail-heading' },
				h('div', { class: 'detail-head' }, detailHeading,
					h('div', { class: 'detail-toolbar', role: 'toolbar', 'aria-label': 'Selected item' },
						buttons.apply, buttons.prepare, buttons.column, buttons.expand, buttons.collapse)),
				fieldStatus, followBar, comments,
				h('div', { class: 'tree-scroll' }, tree.element)),
			bytes.element));

	return {
		element,
		set totalFrames(count) {
			state.totalFrames = count;
			showStatus();
		},

		// The address changed (a link, the back button, a reload): show what it says.
		async show(route) {
			const wanted = paramsOf(route);
			if (!state.query || listKey(wanted) !== listKey(state.query)) {
				await loadList(wanted, wanted.frame);
				record();
			} else if (wanted.frame && wanted.frame !== list.selectedFrame) {
				await list.selectFrame(wanted.frame);
			}
		},

		// The capture's results changed (a key log came or went): everything again.
		async refresh() {
			if (!state.query)
				return;
			const frame = list.selectedFrame;
			clearDetail('');
			await loadList(state.query, frame);
		},

		params,
		focusList() { list.focus(); },
	};
}
