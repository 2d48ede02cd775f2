// packet-tree.js: one frame's protocol tree (GET frames/N's "tree") as a WAI-ARIA tree labelled
// "Packet details": treeitems named by their label as Wireshark shows it, children in groups
// built when first expanded (a frame may have thousands of items), keyboard as the tree
// pattern says (Up/Down, Right/Left, Enter/Space, Home/End, * expands the siblings). Which
// subtrees are open is kept from frame to frame, by field name, as Wireshark keeps them.
// Selection follows focus and says which node (onSelect), so the bytes pane can mark its bytes;
// selectByte() finds the deepest node covering a byte. Must not fetch anything.
// SPDX-License-Identifier: GPL-2.0-or-later
import { h } from './dom.js';

const SEVERITY_NAMES = { error: 'Error', warn: 'Warning', note: 'Note', chat: 'Chat', comment: 'Comment' };

export function packetTree({ onSelect }) {
	const tree = h('ul', { role: 'tree', class: 'packet-tree', id: 'packet-tree', 'aria-label': 'Packet details' });
	const expandedKeys = new Set();
	let items = [];
	let selected = null;
	let nextId = 0;

	const keyOf = (node) => node.abbrev || `text:${String(node.label).replace(/[0-9]+/g, '#')}`;

	function build(nodes, level, parent) {
		return (nodes || []).map((node) => {
			const item = { node, level, parent, id: `tree-node-${nextId++}`, li: null, group: null, children: [] };
			item.children = build(node.children, level + 1, item);
			return item;
		});
	}

	function renderItem(item) {
		const { node } = item;
		const hasChildren = item.children.length > 0;
		const label = h('span', { class: 'tree-label', id: `${item.id}-label` }, node.label);
		const rowClasses = ['tree-row'];
		if (node.generated)
			rowClasses.push('generated');
		if (node.hidden)
			rowClasses.push('hidden-field');
		if (node.expert)
			rowClasses.push('expert', `expert-${node.expert.severity}`);
		const row = h('span', {
			class: rowClasses.join(' '), style: { '--level': item.level - 1 },
			title: node.expert ? `${SEVERITY_NAMES[node.expert.severity] || node.expert.severity} (${node.expert.group}): ${node.expert.message}`
				: node.abbrev || null,
		},
		h('span', { class: 'twisty', 'aria-hidden': 'true' }, hasChildren ? '▸' : ''), label);
		const li = h('li', {
			role: 'treeitem', id: item.id, 'aria-level': String(item.level), 'aria-selected': 'false', tabindex: '-1',
			'aria-labelledby': label.id, 'data-abbrev': node.abbrev || null,
		}, row);
		if (hasChildren)
			li.setAttribute('aria-expanded', 'false');
		item.li = li;
		li.sharkItem = item;
		if (hasChildren && expandedKeys.has(keyOf(node)))
			setExpanded(item, true, { remember: false });
		return li;
	}

	function setExpanded(item, expanded, { remember = true } = {}) {
		if (item.children.length === 0)
			return;
		if (expanded && !item.group) {
			item.group = h('ul', { role: 'group' }, item.children.map(renderItem));
			item.li.append(item.group);
		}
		if (item.group)
			item.group.hidden = !expanded;
		item.li.setAttribute('aria-expanded', expanded ? 'true' : 'false');
		item.li.querySelector(':scope > .tree-row > .twisty').textContent = expanded ? '▾' : '▸';
		if (remember) {
			if (expanded)
				expandedKeys.add(keyOf(item.node));
			else
				expandedKeys.delete(keyOf(item.node));
		}
	}

	const isExpanded = (item) => item.li?.getAttribute('aria-expanded') === 'true';

	function visibleItems() {
		return [...tree.querySelectorAll('[role="treeitem"]')].filter((li) => !li.parentElement.closest('[hidden]'))
			.map((li) => li.sharkItem);
	}

	// Opens the item's ancestors from the root down (each opening builds the next level).
	function reveal(item) {
		const chain = [];
		for (let up = item.parent; up; up = up.parent)
			chain.unshift(up);
		for (const up of chain) {
			if (!isExpanded(up))
				setExpanded(up, true);
		}
	}

	function select(item, { focus = true } = {}) {
		if (selected?.li) {
			selected.li.setAttribute('aria-selected', 'false');
			selected.li.tabIndex = -1;
		}
		selected = item;
		if (!item) {
			onSelect?.(null);
			return;
		}
		reveal(item);
		item.li.setAttribute('aria-selected', 'true');
		item.li.tabIndex = 0;
		if (focus)
			item.li.focus({ preventScroll: true });
		item.li.querySelector(':scope > .tree-row').scrollIntoView({ block: 'nearest', inline: 'nearest' });
		onSelect?.(item.node);
	}

	function itemOf(target) {
		return target.closest('[role="treeitem"]')?.sharkItem ?? null;
	}

	tree.addEventListener('click', (event) => {
		const item = itemOf(event.target);
		if (!item)
			return;
		if (event.target.classList.contains('twisty'))
			setExpanded(item, !isExpanded(item));
		select(item);
	});
	tree.addEventListener('dblclick', (event) => {
		const item = itemOf(event.target);
		if (item && !event.target.classList.contains('twisty'))
			setExpanded(item, !isExpanded(item));
	});
	tree.addEventListener('keydown', (event) => {
		if (event.altKey || event.ctrlKey || event.metaKey)
			return;
		const item = itemOf(event.target) || selected;
		if (!item)
			return;
		const visible = visibleItems();
		const at = visible.indexOf(item);
		const hasChildren = item.children.length > 0;
		let handled = true;
		switch (event.key) {
		case 'ArrowDown':
			if (at + 1 < visible.length)
				select(visible[at + 1]);
			break;
		case 'ArrowUp':
			if (at > 0)
				select(visible[at - 1]);
			break;
		case 'ArrowRight':
			if (hasChildren && !isExpanded(item))
				setExpanded(item, true);
			else if (hasChildren)
				select(item.children[0]);
			break;
		case 'ArrowLeft':
			if (hasChildren && isExpanded(item))
				setExpanded(item, false);
			else if (item.parent)
				select(item.parent);
			break;
		case 'Enter':
		case ' ':
			if (hasChildren)
				setExpanded(item, !isExpanded(item));
			select(item);
			break;
		case 'Home':
			select(visible[0]);
			break;
		case 'End':
			select(visible[visible.length - 1]);
			break;
		case '*':
			for (const sibling of item.parent ? item.parent.children : items)
				setExpanded(sibling, true);
			break;
		default:
			handled = false;
		}
		if (handled)
			event.preventDefault();
	});

	function walk(list, fn) {
		for (const item of list) {
			fn(item);
			walk(item.children, fn);
		}
	}

	return {
		element: tree,
		get selectedNode() { return selected?.node ?? null; },

		show(nodes) {
			nextId = 0;
			selected = null;
			items = build(nodes, 1, null);
			tree.replaceChildren(...items.map(renderItem));
			if (items.length > 0)
				items[0].li.tabIndex = 0;
		},

		clear(message = '') {
			items = [];
			selected = null;
			tree.replaceChildren(...(message ? [h('li', { class: 'tree-empty', role: 'none' }, message)] : []));
		},

		// The deepest node whose bytes cover (source, offset); ties go to the shorter span.
		selectByte(source, offset) {
			let best = null;
			walk(items, (item) => {
				const { node } = item;
				if ((node.source ?? 0) !== source || !(node.length > 0) || offset < node.offset || offset >= node.offset + node.length)
					return;
				if (!best || item.level > best.level || (item.level === best.level && node.length < best.node.length))
					best = item;
			});
			if (best)
				select(best, { focus: false });
			return best?.node ?? null;
		},

		// The first node (depth first) with this field name, e.g. to select "http.request.uri".
		selectField(abbrev) {
			let found = null;
			walk(items, (item) => {
				if (!found && item.node.abbrev === abbrev)
					found = item;
			});
			if (found)
				select(found);
			return found?.node ?? null;
		},

		expandAll() { walk(items, (item) => setExpanded(item, true)); },
		collapseAll() { walk(items, (item) => { if (item.li) setExpanded(item, false); }); },

		focus() {
			const target = selected?.li || items[0]?.li;
			target?.focus();
		},
	};
}
