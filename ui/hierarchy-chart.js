// hierarchy-chart.js: the protocol hierarchy as an inline SVG bar chart (no library): one row
// per protocol node, indented by depth, the bar's length the node's share of all frames. A
// table with the same numbers follows in a <details>, for screen readers and copying.
// SPDX-License-Identifier: GPL-2.0-or-later
import { formatNumber, h, svg } from './dom.js';

const ROW_HEIGHT = 24;
const LABEL_WIDTH = 220;
const BAR_WIDTH = 420;
const INDENT = 14;

function flatten(protos, depth, out) {
	for (const node of protos || []) {
		out.push({ proto: node.proto, frames: node.frames, bytes: node.bytes, depth });
		flatten(node.protos, depth + 1, out);
	}
	return out;
}

export function hierarchyChart(hierarchy, totalFrames) {
	const rows = flatten(hierarchy.protos, 0, []);
	if (rows.length === 0)
		return h('p', {}, 'No protocols: the capture has no frames.');
	const total = totalFrames || Math.max(...rows.map((r) => r.frames), 1);
	const width = LABEL_WIDTH + BAR_WIDTH + 190;
	const height = rows.length * ROW_HEIGHT + 4;
	const titleId = 'hierarchy-chart-title';
	const chart = svg('svg', {
		class: 'hierarchy-chart', viewBox: `0 0 ${width} ${height}`, width, height,
		role: 'img', 'aria-labelledby': titleId,
	}, svg('title', { id: titleId }, `Protocol hierarchy: ${rows.length} protocols; share of ${formatNumber(total)} frames`));
	rows.forEach((row, index) => {
		const y = index * ROW_HEIGHT + 2;
		const share = Math.min(row.frames / total, 1);
		chart.append(svg('g', { class: 'hierarchy-row', 'data-proto': row.proto },
			svg('text', { x: 4 + row.depth * INDENT, y: y + 16, class: 'hierarchy-label' }, row.proto),
			svg('rect', { x: LABEL_WIDTH, y: y + 4, width: BAR_WIDTH, height: ROW_HEIGHT - 8, class: 'bar-track' }),
			svg('rect', {
				x: LABEL_WIDTH, y: y + 4, width: Math.max(share * BAR_WIDTH, 1), height: ROW_HEIGHT - 8,
				class: `bar depth-${Math.min(row.depth, 5)}`,
			}),
			svg('text', { x: LABEL_WIDTH + BAR_WIDTH + 8, y: y + 16, class: 'hierarchy-value' },
				`${(share * 100).toFixed(1)}% · ${formatNumber(row.frames)} fr · ${formatNumber(row.bytes)} B`)));
	});
	const table = h('table', { class: 'data-table' },
		h('caption', {}, 'Protocol hierarchy as a table'),
		h('thead', {}, h('tr', {},
			h('th', { scope: 'col' }, 'Protocol'),
			h('th', { scope: 'col', class: 'numeric' }, 'Frames'),
			h('th', { scope: 'col', class: 'numeric' }, 'Bytes'))),
		h('tbody', {}, rows.map((row) => h('tr', {},
			h('td', { 'data-column': 'proto' }, `${'  '.repeat(row.depth)}${row.proto}`),
			h('td', { class: 'numeric', 'data-column': 'frames' }, formatNumber(row.frames)),
			h('td', { class: 'numeric', 'data-column': 'bytes' }, formatNumber(row.bytes))))));
	return h('div', {},
		h('div', { class: 'chart-scroll' }, chart),
		h('details', {}, h('summary', {}, 'Show as a table'), table));
}
