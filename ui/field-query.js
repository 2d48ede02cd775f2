// field-query.js: the field query box of a capture page: field names plus a display filter,
// the filter checked by the server as you type (filter-input.js: libwireshark's own words),
// results paged with limit/offset (one row more than a page is asked for, to know
// whether a next page exists).
// SPDX-License-Identifier: GPL-2.0-or-later
import { api } from './api.js';
import { announce, h } from './dom.js';
import { filterInput } from './filter-input.js';
import { frameLink } from './view-parts.js';

const DEFAULT_FIELDS = 'ip.src,ip.dst,_ws.col.Protocol,_ws.col.Info';

export function fieldQuery(captureId) {
	const fieldsInput = h('input', {
		id: 'query-fields', type: 'text', value: DEFAULT_FIELDS, required: true, autocomplete: 'off',
		spellcheck: 'false', 'aria-describedby': 'query-fields-help',
	});
	const filter = filterInput({ id: 'query-filter', label: 'Display filter' });
	const pageSize = h('select', { id: 'query-page-size' },
		[25, 50, 100, 500].map((n) => h('option', { value: n, selected: n === 50 }, String(n))));
	const results = h('div', { class: 'query-results' });
	const pager = h('nav', { class: 'pager', 'aria-label': 'Result pages', hidden: true });
	const state = { offset: 0, fields: [], filter: '', controller: null };

	async function run(offset) {
		state.controller?.abort();
		state.controller = new AbortController();
		const limit = Number(pageSize.value);
		state.offset = offset;
		results.setAttribute('aria-busy', 'true');
		try {
			const data = await api.fields(captureId,
				{ fields: state.fields.join(','), filter: state.filter, limit: limit + 1, offset },
				state.controller.signal);
			const packets = data.packets.slice(0, limit);
			const more = data.packets.length > limit;
			results.replaceChildren(resultTable(packets, offset));
			renderPager(offset, limit, packets.length, more);
			announce(packets.length === 0 ? 'No frames match.' : `Rows ${offset + 1} to ${offset + packets.length}`);
		} catch (failure) {
			if (failure.name === 'AbortError')
				return;
			results.replaceChildren(h('p', { class: 'error', role: 'alert' }, failure.message));
			pager.hidden = true;
		} finally {
			results.removeAttribute('aria-busy');
		}
	}

	function resultTable(packets, offset) {
		if (packets.length === 0)
			return h('p', {}, offset === 0 ? 'No frames match.' : 'No more frames.');
		return h('div', { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': 'Query results' },
			h('table', { class: 'data-table', id: 'query-table' },
				h('caption', {}, `Frames ${offset + 1} to ${offset + packets.length} of the matches`),
				h('thead', {}, h('tr', {},
					h('th', { scope: 'col', class: 'numeric' }, 'Frame'),
					state.fields.map((f) => h('th', { scope: 'col' }, f)))),
				h('tbody', {}, packets.map((packet) => h('tr', {},
					h('td', { class: 'numeric', 'data-column': 'frame' }, frameLink(captureId, packet.frame)),
					state.fields.map((f) => h('td', { 'data-column': f }, packet.fields[f] ?? '')))))));
	}

	function renderPager(offset, limit, count, more) {
		pager.hidden = false;
		pager.replaceChildren(
			h('button', { type: 'button', id: 'query-previous', disabled: offset === 0, onclick: () => run(Math.max(offset - limit, 0)) }, 'Previous page'),
			h('span', { class: 'pager-position' }, count === 0 ? '' : `Rows ${offset + 1}–${offset + count}`),
			h('button', { type: 'button', id: 'query-next', disabled: !more, onclick: () => run(offset + limit) }, 'Next page'));
	}

	const form = h('form', {
		class: 'query-form',
		onsubmit: (event) => {
			event.preventDefault();
			state.fields = fieldsInput.value.split(',').map((f) => f.trim()).filter(Boolean);
			state.filter = filter.value.trim();
			run(0);
		},
	},
	h('div', { class: 'field wide' },
		h('label', { for: 'query-fields' }, 'Fields'), fieldsInput,
		h('p', { id: 'query-fields-help', class: 'help' }, 'Comma separated Wireshark field names, e.g. tcp.stream,dns.qry.name')),
	filter.element,
	h('div', { class: 'field' }, h('label', { for: 'query-page-size' }, 'Rows per page'), pageSize),
	h('button', { type: 'submit', id: 'query-run' }, 'Run query'));
	return h('div', {}, form, pager, results);
}
