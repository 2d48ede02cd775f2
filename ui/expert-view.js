// expert-view.js: expert information (GET expert), as Wireshark's dialog groups it: counts per
// severity, then per severity the groups (count, group, protocol, summary) as tshark -z expert
// prints them, each with a link to its packets (the list filtered on its message) and to its
// first frame when the items in the page have it; then every item in frame order, paged, each
// a link to its frame. An optional display filter narrows it all.
// SPDX-License-Identifier: GPL-2.0-or-later
import { api } from './api.js';
import { formatNumber, h } from './dom.js';
import { filterInput } from './filter-input.js';
import { sortableTable } from './sortable-table.js';
import { afterAnalysis, errorText, filterLink, frameLink, section } from './view-parts.js';

const ITEMS_PAGE = 500;
const SEVERITIES = [['error', 'Errors'], ['warn', 'Warnings'], ['note', 'Notes'], ['chat', 'Chats'], ['comment', 'Comments']];

const quote = (text) => `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

export function expertView(ctx) {
	const { captureId } = ctx;
	const filter = filterInput({ id: 'expert-filter', label: 'Display filter (optional)' });
	const counts = h('ul', { class: 'expert-counts', 'aria-label': 'Expert items per severity' });
	const groups = h('div', { class: 'expert-groups' });
	const items = h('div', { class: 'expert-items' });
	const pager = h('nav', { class: 'pager', 'aria-label': 'Expert item pages', hidden: true });
	const holder = h('div', {}, counts, groups, h('h3', { id: 'expert-items-heading' }, 'Items in frame order'), pager, items);
	const state = { filter: '', offset: 0, controller: null };

	function renderCounts(data) {
		counts.replaceChildren(...SEVERITIES.map(([key, name]) => h('li', { class: `severity-badge severity-${key}`, 'data-severity': key },
			h('span', { class: 'badge-name' }, name), ' ', h('span', { class: 'badge-count' }, formatNumber(data.counts[key] ?? 0)))));
	}

	function renderGroups(data) {
		const firstFrame = new Map();
		for (const item of data.items) {
			const key = `${item.severity}\u0000${item.group}\u0000${item.protocol}\u0000${item.message}`;
			if (!firstFrame.has(key))
				firstFrame.set(key, item.frame);
		}
		const blocks = SEVERITIES.map(([key, name]) => {
			const rows = data.groups.filter((g) => g.severity === key);
			if (rows.length === 0)
				return null;
			const total = rows.reduce((sum, g) => sum + g.count, 0);
			return h('section', { class: `expert-severity severity-${key}`, 'aria-labelledby': `expert-${key}-heading`, 'data-severity': key },
				h('h3', { id: `expert-${key}-heading` }, `${name} (${formatNumber(total)})`),
				sortableTable({
					label: `${name}: groups`,
					rows,
					sort: { key: 'count', descending: true },
					columns: [
						{ key: 'count', label: 'Count', numeric: true },
						{ key: 'group', label: 'Group' },
						{ key: 'protocol', label: 'Protocol' },
						{ key: 'summary', label: 'Summary' },
						{
							key: 'first', label: 'First frame', numeric: true,
							value: (g) => firstFrame.get(`${g.severity}\u0000${g.group}\u0000${g.protocol}\u0000${g.summary}`) ?? null,
							format: (v) => frameLink(captureId, v),
						},
						{
							key: 'packets', label: 'Packets', sortable: false, value: () => '',
							format: (v, g) => filterLink(captureId, `_ws.expert.message == ${quote(g.summary)}`, 'Packets',
								`Packets with “${g.summary}”`),
						},
					],
				}));
		}).filter(Boolean);
		groups.replaceChildren(...(blocks.length > 0 ? blocks : [h('p', {}, 'No expert information.')]));
	}

	function renderItems(data, offset) {
		const shown = data.items.length;
		items.replaceChildren(shown === 0 ? h('p', {}, offset === 0 ? 'No items.' : 'No more items.') : sortableTable({
			label: 'Expert items',
			caption: `Items ${formatNumber(offset + 1)} to ${formatNumber(offset + shown)}`,
			rows: data.items,
			columns: [
				{ key: 'frame', label: 'Frame', numeric: true, format: (v) => frameLink(captureId, v) },
				{ key: 'severity', label: 'Severity' },
				{ key: 'group', label: 'Group' },
				{ key: 'protocol', label: 'Protocol' },
				{ key: 'message', label: 'Message' },
			],
		}));
		const total = SEVERITIES.reduce((sum, [key]) => sum + (data.counts[key] ?? 0), 0);
		pager.hidden = total <= ITEMS_PAGE;
		pager.replaceChildren(
			h('button', { type: 'button', class: 'secondary', id: 'expert-previous', disabled: offset === 0, onclick: () => load(Math.max(offset - ITEMS_PAGE, 0)) }, 'Previous items'),
			h('span', {}, `${formatNumber(total)} items`),
			h('button', { type: 'button', class: 'secondary', id: 'expert-next', disabled: offset + shown >= total, onclick: () => load(offset + ITEMS_PAGE) }, 'Next items'));
	}

	async function load(offset = 0) {
		state.controller?.abort();
		state.controller = new AbortController();
		holder.setAttribute('aria-busy', 'true');
		try {
			const data = await api.expert(captureId, { filter: state.filter, limit: ITEMS_PAGE, offset }, state.controller.signal);
			renderCounts(data);
			if (offset === 0 || groups.childElementCount === 0)
				renderGroups(data);
			renderItems(data, offset);
		} catch (failure) {
			if (failure.name === 'AbortError')
				return;
			if (failure.status === 400)
				filter.showError(failure.message);
			groups.replaceChildren(errorText(failure));
			items.replaceChildren();
		} finally {
			holder.removeAttribute('aria-busy');
		}
	}

	const form = h('form', {
		class: 'inline-form',
		onsubmit: async (event) => {
			event.preventDefault();
			const verdict = await filter.check().catch(() => ({ valid: true }));
			if (!verdict.valid)
				return;
			state.filter = filter.value.trim();
			load(0);
		},
	}, filter.element, h('button', { type: 'submit', id: 'expert-apply' }, 'Apply'));
	const body = h('div');
	afterAnalysis(ctx, body, async () => {
		body.replaceChildren(holder);
		await load(0);
	});
	return { element: section('expert', 'Expert information', form, body) };
}
