// view-parts.js: pieces every view of a capture's page shares: a titled card, an error line,
// a link that opens a frame in the packet list, and waiting for the summary analysis before a
// section that reads its results loads.
// SPDX-License-Identifier: GPL-2.0-or-later
import { h } from './dom.js';
import { captureHash } from './location.js';

export function section(id, title, ...children) {
	return h('section', { class: 'card', id: `section-${id}`, 'aria-labelledby': `${id}-heading` },
		h('h2', { id: `${id}-heading` }, title), ...children);
}

export function errorText(failure) {
	return h('p', { class: 'error', role: 'alert' }, failure.message || String(failure));
}

// The frame in the packet list (no filter), or '' for none.
export function frameLink(captureId, frame) {
	if (frame === null || frame === undefined || frame === '')
		return '';
	return h('a', { href: captureHash(captureId, 'packets', { frame }), class: 'frame-link', 'data-frame': String(frame) },
		String(frame));
}

// The packet list with a filter applied.
export function filterLink(captureId, filter, text = 'Packets', label = null) {
	return h('a', {
		href: captureHash(captureId, 'packets', { filter }), class: 'filter-link', 'data-filter': filter,
		'aria-label': label, title: filter,
	}, text);
}

// Runs load() into holder once the capture's summary analysis is ready; until then the
// holder says it waits (ctx.analysis resolves with the final status).
export function afterAnalysis(ctx, holder, load) {
	holder.replaceChildren(h('p', { class: 'waiting' }, 'Waiting for the analysis of the capture…'));
	holder.setAttribute('aria-busy', 'true');
	ctx.analysis.then(async (status) => {
		if (status.analysis.state === 'failed') {
			holder.replaceChildren(h('p', { class: 'error' }, `The analysis failed: ${status.analysis.error || 'unknown reason'}`));
			return;
		}
		holder.replaceChildren(h('p', {}, 'Loading…'));
		try {
			await load(status);
		} catch (failure) {
			holder.replaceChildren(errorText(failure));
		}
	}, (failure) => holder.replaceChildren(errorText(failure)))
		.finally(() => holder.removeAttribute('aria-busy'));
}
