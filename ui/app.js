// app.js: the page's entry point and router. Views are chosen by the URL fragment
// (#/ the capture list, #/capture/<id>/<view>?... one capture: location.js), so the server
// serves one page and the back button works. Moving within one capture's page (another
// view, filter or frame) updates that page instead of building it again. Without a token in
// this tab, every route shows the sign-in form.
// SPDX-License-Identifier: GPL-2.0-or-later
import { clearToken, getToken } from './api.js';
import { captureView } from './capture-view.js';
import { capturesView } from './captures-view.js';
import { parseCaptureRoute } from './location.js';
import { loginView } from './login-view.js';

const main = document.getElementById('main');
const nav = document.getElementById('main-nav');
let generation = 0;
let current = null; // { captureId, view } while a capture's page is shown

function show(view, focusTarget) {
	main.replaceChildren(view.element);
	main.classList.toggle('wide', Boolean(view.wide));
	// Move focus to the new view's heading, so keyboard and screen reader users start there.
	if (focusTarget)
		focusTarget();
	else
		main.querySelector('h1')?.focus();
}

function route() {
	const captureRoute = getToken() ? parseCaptureRoute(window.location.hash) : null;
	if (captureRoute && current && current.captureId === captureRoute.captureId && main.contains(current.view.element)) {
		// Same capture: the page keeps what it loaded, the view follows the address.
		current.view.update(captureRoute);
		return;
	}
	const mine = ++generation;
	const isCurrent = () => mine === generation;
	current = null;
	if (!getToken()) {
		nav.hidden = true;
		document.title = 'Sign in – sharkapi';
		const view = loginView(() => route());
		show(view, view.focus);
		return;
	}
	nav.hidden = false;
	if (captureRoute) {
		document.title = `Capture ${captureRoute.captureId} – sharkapi`;
		const view = captureView(captureRoute, isCurrent);
		current = { captureId: captureRoute.captureId, view };
		show(view);
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
