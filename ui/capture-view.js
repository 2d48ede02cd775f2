// capture-view.js: one capture's page: summary (v2 status + v1 info), the protocol hierarchy
// chart, endpoint and conversation tables with a protocol picker, DNS lookups and the field
// query box. While the summary analysis runs, its progress is shown and the sections wait.
// SPDX-License-Identifier: GPL-2.0-or-later
import { api } from './api.js';
import { announce, formatBytes, formatNumber, h } from './dom.js';
import { fieldQuery } from './field-query.js';
import { hierarchyChart } from './hierarchy-chart.js';
import { sortableTable } from './sortable-table.js';

const STATUS_POLL_MS = 500;
let tablesPromise = null;

function availableTables() {
	tablesPromise ??= api.tables().catch((failure) => {
		tablesPromise = null;
		throw failure;
	});
	return tablesPromise;
}

function section(id, title, ...children) {
	return h('section', { class: 'card', id: `section-${id}`, 'aria-labelledby': `${id}-heading` },
		h('h2', { id: `${id}-heading` }, title), ...children);
}

function errorText(failure) {
	return h('p', { class: 'error', role: 'alert' }, failure.message);
}

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

// A select of every table the workers know, and the sortable table of the chosen one.
function statsPanel(captureId, kind) {
	const pickerId = `${kind}-protocol`;
	const picker = h('select', { id: pickerId, disabled: true }, h('option', { value: 'ip' }, 'IPv4'));
	const holder = h('div', { class: 'stats-holder' }, h('p', {}, 'Loading…'));
	const load = async () => {
		holder.setAttribute('aria-busy', 'true');
		try {
			const data = kind === 'endpoints'
				? await api.endpoints(captureId, picker.value)
				: await api.conversations(captureId, picker.value);
			holder.replaceChildren(kind === 'endpoints' ? endpointTable(data) : conversationTable(data));
		} catch (failure) {
			holder.replaceChildren(errorText(failure));
		} finally {
			holder.removeAttribute('aria-busy');
		}
	};
	availableTables().then((tables) => {
		picker.replaceChildren(...tables.map((t) => h('option', { value: t.filter, selected: t.filter === 'ip' },
			`${t.name} (${t.filter})`)));
		picker.disabled = false;
	}).catch(() => { picker.disabled = false; });
	picker.addEventListener('change', load);
	load();
	return h('div', {},
		h('div', { class: 'field inline' }, h('label', { for: pickerId }, 'Protocol'), picker),
		holder);
}

function endpointTable(data) {
	const hasPort = data.hosts.some((host) => host.port !== undefined);
	return sortableTable({
		caption: `${data.proto} endpoints`,
		label: `${data.proto} endpoints`,
		rows: data.hosts,
		sort: { key: 'totalb', descending: true },
		columns: [
			{ key: 'host', label: 'Host' },
			hasPort ? { key: 'port', label: 'Port', numeric: true, format: (v) => v ?? '' } : null,
			{ key: 'totalf', label: 'Frames', numeric: true },
			{ key: 'totalb', label: 'Bytes', numeric: true },
			{ key: 'txf', label: 'Tx frames', numeric: true },
			{ key: 'txb', label: 'Tx bytes', numeric: true },
			{ key: 'rxf', label: 'Rx frames', numeric: true },
			{ key: 'rxb', label: 'Rx bytes', numeric: true },
		].filter(Boolean),
	});
}

function conversationTable(data) {
	const hasPort = data.convs.some((conv) => conv.sport !== undefined);
	return sortableTable({
		caption: `${data.proto} conversations`,
		label: `${data.proto} conversations`,
		rows: data.convs,
		sort: { key: 'totalb', descending: true },
		columns: [
			{ key: 'saddr', label: 'Address A' },
			hasPort ? { key: 'sport', label: 'Port A', numeric: true, format: (v) => v ?? '' } : null,
			{ key: 'daddr', label: 'Address B' },
			hasPort ? { key: 'dport', label: 'Port B', numeric: true, format: (v) => v ?? '' } : null,
			{ key: 'totalf', label: 'Frames', numeric: true },
			{ key: 'totalb', label: 'Bytes', numeric: true },
			{ key: 'txf', label: 'A→B frames', numeric: true },
			{ key: 'txb', label: 'A→B bytes', numeric: true },
			{ key: 'rxf', label: 'B→A frames', numeric: true },
			{ key: 'rxb', label: 'B→A bytes', numeric: true },
			{ key: 'start', label: 'Start (s)', numeric: true },
			{ key: 'duration', label: 'Duration (s)', numeric: true },
		].filter(Boolean),
	});
}

