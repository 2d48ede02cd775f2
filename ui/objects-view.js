// objects-view.js: export objects (GET objects/<proto>): the objects libwireshark's handler for
// a protocol finds (HTTP, SMB, TFTP, IMF, DICOM, FTP-DATA), each with its frame (a link into the
// packet list) and a download of its bytes under the name the server gives (tshark's file name).
// The download is fetched with the token, then saved from memory: a plain link would not carry
// the Authorization header.
// SPDX-License-Identifier: GPL-2.0-or-later
import { api } from './api.js';
import { announce, formatBytes, h, saveBlob } from './dom.js';
import { sortableTable } from './sortable-table.js';
import { afterAnalysis, errorText, frameLink, section } from './view-parts.js';

const PROTOCOLS = [['http', 'HTTP'], ['smb', 'SMB'], ['tftp', 'TFTP'], ['imf', 'IMF (e-mail)'], ['dicom', 'DICOM'], ['ftp-data', 'FTP-DATA']];

export function objectsView(ctx) {
	const { captureId } = ctx;
	const picker = h('select', { id: 'objects-protocol' }, PROTOCOLS.map(([value, label]) => h('option', { value }, label)));
	const holder = h('div', { class: 'objects-holder' });
	const status = h('p', { class: 'help', role: 'status', id: 'objects-status' });

	async function download(proto, object, button) {
		button.disabled = true;
		status.textContent = `Downloading ${object.filename || `object ${object.index}`}…`;
		try {
			const { blob, filename } = await api.objectFile(captureId, proto, object.index);
			saveBlob(blob, filename || object.filename || `object-${object.index}`);
			status.textContent = `Saved ${filename || object.filename} (${formatBytes(blob.size)}).`;
			announce(status.textContent);
		} catch (failure) {
			status.textContent = `Could not download: ${failure.message}`;
		} finally {
			button.disabled = false;
		}
	}

	async function load() {
		const proto = picker.value;
		holder.setAttribute('aria-busy', 'true');
		try {
			const data = await api.objects(captureId, proto);
			if (data.objects.length === 0) {
				holder.replaceChildren(h('p', {}, `No ${proto.toUpperCase()} objects in this capture.`));
				return;
			}
			holder.replaceChildren(sortableTable({
				caption: `${PROTOCOLS.find(([p]) => p === proto)[1]} objects`,
				label: `${proto} objects`,
				rows: data.objects,
				columns: [
					{ key: 'index', label: 'No.', numeric: true },
					{ key: 'frame', label: 'Frame', numeric: true, format: (v) => frameLink(captureId, v) },
					{ key: 'hostname', label: 'Host' },
					{ key: 'content_type', label: 'Content type' },
					{ key: 'size', label: 'Size (bytes)', numeric: true },
					{ key: 'filename', label: 'File name' },
					{
						key: 'download', label: 'Download', sortable: false, value: () => '',
						format: (v, object) => {
							const button = h('button', {
								type: 'button', class: 'secondary download-object', 'data-index': String(object.index),
								'aria-label': `Download ${object.filename || `object ${object.index}`}`,
							}, 'Download');
							button.addEventListener('click', () => download(proto, object, button));
							return button;
						},
					},
				],
			}));
		} catch (failure) {
			holder.replaceChildren(errorText(failure));
		} finally {
			holder.removeAttribute('aria-busy');
		}
	}

	picker.addEventListener('change', load);
	const body = h('div');
	afterAnalysis(ctx, body, async () => {
		body.replaceChildren(h('div', { class: 'field inline' }, h('label', { for: 'objects-protocol' }, 'Protocol'), picker), status, holder);
		await load();
	});
	return { element: section('objects', 'Exported objects', body) };
}
