// app.js: the page's entry point and router. Views are chosen by the URL fragment
// (#/ the capture list, #/capture/<id> one capture), so the server serves one page and the
// back button works. Without a token in this tab, every route shows the sign-in form.
// SPDX-License-Identifier: GPL-2.0-or-later
import { clearToken, getToken } from './api.js';
import { captureView } from './capture-view.js';
import { capturesView } from './captures-view.js';
import { loginView } from './login-view.js';

const main = document.getElementById('main');
const nav = document.getElementById('main-nav');
let generation = 0;

function show(view, focusTarget) {
	main.replaceChildren(view.element);
	// Move focus to the new view's heading, so keyboard and screen reader users start there.
	if (focusTarget)
		focusTarget();
	else
		main.querySelector('h1')?.focus();
}

function route() {
	const mine = ++generation;
	const isCurrent = () => mine === generation;
	if (!getToken()) {
		nav.hidden = true;
		document.title = 'Sign in – sharkapi';
		const view = loginView(() => route());
		show(view, view.focus);
		return;
	}
	nav.hidden = false;
	const match = /^#\/capture\/([0-9a-f]{12})$/.exec(window.location.hash);
	if (match) {
		document.title = `Capture ${match[1]} – sharkapi`;
		show(captureView(match[1], isCurrent));
	} else {
		document.title = 'Captures – sharkapi';
		show(capturesView());
	}
}

document.getElementById('sign-out').addEventListener('click', () => {
	clearToken();
	window.location.hash = '#/';
	route();
});
// The skip link must not change the fragment: that would be a route change.
document.querySelector('.skip-link').addEventListener('click', (event) => {
	event.preventDefault();
	main.focus();
});
window.addEventListener('hashchange', () => {
	// Fragments outside "#/..." are in-page anchors, not views.
	if (window.location.hash === '' || window.location.hash.startsWith('#/'))
		route();
});
route();
