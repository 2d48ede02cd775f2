// packet-list.js: the packet list, a virtualized grid (WAI-ARIA grid, labelled "Packets") over
// GET frames?filter&offset&limit. Only the rows in view, plus a margin, exist in the DOM; pages
// of PAGE_SIZE rows are fetched as they come into view and a bounded number kept, so a
// 2 M-frame capture scrolls from its first frame to its last without holding 2 M rows. The
// scroll area is as tall as the list (a row ROW_HEIGHT pixels) up to MAX_SPACER_PX; past that
// the scroll bar maps proportionally onto the rows. Beside each page of the seven columns, a
// second request asks for the fields that colour the rows (coloring.js) and the columns a
// person added; rows show as soon as the first answer is in, so nothing jumps. Must not
// build the detail of a frame: it says which frame is selected (onSelect) and which is opened.
// SPDX-License-Identifier: GPL-2.0-or-later
import { api } from './api.js';
import { COLOR_FIELDS, colorOf } from './coloring.js';
import { h } from './dom.js';

const ROW_HEIGHT = 22;
const PAGE_SIZE = 200;
const OVERSCAN = 8;
const MAX_CACHED_PAGES = 40;
// Browsers cap an element's height (Chrome near 33 M pixels, Firefox near 17 M); a million
// pixels (about 45,000 rows) stays far below either, and a proportional scroll bar over more
// rows than that still drags to any place.
const MAX_SPACER_PX = 1000000;
// A page is asked for once the list stopped moving this long: dragging the scroll bar over a
// 2 M-frame list must not ask for every page it passes.
const FETCH_DELAY_MS = 60;
const MAX_CUSTOM_COLUMNS = 16;

const DEFAULT_TITLES = ['No.', 'Time', 'Source', 'Destination', 'Protocol', 'Length', 'Info'];
const DEFAULT_WIDTHS = ['minmax(4.5em, 5.5em)', 'minmax(6em, 7.5em)', 'minmax(7em, 1.3fr)', 'minmax(7em, 1.3fr)',
	'minmax(4.5em, 6.5em)', 'minmax(4.5em, 5em)', 'minmax(12em, 5fr)'];
const NUMERIC = new Set([0, 5]);

