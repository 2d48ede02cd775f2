// io-graph.js: the I/O graph (GET stats/io): one or more series, each a display filter counted
// as frames or bytes per interval, or FUNC(field) of the frames it matches (SUM, MIN, MAX, AVG,
// COUNT, LOAD, as tshark's -z io,stat), drawn as an inline SVG line chart (no library). Hovering
// or the arrow keys on the chart show the interval's values; the same numbers are in a table.
// SPDX-License-Identifier: GPL-2.0-or-later
import { api } from './api.js';
import { formatNumber, h, svg } from './dom.js';
import { filterInput } from './filter-input.js';
import { afterAnalysis, errorText, section } from './view-parts.js';

const WIDTH = 900;
const HEIGHT = 320;
const MARGIN = { left: 72, right: 20, top: 16, bottom: 44 };
const COLORS = ['#1f4e79', '#c0392b', '#1d6b2f', '#8a5a2b', '#6b5a9e', '#0f6f80'];
const UNITS = [['frames', 'Frames'], ['bytes', 'Bytes'], ['SUM', 'SUM(field)'], ['MIN', 'MIN(field)'], ['MAX', 'MAX(field)'],
	['AVG', 'AVG(field)'], ['COUNT', 'COUNT(field)'], ['LOAD', 'LOAD(field)']];
const INTERVALS = [['', 'Automatic'], ['0.001', '1 ms'], ['0.01', '10 ms'], ['0.1', '100 ms'], ['1', '1 s'], ['10', '10 s'],
	['60', '1 min'], ['600', '10 min']];
const MAX_SERIES = 6;

// The stats/io column a series asks for, and how to read its value from a row.
function seriesColumn(series) {
	if (series.unit === 'frames' || series.unit === 'bytes')
		return series.filter;
	return `${series.unit}(${series.field})${series.filter}`;
}

function valueOf(series, cell) {
	if (!cell)
		return 0;
	if (series.unit === 'frames')
		return cell.frames ?? 0;
	if (series.unit === 'bytes')
		return cell.bytes ?? 0;
	return cell.value ?? 0;
}

function seriesName(series) {
	const what = series.unit === 'frames' || series.unit === 'bytes' ? series.unit : `${series.unit}(${series.field})`;
	return `${what} of ${series.filter || 'all frames'}`;
}

// A round step for about `count` ticks up to max.
function niceStep(max, count) {
	const raw = max / count;
	const power = 10 ** Math.floor(Math.log10(raw));
	const scaled = raw / power;
	return (scaled <= 1 ? 1 : scaled <= 2 ? 2 : scaled <= 5 ? 5 : 10) * power;
}

// log: a logarithmic y axis (series of frames and of bytes differ by orders of magnitude).
function chart(data, series, columnOf, log) {
	const plotW = WIDTH - MARGIN.left - MARGIN.right;
	const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
	const rows = data.rows;
	const values = series.map((s, i) => rows.map((row) => valueOf(s, row.values[columnOf[i]])));
	const max = Math.max(1, ...values.flat());
	const step = log ? 10 : niceStep(max, 5);
	const top = log ? 10 ** Math.ceil(Math.log10(max)) : Math.ceil(max / step) * step;
	const span = rows.length > 1 ? rows[rows.length - 1].start - rows[0].start : 1;
	const x = (i) => MARGIN.left + (rows.length > 1 ? ((rows[i].start - rows[0].start) / span) * plotW : plotW / 2);
	const y = log ? (v) => MARGIN.top + plotH - (Math.log10(Math.max(v, 0) + 1) / Math.log10(top + 1)) * plotH
		: (v) => MARGIN.top + plotH - (v / top) * plotH;
	const ticks = [];
	if (log) {
		// 0, then powers of ten from 10 (1 would sit on 0's line).
		ticks.push(0);
		for (let v = 10; v <= top; v *= 10)
			ticks.push(v);
	} else {
		for (let v = 0; v <= top + step / 2; v += step)
			ticks.push(v);
	}
	const titleId = 'io-chart-title';
	const root = svg('svg', {
		class: 'io-chart', viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', tabindex: '0', 'aria-labelledby': titleId,
		'aria-describedby': 'io-readout',
	}, svg('title', { id: titleId }, `I/O graph: ${series.map(seriesName).join('; ')}; ${rows.length} intervals of ${data.interval} s`));
	for (const v of ticks) {
		root.append(svg('line', { class: 'io-grid', x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: y(v), y2: y(v) }),
			svg('text', { class: 'io-tick', x: MARGIN.left - 6, y: y(v) + 4, 'text-anchor': 'end' }, formatNumber(v)));
	}
	const xTicks = Math.min(rows.length, 8);
	for (let t = 0; t < xTicks; t++) {
		const i = xTicks === 1 ? 0 : Math.round((t / (xTicks - 1)) * (rows.length - 1));
		root.append(svg('text', { class: 'io-tick', x: x(i), y: HEIGHT - MARGIN.bottom + 18, 'text-anchor': 'middle' },
			formatNumber(rows[i].start)));
	}
	root.append(svg('text', { class: 'io-axis', x: MARGIN.left + plotW / 2, y: HEIGHT - 6, 'text-anchor': 'middle' },
		`Time (s), interval ${data.interval} s`));
	series.forEach((s, si) => {
		const color = COLORS[si % COLORS.length];
		const points = values[si].map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
		const group = svg('g', { class: 'io-series', 'data-series': String(si) },
			svg('polyline', { points, fill: 'none', stroke: color, 'stroke-width': 2 }));
		if (rows.length <= 200) {
			values[si].forEach((v, i) => group.append(svg('circle', { cx: x(i), cy: y(v), r: 2.5, fill: color })));
		}
		root.append(group);
	});
	const guide = svg('line', { class: 'io-guide', x1: 0, x2: 0, y1: MARGIN.top, y2: MARGIN.top + plotH, visibility: 'hidden' });
	const catcher = svg('rect', { class: 'io-catcher', x: MARGIN.left, y: MARGIN.top, width: plotW, height: plotH, fill: 'transparent' });
	root.append(guide, catcher);
	return { root, values, guide, x };
}

