// login-view.js: asks for an API token and checks it against the server before keeping it.
// SPDX-License-Identifier: GPL-2.0-or-later
import { ApiError, api, clearToken, setToken } from './api.js';
import { h } from './dom.js';

export function loginView(onSignedIn) {
	const input = h('input', {
		id: 'token', name: 'token', type: 'password', required: true, autocomplete: 'off',
		spellcheck: 'false', pattern: '[0-9a-fA-F]{32}', 'aria-describedby': 'token-help token-error',
	});
	const error = h('p', { id: 'token-error', class: 'error', role: 'alert' });
	const form = h('form', {
		class: 'card login',
		onsubmit: async (event) => {
			event.preventDefault();
			error.textContent = '';
			const token = input.value.trim().toLowerCase();
			setToken(token);
			try {
				await api.tables({ retry: false });
			} catch (failure) {
				// Only a 401 says the token is unknown: a 403 (no analysis permission) or a 503
				// (no worker up yet) came from a server that accepted it.
				if (failure.status === 401 || failure.status === 0 || !(failure instanceof ApiError)) {
					clearToken();
					error.textContent = failure.status === 401
						? 'The server does not know this token.' : `Could not sign in: ${failure.message}`;
					input.setAttribute('aria-invalid', 'true');
					input.focus();
					return;
				}
			}
			onSignedIn();
		},
	},
	h('label', { for: 'token' }, 'API token'),
	h('p', { id: 'token-help', class: 'help' },
		'32 hex characters, from ', h('code', {}, 'sharkapi token create'),
		'. Kept in this tab only (sessionStorage).'),
	input,
	h('button', { type: 'submit' }, 'Sign in'),
	error);
	const view = h('section', { 'aria-labelledby': 'login-heading' },
		h('h1', { id: 'login-heading', tabindex: '-1' }, 'Sign in'),
		form);
	return { element: view, focus: () => input.focus() };
}