export function packetList({ onSelect, onOpen, onRemoveColumn, onStatus }) {
	const state = {
		captureId: null,
		query: { filter: '', passes: 1, columns: [], colors: true },
		generation: 0,
		matched: null,
		titles: DEFAULT_TITLES,
		pages: new Map(),
		selectedIndex: null,
		selectedFrame: null,
		fetchTimer: 0,
		frameRequested: false,
		loading: null, // the promise of the list's first page while it loads
		error: null,
	};
	const headerRow = h('div', { role: 'row', 'aria-rowindex': '1', class: 'packet-row packet-header-row' });
	const header = h('div', { role: 'rowgroup', class: 'packet-header' }, headerRow);
	const rowsBox = h('div', { role: 'rowgroup', class: 'packet-rows' });
	const spacer = h('div', { class: 'packet-spacer', role: 'presentation' }, rowsBox);
	const grid = h('div', {
		role: 'grid', id: 'packet-list', class: 'packet-grid', tabindex: '0', 'aria-label': 'Packets',
		'aria-rowcount': '1', 'aria-colcount': String(DEFAULT_TITLES.length), 'aria-multiselectable': 'false',
	}, header, spacer);
	const overlay = h('p', { class: 'packet-overlay', hidden: true });
	const element = h('div', { class: 'packet-list-wrap' }, grid, overlay);
	let renderQueued = false;

	const total = () => state.matched ?? 0;
	const extraFields = () => {
		const custom = state.query.columns;
		const fields = [...custom];
		if (state.query.colors)
			fields.push(...COLOR_FIELDS.filter((f) => !custom.includes(f)));
		return fields;
	};

	// ---- geometry: the fractional row at the top of the view and back ----

	const viewHeight = () => Math.max(grid.clientHeight - header.offsetHeight, ROW_HEIGHT);
	const viewRows = () => viewHeight() / ROW_HEIGHT;
	const spacerHeight = () => Math.min(total() * ROW_HEIGHT, MAX_SPACER_PX);
	const scaled = () => total() * ROW_HEIGHT > MAX_SPACER_PX;
	const lastTop = () => Math.max(total() - viewRows(), 0);

	function positionOf(scrollTop) {
		if (!scaled())
			return Math.min(scrollTop / ROW_HEIGHT, lastTop());
		const maxScroll = Math.max(spacerHeight() - viewHeight(), 1);
		return Math.min(Math.max(scrollTop / maxScroll, 0), 1) * lastTop();
	}

	function scrollTopFor(position) {
		if (!scaled())
			return position * ROW_HEIGHT;
		const maxScroll = Math.max(spacerHeight() - viewHeight(), 1);
		return lastTop() === 0 ? 0 : (position / lastTop()) * maxScroll;
	}

	// The fractional row at the top of the view. A scroll the list made itself keeps it; any
	// other (the person dragging the bar) sets it from the bar.
	let position = 0;
	let ownScrollTop = null;

	function currentPosition() {
		if (ownScrollTop === null || Math.abs(grid.scrollTop - ownScrollTop) >= 1) {
			position = positionOf(grid.scrollTop);
			ownScrollTop = null;
		}
		return Math.min(position, lastTop());
	}

	function scrollToPosition(target) {
		position = Math.min(Math.max(target, 0), lastTop());
		grid.scrollTop = scrollTopFor(position);
		ownScrollTop = grid.scrollTop;
	}

	function visibleRange() {
		const at = currentPosition();
		const first = Math.max(Math.floor(at) - OVERSCAN, 0);
		const last = Math.min(Math.ceil(at + viewRows()) + OVERSCAN, total());
		return { first, last, top: grid.scrollTop - (at - first) * ROW_HEIGHT };
	}

	// ---- pages ----

	const pageOf = (index) => Math.floor(index / PAGE_SIZE);

	function frameAt(index) {
		const page = state.pages.get(pageOf(index));
		return page?.frames ? page.frames[index % PAGE_SIZE] ?? null : null;
	}

	// The page's rows (and then its extra fields); resolves its frames. pinned: a lookup
	// needs it, so scrolling away does not cancel it.
	function fetchPage(number, { pinned = false } = {}) {
		let page = state.pages.get(number);
		if (page) {
			page.pinned ||= pinned;
			page.used = performance.now();
			return page.promise;
		}
		const generation = state.generation;
		const controller = new AbortController();
		const { captureId, query } = state;
		const offset = number * PAGE_SIZE;
		page = { frames: null, extras: null, controller, pinned, used: performance.now(), promise: null };
		page.promise = api.frames(captureId, { filter: query.filter, passes: query.passes, offset, limit: PAGE_SIZE },
			controller.signal).then((data) => {
			if (generation !== state.generation)
				return [];
			page.frames = data.frames;
			if (state.matched !== data.matched) {
				state.matched = data.matched;
				onStatus?.({ matched: data.matched });
			}
			if (data.columns)
				setTitles(data.columns.map((c) => c.title));
			fetchExtras(number, page, generation);
			if (state.selectedIndex !== null && pageOf(state.selectedIndex) === number)
				notifySelection();
			queueRender();
			return data.frames;
		});
		page.promise.catch((failure) => {
			if (state.pages.get(number) === page && failure.name !== 'AbortError') {
				state.pages.delete(number);
				if (generation === state.generation)
					showOverlay(`Could not load frames ${offset + 1}–${offset + PAGE_SIZE}: ${failure.message}`);
			}
		});
		state.pages.set(number, page);
		evictPages(number);
		return page.promise;
	}

	function fetchExtras(number, page, generation) {
		const fields = extraFields();
		if (fields.length === 0 || page.frames.length === 0)
			return;
		const { captureId, query } = state;
		api.frames(captureId, {
			filter: query.filter, passes: query.passes, offset: number * PAGE_SIZE, limit: PAGE_SIZE, columns: fields,
		}, page.controller.signal).then((data) => {
			if (generation !== state.generation)
				return;
			const byFrame = new Map(data.frames.map((f) => [f.frame, f.columns]));
			page.extras = { fields, byFrame };
			queueRender();
		}).catch((failure) => {
			// Rows stay readable without colours; a bad added column says why.
			if (failure.name !== 'AbortError' && generation === state.generation && state.query.columns.length > 0)
				showOverlay(`Could not load the added columns: ${failure.message}`);
		});
	}

	function evictPages(keep) {
		if (state.pages.size <= MAX_CACHED_PAGES)
			return;
		const candidates = [...state.pages.entries()].filter(([n, p]) => n !== keep && !p.pinned)
			.sort((a, b) => a[1].used - b[1].used);
		for (const [n, p] of candidates.slice(0, state.pages.size - MAX_CACHED_PAGES)) {
			p.controller.abort();
			state.pages.delete(n);
		}
	}

	function ensurePages() {
		state.fetchTimer = 0;
		if (state.matched === null)
			return;
		const { first, last } = visibleRange();
		if (last <= first)
			return;
		const from = pageOf(first);
		const to = pageOf(last - 1);
		// Pages the list moved away from before they came are no longer wanted.
		for (const [n, p] of state.pages) {
			if (!p.frames && !p.pinned && (n < from - 1 || n > to + 1)) {
				p.controller.abort();
				state.pages.delete(n);
			}
		}
		for (let n = from; n <= to; n++)
			fetchPage(n).catch(() => {});
	}

	// ---- rendering ----

	function setTitles(titles) {
		if (titles.length === state.titles.length && titles.every((t, i) => t === state.titles[i]))
			return;
		state.titles = titles;
		renderHeader();
	}

	function renderHeader() {
		const custom = state.query.columns;
		const widths = [...DEFAULT_WIDTHS, ...custom.map(() => 'minmax(6em, 1fr)')];
		grid.style.setProperty('--packet-columns', widths.join(' '));
		grid.setAttribute('aria-colcount', String(state.titles.length + custom.length));
		headerRow.replaceChildren(
			...state.titles.map((title, i) => h('div', {
				role: 'columnheader', class: `packet-cell col-${i}${NUMERIC.has(i) ? ' numeric' : ''}`, 'aria-colindex': String(i + 1),
			}, title)),
			...custom.map((field, i) => h('div', {
				role: 'columnheader', class: 'packet-cell custom-column', 'aria-colindex': String(state.titles.length + i + 1),
				'data-field': field, title: field,
			}, h('span', { class: 'column-title' }, field),
			h('button', {
				type: 'button', class: 'remove-column', 'aria-label': `Remove column ${field}`, title: `Remove column ${field}`,
				onclick: (event) => { event.stopPropagation(); onRemoveColumn?.(field); },
			}, '×'))));
	}

	function rowElement(index) {
		const frame = frameAt(index);
		const selected = index === state.selectedIndex;
		const custom = state.query.columns;
		const row = h('div', {
			role: 'row', id: `packet-row-${index}`, 'aria-rowindex': String(index + 2),
			'aria-selected': selected ? 'true' : 'false', 'data-index': String(index),
			class: `packet-row${selected ? ' selected' : ''}`,
		});
		if (!frame) {
			row.classList.add('loading');
			row.setAttribute('aria-busy', 'true');
			row.append(...state.titles.map((t, i) => h('div', { role: 'gridcell', class: `packet-cell col-${i}`, 'aria-colindex': String(i + 1) },
				i === 0 ? String(index + 1) : i === state.titles.length - 1 ? 'Loading…' : '')));
			return row;
		}
		row.dataset.frame = String(frame.frame);
		const page = state.pages.get(pageOf(index));
		const extras = page.extras?.byFrame.get(frame.frame) ?? null;
		if (extras && state.query.colors) {
			const color = colorOf(page.extras.fields, extras);
			if (color.className)
				row.classList.add(color.className);
			if (color.severity)
				row.classList.add(`expert-${color.severity}`);
			// Which rule coloured the row ("" for none), readable by tests and tools.
			row.dataset.rule = color.rule ?? '';
			row.dataset.severity = color.severity ?? '';
			row.title = [color.rule ? `Colouring rule: ${color.rule}` : '', color.severity ? `Expert: ${color.severity}` : '']
				.filter(Boolean).join('; ');
		}
		if (frame.comment)
			row.classList.add('has-comment');
		const lastColumn = frame.columns.length - 1;
		row.append(...frame.columns.map((text, i) => h('div', {
			role: 'gridcell', class: `packet-cell col-${i}${NUMERIC.has(i) ? ' numeric' : ''}`, 'aria-colindex': String(i + 1),
			// The Info text is often longer than its column.
			title: i === lastColumn ? text : null,
		}, text)));
		row.append(...custom.map((field, i) => {
			const at = page.extras ? page.extras.fields.indexOf(field) : -1;
			return h('div', {
				role: 'gridcell', class: 'packet-cell custom-column', 'aria-colindex': String(frame.columns.length + i + 1),
				'data-field': field,
			}, extras && at >= 0 ? extras[at] : '');
		}));
		return row;
	}

	function render() {
		renderQueued = false;
		spacer.style.height = `${spacerHeight()}px`;
		grid.setAttribute('aria-rowcount', String(total() + 1));
		const { first, last, top } = visibleRange();
		rowsBox.style.top = `${top}px`;
		const rows = [];
		for (let i = first; i < last; i++)
			rows.push(rowElement(i));
		rowsBox.replaceChildren(...rows);
		const shown = state.selectedIndex !== null && state.selectedIndex >= first && state.selectedIndex < last;
		if (shown)
			grid.setAttribute('aria-activedescendant', `packet-row-${state.selectedIndex}`);
		else
			grid.removeAttribute('aria-activedescendant');
		window.clearTimeout(state.fetchTimer);
		state.fetchTimer = window.setTimeout(ensurePages, FETCH_DELAY_MS);
	}

	function queueRender() {
		if (renderQueued)
			return;
		renderQueued = true;
		window.requestAnimationFrame(render);
	}

	function showOverlay(text, { error = true } = {}) {
		overlay.textContent = text;
		overlay.hidden = !text;
		overlay.classList.toggle('error', error);
	}

	// ---- selection ----

	function notifySelection() {
		if (state.selectedIndex === null)
			return;
		const frame = frameAt(state.selectedIndex);
		if (!frame) {
			fetchPage(pageOf(state.selectedIndex), { pinned: true }).catch(() => {});
			return;
		}
		if (frame.frame === state.selectedFrame && state.frameRequested)
			return;
		state.selectedFrame = frame.frame;
		state.frameRequested = true;
		onSelect?.(frame.frame);
	}

	function scrollIntoView(index) {
		const at = currentPosition();
		const rows = Math.max(Math.floor(viewRows()), 1);
		if (index < at)
			scrollToPosition(index);
		else if (index + 1 > at + rows)
			scrollToPosition(index + 1 - rows);
	}

	function selectIndex(index, { scroll = true } = {}) {
		if (total() === 0)
			return;
		const clamped = Math.min(Math.max(index, 0), total() - 1);
		if (clamped !== state.selectedIndex)
			state.frameRequested = false;
		state.selectedIndex = clamped;
		if (scroll)
			scrollIntoView(clamped);
		notifySelection();
		queueRender();
	}

	// {index, exact} of a frame number in the list: its position without a filter, else a
	// binary search over pages (frames are in order), about log2(pages) small requests.
	async function locate(frameNumber) {
		const count = total();
		if (count === 0)
			return null;
		if (!state.query.filter) {
			const index = Math.min(Math.max(frameNumber - 1, 0), count - 1);
			return { index, exact: index === frameNumber - 1 };
		}
		const generation = state.generation;
		const asked = [];
		const pageFrames = (number) => {
			asked.push(number);
			return fetchPage(number, { pinned: true });
		};
		try {
			let low = 0;
			let high = pageOf(count - 1);
			while (low < high) {
				const middle = (low + high) >> 1;
				const frames = await pageFrames(middle);
				if (generation !== state.generation)
					return null;
				if (frames[frames.length - 1].frame < frameNumber)
					low = middle + 1;
				else
					high = middle;
			}
			const frames = await pageFrames(low);
			if (generation !== state.generation)
				return null;
			const at = frames.findIndex((f) => f.frame >= frameNumber);
			if (at < 0)
				return { index: count - 1, exact: false };
			return { index: low * PAGE_SIZE + at, exact: frames[at].frame === frameNumber };
		} finally {
			// Found: those pages may go like any other.
			for (const number of asked) {
				const page = state.pages.get(number);
				if (page)
					page.pinned = false;
			}
		}
	}

	// ---- events ----

	grid.addEventListener('scroll', queueRender, { passive: true });
	// Over a proportional bar a wheel step would jump many rows: it moves rows, as unscaled.
	grid.addEventListener('wheel', (event) => {
		if (!scaled() || event.ctrlKey || event.deltaY === 0)
			return;
		event.preventDefault();
		const rows = event.deltaMode === 1 ? event.deltaY : event.deltaMode === 2 ? event.deltaY * viewRows() : event.deltaY / ROW_HEIGHT;
		grid.scrollLeft += event.deltaX;
		scrollToPosition(currentPosition() + rows);
		queueRender();
	}, { passive: false });
	new ResizeObserver(() => {
		// Another height maps the bar differently: the same row stays at the top.
		if (scaled())
			scrollToPosition(currentPosition());
		queueRender();
	}).observe(grid);
	grid.addEventListener('keydown', (event) => {
		if (event.altKey || event.ctrlKey || event.metaKey || total() === 0)
			return;
		const current = state.selectedIndex;
		const page = Math.max(Math.floor(viewRows()) - 1, 1);
		const moves = {
			ArrowDown: () => (current === null ? 0 : current + 1),
			ArrowUp: () => (current === null ? 0 : current - 1),
			PageDown: () => (current === null ? 0 : current + page),
			PageUp: () => (current === null ? 0 : current - page),
			Home: () => 0,
			End: () => total() - 1,
		};
		if (moves[event.key]) {
			event.preventDefault();
			selectIndex(moves[event.key]());
		} else if (event.key === 'Enter' && state.selectedFrame !== null) {
			event.preventDefault();
			onOpen?.(state.selectedFrame);
		}
	});
	rowsBox.addEventListener('click', (event) => {
		const row = event.target.closest('.packet-row');
		if (!row || row.dataset.index === undefined)
			return;
		selectIndex(Number(row.dataset.index), { scroll: false });
		grid.focus({ preventScroll: true });
	});
	rowsBox.addEventListener('dblclick', (event) => {
		const row = event.target.closest('.packet-row');
		if (row?.dataset.frame)
			onOpen?.(Number(row.dataset.frame));
	});
	renderHeader();

	return {
		element,
		grid,
		get matched() { return state.matched; },
		get selectedFrame() { return state.selectedFrame; },
		get query() { return { ...state.query }; },
		maxColumns: MAX_CUSTOM_COLUMNS,

		// A new list: resolves {matched} once the first page is in; rejects with the
		// server's error (a 400 names what is wrong with the filter or a column).
		async load(captureId, query) {
			state.generation++;
			for (const page of state.pages.values())
				page.controller.abort();
			state.pages.clear();
			state.captureId = captureId;
			state.query = { ...state.query, ...query, columns: [...(query.columns ?? state.query.columns)] };
			state.matched = null;
			state.selectedIndex = null;
			state.selectedFrame = null;
			state.frameRequested = false;
			renderHeader();
			grid.scrollTop = 0;
			position = 0;
			ownScrollTop = null;
			grid.setAttribute('aria-busy', 'true');
			showOverlay('');
			render();
			const generation = state.generation;
			state.loading = fetchPage(0);
			try {
				await state.loading;
			} catch (failure) {
				if (failure.name !== 'AbortError') {
					state.matched = 0;
					render();
					showOverlay(failure.message);
				}
				throw failure;
			} finally {
				if (generation === state.generation) {
					grid.removeAttribute('aria-busy');
					state.loading = null;
				}
			}
			showOverlay(state.matched === 0 ? 'No frames match this filter.' : '', { error: false });
			render();
			return { matched: state.matched };
		},

		// Selects a frame by number; resolves {index, exact} (exact false: the frame is not
		// in this list, and the next one that is got selected if nearest), or null when the
		// list is empty.
		async selectFrame(frameNumber, { nearest = true } = {}) {
			// Asked while the list loads (a link, a quick "go to"): once it is in.
			while (state.loading)
				await state.loading.catch(() => {});
			const found = await locate(frameNumber);
			if (!found || (!found.exact && !nearest))
				return found;
			selectIndex(found.index);
			return found;
		},

		clearSelection() {
			state.selectedIndex = null;
			state.selectedFrame = null;
			state.frameRequested = false;
			queueRender();
		},

		focus() { grid.focus({ preventScroll: true }); },
	};
}
