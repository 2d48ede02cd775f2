// filter-input.js: a display filter field checked by the server as you type (GET
// /api/v2/filter/check: libwireshark's own words on error). The verdict line below the field
// keeps one line's height whatever it says, so checking never moves the layout. Used by the
// packet list, the field query box, expert info and the I/O graph's series.
// SPDX-License-Identifier: GPL-2.0-or-later
import { api } from './api.js';
import { debounce, h } from './dom.js';

const EMPTY_TEXT = 'Empty matches every frame.';

// verdict: {valid, error}; the status line says it, and the input's aria-invalid follows.
export function filterInput({ id, label, value = '', placeholder = 'e.g. tcp.port == 80 && ip.addr == 10.0.0.0/8',
	emptyText = EMPTY_TEXT, onInput = null, inline = false, detached = false }) {
	const input = h('input', {
		id, type: 'text', autocomplete: 'off', spellcheck: 'false', value, placeholder,
		'aria-describedby': `${id}-status`, class: 'filter-text',
	});
	const status = h('p', { id: `${id}-status`, class: 'help filter-status', 'aria-live': 'polite' }, emptyText);
	let controller = null;
	let pending = null; // the promise of the check of the field's current text

	function show(verdict, filter) {
		// Which text this verdict is about: typing on may have changed the field meanwhile.
		status.dataset.checked = filter;
		status.title = '';
		if (verdict.valid) {
			input.removeAttribute('aria-invalid');
			status.textContent = filter.trim() === '' ? emptyText : 'Valid filter.';
			status.className = 'help filter-status ok';
		} else {
			input.setAttribute('aria-invalid', 'true');
			status.textContent = verdict.error;
			status.title = verdict.error;
			status.className = 'help filter-status error filter-error';
		}
	}

	// Resolves the verdict on the field's text now (one request per text).
	function check() {
		const filter = input.value;
		if (pending && pending.filter === filter)
			return pending.promise;
		controller?.abort();
		controller = new AbortController();
		const { signal } = controller;
		let promise;
		if (filter.trim() === '') {
			promise = Promise.resolve({ valid: true, filter });
		} else {
			status.textContent = 'Checking…';
			status.className = 'help filter-status';
			promise = api.checkFilter(filter, signal);
		}
		promise = promise.then((verdict) => {
			if (input.value === filter)
				show(verdict, filter);
			return verdict;
		}, (failure) => {
			if (failure.name === 'AbortError')
				throw failure;
			status.textContent = `Could not check the filter: ${failure.message}`;
			status.className = 'help filter-status error';
			// The server will say what is wrong when the filter is used.
			return { valid: true, filter, unchecked: true };
		});
		pending = { filter, promise };
		return promise;
	}

	const checkLater = debounce(() => check().catch(() => {}), 200);
	input.addEventListener('input', () => {
		pending = null;
		checkLater();
		onInput?.(input.value);
	});

	return {
		input,
		status,
		// The verdict line is part of the element unless the caller places it (detached: true).
		element: h('div', { class: `field wide filter-field${inline ? ' inline-label' : ''}` }, h('label', { for: id }, label), input,
			detached ? null : status),
		check,
		get value() { return input.value; },
		set value(text) {
			input.value = text;
			pending = null;
			if (text.trim() === '')
				show({ valid: true }, text);
			else
				check().catch(() => {});
		},
		// A filter the server refused when it was used (a 400): shown as the check shows it.
		showError(message) { show({ valid: false, error: message }, input.value); },
	};
}
