// sortable-table.js: a table whose column headers are buttons that sort it (aria-sort tells
// screen readers which). Rows beyond `maxRows` are not put in the DOM, so a 500-stream
// capture stays fast; the caption says how many are shown.
// SPDX-License-Identifier: GPL-2.0-or-later
import { formatNumber, h } from './dom.js';

function compare(a, b, numeric) {
	if (numeric)
		return (Number(a) || 0) - (Number(b) || 0);
	return String(a ?? '').localeCompare(String(b ?? ''), 'en', { numeric: true });
}

// columns: [{key, label, numeric, value(row), format(value, row) (text or a node), sortable}]
export function sortableTable({ caption, columns, rows, sort = null, maxRows = 1000, label }) {
	const state = { key: sort ? sort.key : null, descending: sort ? sort.descending : false };
	const tbody = h('tbody');
	const note = h('span', { class: 'table-note' });
	const headerCells = [];
	const valueOf = (column, row) => (column.value ? column.value(row) : row[column.key]);

	function render() {
		let sorted = rows;
		const column = columns.find((c) => c.key === state.key);
		if (column) {
			// Stable both ways: equal rows keep the server's order.
			const direction = state.descending ? -1 : 1;
			sorted = [...rows].sort((a, b) => direction * compare(valueOf(column, a), valueOf(column, b), column.numeric));
		}
		const shown = sorted.slice(0, maxRows);
		tbody.replaceChildren(...shown.map((row) => h('tr', {}, columns.map((c) => {
			const value = valueOf(c, row);
			const text = c.format ? c.format(value, row) : (c.numeric ? formatNumber(value) : value);
			return h('td', { 'data-column': c.key, class: c.numeric ? 'numeric' : null }, text ?? '');
		}))));
		note.textContent = rows.length > shown.length
			? ` (first ${shown.length} of ${rows.length} rows)` : ` (${rows.length} ${rows.length === 1 ? 'row' : 'rows'})`;
		for (const { cell, column: c } of headerCells) {
			const active = c.key === state.key;
			cell.setAttribute('aria-sort', active ? (state.descending ? 'descending' : 'ascending') : 'none');
			cell.querySelector('.sort-mark').textContent = active ? (state.descending ? ' ▼' : ' ▲') : '';
		}
	}

	const headRow = h('tr', {}, columns.map((c) => {
		if (c.sortable === false)
			return h('th', { scope: 'col' }, c.label);
		const cell = h('th', { scope: 'col', class: c.numeric ? 'numeric' : null },
			h('button', {
				type: 'button',
				class: 'sort-button',
				onclick: () => {
					// Numbers read best largest first; text A to Z.
					state.descending = state.key === c.key ? !state.descending : Boolean(c.numeric);
					state.key = c.key;
					render();
				},
			}, c.label, h('span', { class: 'sort-mark', 'aria-hidden': 'true' })));
		headerCells.push({ cell, column: c });
		return cell;
	}));
	const table = h('table', { class: 'data-table', 'aria-label': label || null },
		caption ? h('caption', {}, caption, note) : null,
		h('thead', {}, headRow), tbody);
	render();
	return h('div', { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': label || caption || 'table' }, table);
}
