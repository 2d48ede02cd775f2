// capture-view.js: one capture's page, a packet viewer first: the capture's name and analysis
// progress, a row of views (packets, summary, endpoints, conversations, DNS, HTTP, TLS,
// expert info, I/O graph, objects, field query, and follow stream when one is open) and the
// view the URL names (location.js). Views are built on first visit and kept, so going back
// to the packets finds the list where it was. The summary analysis is polled here once; views
// that read its results wait for it (view-parts.js afterAnalysis). A key log stored or removed
// changes every result: the packet list reloads, other views are built again.
// SPDX-License-Identifier: GPL-2.0-or-later
import { api } from './api.js';
import { announce, h } from './dom.js';
import { expertView } from './expert-view.js';
import { fieldQuery } from './field-query.js';
import { followView } from './follow-view.js';
import { ioGraphView } from './io-graph.js';
import { captureHash } from './location.js';
import { objectsView } from './objects-view.js';
import { packetsView } from './packets-view.js';
import { httpView, tlsView } from './requests-view.js';
import { summaryView } from './summary-view.js';
import { conversationsView, dnsView, endpointsView } from './tables-view.js';
import { section } from './view-parts.js';

const STATUS_POLL_MS = 500;

const VIEWS = [
	['packets', 'Packets'], ['summary', 'Summary'], ['endpoints', 'Endpoints'], ['conversations', 'Conversations'],
	['dns', 'DNS'], ['http', 'HTTP'], ['tls', 'TLS'], ['expert', 'Expert info'], ['io', 'I/O graph'],
	['objects', 'Objects'], ['query', 'Field query'], ['follow', 'Follow stream'],
];

const FACTORIES = {
	summary: summaryView,
	endpoints: endpointsView,
	conversations: conversationsView,
	dns: dnsView,
	http: httpView,
	tls: tlsView,
	expert: expertView,
	io: ioGraphView,
	objects: objectsView,
	follow: followView,
	query: (ctx) => ({ element: section('query', 'Field query', fieldQuery(ctx.captureId)) }),
};

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

export function captureView(firstRoute, isCurrent) {
	const { captureId } = firstRoute;
	const heading = h('h1', { tabindex: '-1', id: 'capture-heading' }, `Capture ${captureId}`);
	const progress = h('progress', { max: '100', value: '0', id: 'analysis-progress', 'aria-label': 'Analysis progress' });
	const progressText = h('span', { class: 'progress-text' }, '');
	const analysisNote = h('p', { class: 'analysis-note', hidden: true }, 'Analysing… ', progress, ' ', progressText);
	const navLinks = new Map();
	const nav = h('nav', { class: 'view-nav', 'aria-label': 'Capture views' }, h('ul', {}, VIEWS.map(([name, title]) => {
		const link = h('a', { href: captureHash(captureId, name), 'data-view': name }, title);
		if (name === 'packets') {
			// Back to the packets is back to the same list: its filter, frame and columns.
			const current = () => { link.href = ctx.packetsHash(); };
			for (const event of ['click', 'focus', 'mouseenter'])
				link.addEventListener(event, current);
		}
		navLinks.set(name, link);
		return h('li', { hidden: name === 'follow' }, link);
	})));
	const holder = h('div', { class: 'view-holder' });
	const element = h('div', { class: 'capture-view' },
		h('div', { class: 'capture-head' },
			h('p', { class: 'breadcrumb' }, h('a', { href: '#/' }, '← All captures')),
			heading, analysisNote),
		nav, holder);

	const listeners = new Set();
	const views = new Map();
	let currentName = null;
	const lastRoutes = new Map();

	const ctx = {
		captureId,
		info: null,
		status: null,
		analysis: null,
		// The packet list's address with its current filter and columns, and these changes.
		packetsHash(change = {}) {
			const params = views.get('packets')?.params() ?? {};
			return captureHash(captureId, 'packets', { ...params, ...change });
		},
		onStatus(listener) {
			listeners.add(listener);
			if (ctx.status)
				listener(ctx.status);
		},
		keysChanged() {
			// Every result changes: the list reloads, the view shown reloads its results, the
			// others are built again when next shown.
			startAnalysis();
			for (const [name, view] of views) {
				if (name !== 'packets' && name !== currentName) {
					view.element.remove();
					views.delete(name);
				}
			}
			views.get('packets')?.refresh();
			if (currentName !== 'packets')
				views.get(currentName)?.refresh?.();
		},
	};

	function startAnalysis() {
		analysisNote.hidden = true;
		ctx.analysis = waitForAnalysis(captureId, (status) => {
			ctx.status = status;
			const ready = status.analysis.state === 'ready' || status.analysis.state === 'failed';
			const percent = Math.round((status.analysis.progress || 0) * 100);
			progress.value = percent;
			progressText.textContent = `${percent}%`;
			if (!ready)
				analysisNote.hidden = false;
			else if (!analysisNote.hidden) {
				// The progress bar is not a live region (it would speak every half second): say the end.
				announce(`Analysis ${status.analysis.state}`);
				analysisNote.hidden = true;
			}
			for (const listener of listeners)
				listener(status);
		}, isCurrent);
		ctx.analysis.catch(() => { analysisNote.hidden = true; });
	}

	function viewFor(name) {
		let view = views.get(name);
		if (!view) {
			view = name === 'packets' ? packetsView(captureId) : FACTORIES[name](ctx);
			if (name === 'packets')
				ctx.onStatus((status) => { view.totalFrames = status.frames; });
			view.element.dataset.view = name;
			views.set(name, view);
			holder.append(view.element);
		}
		return view;
	}

	function showView(route) {
		const name = route.view;
		lastRoutes.set(name, route);
		const view = viewFor(name);
		for (const [other, otherView] of views)
			otherView.element.hidden = other !== name;
		for (const [other, link] of navLinks) {
			if (other === name)
				link.setAttribute('aria-current', 'page');
			else
				link.removeAttribute('aria-current');
		}
		if (name === 'follow') {
			navLinks.get('follow').parentElement.hidden = false;
			navLinks.get('follow').href = window.location.hash;
		}
		currentName = name;
		const title = VIEWS.find(([n]) => n === name)[1];
		document.title = `${heading.textContent} – ${title} – sharkapi`;
		view.show?.(route);
	}

	(async () => {
		try {
			ctx.info = await api.info(captureId);
			heading.textContent = ctx.info.filename || `Capture ${captureId}`;
			document.title = `${heading.textContent} – sharkapi`;
			if (ctx.status)
				for (const listener of listeners)
					listener(ctx.status);
		} catch (failure) {
			// A token without the info permission still sees the analysis; an unknown id does not.
			if (failure.status === 404) {
				holder.replaceChildren(h('p', { class: 'error', role: 'alert' }, failure.message));
				nav.hidden = true;
			}
		}
	})();
	startAnalysis();
	showView(firstRoute);

	return {
		element,
		wide: true,
		update: showView,
		focus: () => heading.focus(),
	};
}
