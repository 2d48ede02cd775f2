// summary-view.js: the capture's summary (v2 status + v1 info), its protocol hierarchy chart,
// its download link and its TLS key log. The status follows the analysis while it runs.
// SPDX-License-Identifier: GPL-2.0-or-later
import { api } from './api.js';
import { formatBytes, formatNumber, h } from './dom.js';
import { hierarchyChart } from './hierarchy-chart.js';
import { keylogPanel } from './keylog-panel.js';
import { afterAnalysis, section } from './view-parts.js';

function summaryList(status, info) {
	const items = [
		['Frames', formatNumber(status.frames), 'frames'],
		['Duration', `${formatNumber(status.duration)} s`, 'duration'],
		['File size', `${formatBytes(status.filesize)} (${formatNumber(status.filesize)} bytes)`, 'filesize'],
		['Analysis', status.analysis.state, 'analysis'],
	];
	if (info) {
		items.push(['File type', info.file_type, 'file_type'], ['Encapsulation', info.encapsulation, 'encapsulation'],
			['First frame', info.start_time, 'start_time'], ['Last frame', info.end_time, 'end_time'],
			['Average packet size', `${info.avg_packet_size} B`, 'avg_packet_size'],
			['Tags', info.tag_list || '(none)', 'tag_list'], ['Uploaded', info.created_at, 'created_at']);
	}
	const list = h('dl', { class: 'summary-list' }, items.map(([term, value, key]) => h('div', {},
		h('dt', {}, term), h('dd', { 'data-key': key }, value ?? ''))));
	const warnings = status.warnings.length === 0 ? null
		: h('ul', { class: 'warnings' }, status.warnings.map((w) => h('li', {}, w)));
	return h('div', {}, list, warnings);
}

export function summaryView(ctx) {
	const summaryHolder = h('div', {}, h('p', {}, 'Loading…'));
	const hierarchyHolder = h('div');
	const download = h('p', {}, h('a', { href: api.downloadUrl(ctx.captureId), download: '' }, 'Download the capture'));
	ctx.onStatus((status) => summaryHolder.replaceChildren(summaryList(status, ctx.info)));
	const load = () => afterAnalysis(ctx, hierarchyHolder, async (status) => {
		hierarchyHolder.replaceChildren(hierarchyChart(await api.hierarchy(ctx.captureId), status.frames));
	});
	load();
	return {
		refresh: load,
		element: h('div', {},
			section('summary', 'Summary', summaryHolder, download),
			section('hierarchy', 'Protocol hierarchy', hierarchyHolder),
			section('keylog', 'TLS decryption', keylogPanel(ctx, 'summary'))),
	};
}
