// keylog-panel.js: the capture's TLS key log (PUT/DELETE tls-keys): choose an NSS key log file
// (SSLKEYLOGFILE) and store it, or remove the stored one. The route needs a token with both the
// upload and the analysis permission; the panel says so before and, when the server refuses,
// after. The keys go to this server only and are never shown. onChanged(): every result of the
// capture is computed again, so the page reloads what it shows.
// SPDX-License-Identifier: GPL-2.0-or-later
import { api } from './api.js';
import { announce, h } from './dom.js';

const MAX_KEYLOG_BYTES = 1024 * 1024;

export function keylogPanel(ctx, idPrefix) {
	const fileId = `${idPrefix}-keylog-file`;
	const file = h('input', { id: fileId, type: 'file', accept: '.log,.txt,.keys,.keylog,text/plain', 'aria-describedby': `${idPrefix}-keylog-help` });
	const message = h('p', { class: 'keylog-status', id: `${idPrefix}-keylog-status`, role: 'status' });
	const upload = h('button', { type: 'submit', id: `${idPrefix}-keylog-upload` }, 'Upload key log');
	const remove = h('button', { type: 'button', id: `${idPrefix}-keylog-remove`, class: 'secondary' }, 'Remove key log');

	function say(text, kind = '') {
		message.textContent = text;
		message.className = `keylog-status ${kind}`;
	}

	function explain(failure) {
		if (failure.status === 403)
			return `This token may not change key logs: tls-keys needs a token with both the upload and the analysis permission (the server says: ${failure.message}).`;
		if (failure.status === 401)
			return 'The server does not know this token any more: sign in again.';
		return failure.message;
	}

	async function run(action, busyText) {
		upload.disabled = true;
		remove.disabled = true;
		say(busyText);
		try {
			await action();
		} catch (failure) {
			say(explain(failure), 'error');
			announce(message.textContent);
		} finally {
			upload.disabled = false;
			remove.disabled = false;
		}
	}

	const form = h('form', {
		class: 'keylog-form',
		onsubmit: (event) => {
			event.preventDefault();
			const chosen = file.files[0];
			if (!chosen) {
				say('Choose a key log file first.', 'error');
				return;
			}
			if (chosen.size > MAX_KEYLOG_BYTES) {
				say('A key log may be at most 1 MiB.', 'error');
				return;
			}
			run(async () => {
				const answer = await api.putTlsKeys(ctx.captureId, await chosen.text());
				file.value = '';
				say(`Key log stored (${answer.keys} ${answer.keys === 1 ? 'key' : 'keys'}); the capture's results are computed again with it.`, 'ok');
				announce(message.textContent);
				ctx.keysChanged();
			}, 'Storing the key log…');
		},
	},
	h('div', { class: 'field' }, h('label', { for: fileId }, 'TLS key log file'), file,
		h('p', { class: 'help', id: `${idPrefix}-keylog-help` },
			'An NSS key log (SSLKEYLOGFILE), at most 1 MiB. Needs a token with the upload and analysis permissions. Keys embedded in a pcapng apply without it.')),
	h('div', { class: 'button-row' }, upload, remove),
	message);
	remove.addEventListener('click', () => run(async () => {
		try {
			await api.deleteTlsKeys(ctx.captureId);
		} catch (failure) {
			if (failure.status !== 404)
				throw failure;
			say('This capture has no stored key log.', '');
			return;
		}
		say('Key log removed; the capture\'s results are computed again without it.', 'ok');
		announce(message.textContent);
		ctx.keysChanged();
	}, 'Removing the key log…'));
	return form;
}
