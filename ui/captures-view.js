// captures-view.js: the start page: upload by drag and drop (or the file picker) with a
// progress bar, and the capture list with search by name and tag (the v1 search route).
// SPDX-License-Identifier: GPL-2.0-or-later
import { api } from './api.js';
import { announce, debounce, formatBytes, formatNumber, h } from './dom.js';
import { sortableTable } from './sortable-table.js';

function uploadPanel(onUploaded) {
	const fileInput = h('input', {
		id: 'upload-file', type: 'file', multiple: true, class: 'file-input',
		accept: '.pcap,.pcapng,.cap,.gz,.pcap.gz,.pcapng.gz,.ntar,.erf,.snoop',
	});
	const tagsInput = h('input', { id: 'upload-tags', type: 'text', autocomplete: 'off', 'aria-describedby': 'upload-tags-help' });
	const progress = h('progress', { id: 'upload-progress', max: '100', value: '0', 'aria-labelledby': 'upload-progress-label' });
	const progressLabel = h('span', { id: 'upload-progress-label' }, 'Upload progress');
	const progressText = h('span', { class: 'progress-text' });
	const progressRow = h('div', { class: 'progress-row', hidden: true }, progressLabel, progress, progressText);
	const results = h('ul', { class: 'upload-results', 'aria-live': 'polite' });
	const zone = h('div', { class: 'drop-zone', id: 'drop-zone' },
		h('p', { class: 'drop-hint' }, 'Drop capture files here, or'),
		h('label', { for: 'upload-file', class: 'button-like' }, 'Choose capture files'),
		fileInput);

	async function uploadAll(files) {
		for (const file of files) {
			progressRow.hidden = false;
			progress.value = 0;
			progressLabel.textContent = `Uploading ${file.name}`;
			progressText.textContent = '0%';
			try {
				const answer = await api.upload(file, {
					tags: tagsInput.value.trim(),
					onProgress: (fraction) => {
						progress.value = Math.round(fraction * 100);
						progressText.textContent = `${Math.round(fraction * 100)}%`;
					},
				});
				progress.value = 100;
				progressText.textContent = 'done, checked by the server';
				results.append(h('li', { class: 'ok' }, 'Uploaded ',
					h('a', { href: `#/capture/${answer.id}` }, answer.filename), ` (${answer.id})`));
				announce(`Uploaded ${answer.filename}`);
				onUploaded(answer);
			} catch (failure) {
				progressText.textContent = 'failed';
				results.append(h('li', { class: 'error' }, `${file.name}: ${failure.message}`));
				announce(`Upload of ${file.name} failed: ${failure.message}`);
			}
		}
	}

	fileInput.addEventListener('change', () => {
		const files = [...fileInput.files];
		fileInput.value = '';
		uploadAll(files);
	});
	zone.addEventListener('dragover', (event) => {
		event.preventDefault();
		event.dataTransfer.dropEffect = 'copy';
		zone.classList.add('dragging');
	});
	zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
	zone.addEventListener('drop', (event) => {
		event.preventDefault();
		zone.classList.remove('dragging');
		uploadAll([...event.dataTransfer.files]);
	});

	return h('section', { class: 'card', 'aria-labelledby': 'upload-heading' },
		h('h2', { id: 'upload-heading' }, 'Upload'),
		zone,
		h('div', { class: 'field' },
			h('label', { for: 'upload-tags' }, 'Tags for the next uploads (optional)'),
			tagsInput,
			h('p', { id: 'upload-tags-help', class: 'help' }, 'Comma separated, e.g. lab,dns')),
		progressRow, results);
}

function captureTable(captures) {
	return sortableTable({
		caption: 'Captures',
		label: 'Captures',
		rows: captures,
		sort: { key: 'created_at', descending: true },
		columns: [
			{ key: 'filename', label: 'Name', format: (value, row) => h('a', { href: `#/capture/${row.id}` }, value || row.id) },
			{ key: 'tag_list', label: 'Tags' },
			{ key: 'num_packets', label: 'Frames', numeric: true },
			{ key: 'size', label: 'Size', numeric: true, format: (value) => formatBytes(value) },
			{ key: 'duration', label: 'Duration (s)', numeric: true, format: (value) => value },
			{ key: 'created_at', label: 'Uploaded' },
		],
	});
}

function listPanel() {
	const nameInput = h('input', { id: 'search-name', type: 'search', autocomplete: 'off' });
	const tagInput = h('input', { id: 'search-tag', type: 'search', autocomplete: 'off' });
	const status = h('p', { class: 'list-status', role: 'status' });
	const holder = h('div');
	let generation = 0;

	async function load() {
		const mine = ++generation;
		holder.setAttribute('aria-busy', 'true');
		const name = nameInput.value.trim();
		const tag = tagInput.value.trim();
		let captures;
		try {
			captures = await api.search({ name, tag });
		} catch (failure) {
			if (mine === generation) {
				holder.removeAttribute('aria-busy');
				status.textContent = `Could not list captures: ${failure.message}`;
				holder.replaceChildren();
			}
			return;
		}
		if (mine !== generation)
			return;
		holder.removeAttribute('aria-busy');
		status.textContent = captures.length === 0 ? 'No captures match.'
			: `${formatNumber(captures.length)} ${captures.length === 1 ? 'capture' : 'captures'}`;
		holder.replaceChildren(captures.length === 0 ? '' : captureTable(captures));
	}

	const reload = debounce(load, 250);
	const form = h('form', {
		class: 'search-form', role: 'search', 'aria-label': 'Search captures',
		onsubmit: (event) => { event.preventDefault(); load(); },
	},
	h('div', { class: 'field' }, h('label', { for: 'search-name' }, 'Name contains'), nameInput),
	h('div', { class: 'field' }, h('label', { for: 'search-tag' }, 'Tag'), tagInput),
	h('button', { type: 'submit' }, 'Search'));
	nameInput.addEventListener('input', reload);
	tagInput.addEventListener('input', reload);

	const section = h('section', { class: 'card', 'aria-labelledby': 'list-heading' },
		h('h2', { id: 'list-heading' }, 'Capture list'), form, status, holder);
	return { element: section, load };
}

export function capturesView() {
	const list = listPanel();
	const view = h('div', { class: 'captures-view' },
		h('h1', { tabindex: '-1' }, 'Captures'),
		uploadPanel(() => list.load()),
		list.element);
	list.load();
	return { element: view };
}