function dnsTable(data) {
	if (data.lookups.length === 0)
		return h('p', {}, 'No DNS messages in this capture.');
	return sortableTable({
		caption: 'DNS lookups',
		label: 'DNS lookups',
		rows: data.lookups,
		columns: [
			{ key: 'query_frame', label: 'Query frame', numeric: true, format: (v) => v ?? '' },
			{ key: 'client', label: 'Client' },
			{ key: 'server', label: 'Server' },
			{ key: 'full_query', label: 'Name' },
			{ key: 'query_type', label: 'Type' },
			{ key: 'rcode_name', label: 'Result', format: (v) => v || 'no response' },
			{ key: 'rtt', label: 'RTT (s)', numeric: true, format: (v) => (v === null ? '' : formatNumber(v)) },
			{ key: 'answers', label: 'Answers', value: (row) => (row.answers || []).map((a) => a.data).filter(Boolean).join(', ') },
		],
	});
}

// status answers at once whatever the analysis state; onStatus shows each answer.
async function waitForAnalysis(captureId, onStatus, isCurrent) {
	for (;;) {
		const status = await api.status(captureId);
		const { state } = status.analysis;
		onStatus(status);
		if (state === 'ready' || state === 'failed' || !isCurrent())
			return status;
		await new Promise((resolve) => window.setTimeout(resolve, STATUS_POLL_MS));
	}
}

export function captureView(captureId, isCurrent) {
	const heading = h('h1', { tabindex: '-1', id: 'capture-heading' }, `Capture ${captureId}`);
	const summaryHolder = h('div', {}, h('p', {}, 'Loading…'));
	const progress = h('progress', { max: '100', value: '0', id: 'analysis-progress', 'aria-label': 'Analysis progress' });
	const progressText = h('span', {}, '');
	const analysisNote = h('div', { class: 'analysis-note' }, 'Analysing the capture… ', progress, ' ', progressText);
	const later = h('div', { class: 'capture-sections' });
	const view = h('div', { class: 'capture-view' },
		h('p', { class: 'breadcrumb' }, h('a', { href: '#/' }, '← All captures')),
		heading,
		section('summary', 'Summary', summaryHolder),
		analysisNote,
		later);

	(async () => {
		let info = null;
		try {
			info = await api.info(captureId);
			heading.textContent = info.filename || `Capture ${captureId}`;
			document.title = `${heading.textContent} – sharkapi`;
		} catch (failure) {
			// A token without the info permission still sees the analysis.
			if (failure.status === 404) {
				summaryHolder.replaceChildren(errorText(failure));
				analysisNote.remove();
				return;
			}
		}
		let status;
		try {
			status = await waitForAnalysis(captureId, (current) => {
				const percent = Math.round((current.analysis.progress || 0) * 100);
				progress.value = percent;
				progressText.textContent = `${percent}%`;
				summaryHolder.replaceChildren(summaryList(current, info));
			}, isCurrent);
		} catch (failure) {
			summaryHolder.replaceChildren(errorText(failure));
			analysisNote.remove();
			return;
		}
		if (!isCurrent())
			return;
		summaryHolder.replaceChildren(summaryList(status, info),
			h('p', {}, h('a', { href: api.downloadUrl(captureId), download: '' }, 'Download the capture')));
		// The progress bar is not a live region (it would speak every half second): say the end.
		if (analysisNote.isConnected)
			announce(`Analysis ${status.analysis.state}`);
		analysisNote.remove();
		if (status.analysis.state === 'failed') {
			later.append(h('p', { class: 'error', role: 'alert' },
				`The analysis failed: ${status.analysis.error || 'unknown reason'}`));
			return;
		}
		const hierarchyHolder = h('div', {}, h('p', {}, 'Loading…'));
		const dnsHolder = h('div', {}, h('p', {}, 'Loading…'));
		later.append(
			section('hierarchy', 'Protocol hierarchy', hierarchyHolder),
			section('endpoints', 'Endpoints', statsPanel(captureId, 'endpoints')),
			section('conversations', 'Conversations', statsPanel(captureId, 'conversations')),
			section('dns', 'DNS lookups', dnsHolder),
			section('query', 'Field query', fieldQuery(captureId)));
		api.hierarchy(captureId)
			.then((data) => hierarchyHolder.replaceChildren(hierarchyChart(data, status.frames)))
			.catch((failure) => hierarchyHolder.replaceChildren(errorText(failure)));
		api.dns(captureId)
			.then((data) => dnsHolder.replaceChildren(dnsTable(data)))
			.catch((failure) => dnsHolder.replaceChildren(errorText(failure)));
	})();
	return { element: view };
}