function dataTable(data, series, values) {
	return h('table', { class: 'data-table io-table' },
		h('caption', {}, 'I/O graph as a table'),
		h('thead', {}, h('tr', {}, h('th', { scope: 'col', class: 'numeric' }, 'Start (s)'),
			series.map((s) => h('th', { scope: 'col', class: 'numeric' }, seriesName(s))))),
		h('tbody', {}, data.rows.map((row, i) => h('tr', {},
			h('td', { class: 'numeric', 'data-column': 'start' }, formatNumber(row.start)),
			series.map((s, si) => h('td', { class: 'numeric', 'data-column': `series-${si}` }, formatNumber(values[si][i])))))));
}

export function ioGraphView(ctx) {
	const { captureId } = ctx;
	const interval = h('select', { id: 'io-interval' }, INTERVALS.map(([value, label]) => h('option', { value }, label)));
	const seriesList = h('ol', { class: 'io-series-list' });
	const addButton = h('button', { type: 'button', id: 'io-add-series', class: 'secondary' }, 'Add series');
	const drawButton = h('button', { type: 'submit', id: 'io-draw' }, 'Draw');
	const output = h('div', { class: 'io-output' });
	const logScale = h('input', { id: 'io-log', type: 'checkbox' });
	let last = null; // the last answer drawn, redrawn when the scale changes
	const readout = h('p', { id: 'io-readout', class: 'io-readout', 'aria-live': 'polite' }, 'Hover over the graph, or focus it and use the arrow keys, to read an interval.');
	const entries = [];
	let serial = 0;
	let controller = null;

	function addSeries(initial = {}) {
		if (entries.length >= MAX_SERIES)
			return;
		const n = ++serial;
		const filter = filterInput({ id: `io-filter-${n}`, label: 'Display filter', value: initial.filter || '', emptyText: 'Empty: all frames.' });
		const unit = h('select', { id: `io-unit-${n}`, class: 'io-unit' },
			UNITS.map(([value, label]) => h('option', { value, selected: value === (initial.unit || 'frames') }, label)));
		const field = h('input', { id: `io-field-${n}`, type: 'text', class: 'io-field', autocomplete: 'off', spellcheck: 'false', value: initial.field || '', placeholder: 'e.g. frame.len' });
		const fieldBox = h('div', { class: 'field', hidden: true }, h('label', { for: field.id }, 'Field'), field);
		const swatch = h('span', { class: 'swatch', 'aria-hidden': 'true' });
		const remove = h('button', { type: 'button', class: 'secondary remove-series', 'aria-label': `Remove series ${n}` }, 'Remove');
		const item = h('li', { class: 'io-series-item', 'data-series': String(n) },
			h('fieldset', {}, h('legend', {}, swatch, ` Series ${n}`),
				h('div', { class: 'io-series-row' }, filter.element,
					h('div', { class: 'field' }, h('label', { for: unit.id }, 'Value per interval'), unit), fieldBox, remove)));
		const entry = { n, filter, unit, field, item };
		const sync = () => { fieldBox.hidden = unit.value === 'frames' || unit.value === 'bytes'; };
		unit.addEventListener('change', sync);
		sync();
		remove.addEventListener('click', () => {
			entries.splice(entries.indexOf(entry), 1);
			item.remove();
			paint();
		});
		entries.push(entry);
		seriesList.append(item);
		paint();
	}

	// Swatches follow the series' order, as the chart's lines do.
	function paint() {
		entries.forEach((e, i) => { e.item.querySelector('.swatch').style.background = COLORS[i % COLORS.length]; });
		addButton.disabled = entries.length >= MAX_SERIES;
		for (const e of entries)
			e.item.querySelector('.remove-series').disabled = entries.length === 1;
	}

	async function draw() {
		const verdicts = await Promise.all(entries.map((e) => e.filter.check().catch(() => ({ valid: true }))));
		if (verdicts.some((v) => !v.valid)) {
			output.replaceChildren(h('p', { class: 'error', role: 'alert' }, 'A series\' filter is not valid: see its message.'));
			return;
		}
		const series = entries.map((e) => ({ filter: e.filter.value.trim(), unit: e.unit.value, field: e.field.value.trim() }));
		const missing = series.findIndex((s) => s.unit !== 'frames' && s.unit !== 'bytes' && !s.field);
		if (missing >= 0) {
			output.replaceChildren(h('p', { class: 'error', role: 'alert' }, `Series ${entries[missing].n} needs a field for ${series[missing].unit}.`));
			return;
		}
		// Series asking for the same column share it.
		const columns = [];
		const columnOf = series.map((s) => {
			const column = seriesColumn(s);
			let at = columns.indexOf(column);
			if (at < 0) {
				at = columns.length;
				columns.push(column);
			}
			return at;
		});
		controller?.abort();
		controller = new AbortController();
		output.setAttribute('aria-busy', 'true');
		drawButton.disabled = true;
		try {
			const data = await api.io(captureId, { interval: interval.value || undefined, columns }, controller.signal);
			show(data, series, columnOf);
		} catch (failure) {
			if (failure.name !== 'AbortError')
				output.replaceChildren(errorText(failure));
		} finally {
			output.removeAttribute('aria-busy');
			drawButton.disabled = false;
		}
	}

	function show(data, series, columnOf) {
		last = { data, series, columnOf };
		if (data.rows.length === 0) {
			output.replaceChildren(h('p', {}, 'No intervals: the capture has no frames.'));
			return;
		}
		const { root, values, guide, x } = chart(data, series, columnOf, logScale.checked);
		const legend = h('ul', { class: 'io-legend' }, series.map((s, i) => h('li', {},
			h('span', { class: 'swatch', style: { background: COLORS[i % COLORS.length] }, 'aria-hidden': 'true' }), ` ${seriesName(s)}`)));
		let current = null;
		const point = (i) => {
			current = Math.min(Math.max(i, 0), data.rows.length - 1);
			const px = x(current);
			guide.setAttribute('x1', px);
			guide.setAttribute('x2', px);
			guide.setAttribute('visibility', 'visible');
			readout.dataset.index = String(current);
			readout.textContent = `${formatNumber(data.rows[current].start)} s: ${series.map((s, si) => `${seriesName(s)} = ${formatNumber(values[si][current])}`).join('; ')}`;
		};
		root.addEventListener('mousemove', (event) => {
			const box = root.getBoundingClientRect();
			const px = ((event.clientX - box.left) / box.width) * WIDTH;
			let best = 0;
			for (let i = 1; i < data.rows.length; i++) {
				if (Math.abs(x(i) - px) < Math.abs(x(best) - px))
					best = i;
			}
			point(best);
		});
		root.addEventListener('keydown', (event) => {
			const moves = { ArrowRight: 1, ArrowLeft: -1, Home: -Infinity, End: Infinity };
			if (!(event.key in moves))
				return;
			event.preventDefault();
			const step = moves[event.key];
			point(Number.isFinite(step) ? (current ?? -step) + step : (step < 0 ? 0 : data.rows.length - 1));
		});
		root.addEventListener('focus', () => { if (current === null) point(0); });
		output.replaceChildren(legend, h('div', { class: 'chart-scroll' }, root), readout,
			h('details', {}, h('summary', {}, 'Show as a table'), dataTable(data, series, values)));
	}

	addButton.addEventListener('click', () => addSeries());
	logScale.addEventListener('change', () => {
		if (last)
			show(last.data, last.series, last.columnOf);
	});
	addSeries({ filter: '', unit: 'frames' });
	const form = h('form', {
		class: 'io-form',
		onsubmit: (event) => {
			event.preventDefault();
			draw();
		},
	},
	h('div', { class: 'io-options' },
		h('div', { class: 'field inline' }, h('label', { for: 'io-interval' }, 'Interval'), interval),
		h('label', { class: 'check' }, logScale, ' Logarithmic y axis')),
	seriesList,
	h('div', { class: 'button-row' }, addButton, drawButton));
	const body = h('div');
	afterAnalysis(ctx, body, async () => {
		body.replaceChildren(form, output);
		await draw();
	});
	return { element: section('io', 'I/O graph', body) };
}
