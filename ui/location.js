// location.js: the URL fragment as the page's state, so a reload or a shared link opens the
// same view. "#/" is the capture list; "#/capture/<id>[/<view>][?name=value...]" a capture's
// view with its parameters (packets: filter, frame, passes, columns); the follow view is
// "#/capture/<id>/follow/<proto>/<stream>[/<substream>]". Must not fetch anything.
// SPDX-License-Identifier: GPL-2.0-or-later

const CAPTURE_VIEWS = ['packets', 'summary', 'endpoints', 'conversations', 'dns', 'http', 'tls',
	'expert', 'io', 'objects', 'query', 'follow'];

// null when the fragment is not a capture's page.
export function parseCaptureRoute(hash) {
	const [path, search = ''] = hash.replace(/^#/, '').split('?', 2);
	const match = /^\/capture\/([0-9a-f]{12})(?:\/([a-z]+)((?:\/[^/]+)*))?\/?$/.exec(path);
	if (!match)
		return null;
	const view = match[2] || 'packets';
	if (!CAPTURE_VIEWS.includes(view))
		return null;
	const rest = (match[3] || '').split('/').filter(Boolean).map(decodeURIComponent);
	const params = Object.fromEntries(new URLSearchParams(search));
	return { captureId: match[1], view, rest, params };
}

export function captureHash(captureId, view = 'packets', params = {}, rest = []) {
	const search = new URLSearchParams();
	for (const [name, value] of Object.entries(params)) {
		if (value !== undefined && value !== null && value !== '')
			search.append(name, String(value));
	}
	const text = search.toString();
	const tail = rest.map((part) => `/${encodeURIComponent(part)}`).join('');
	return `#/capture/${captureId}/${view}${tail}${text ? `?${text}` : ''}`;
}

// The view already shows this state: only the address bar changes (no hashchange, no
// re-render). push: a step the back button returns from (a new filter); otherwise replaced
// (moving the selection).
export function recordState(hash, { push = false } = {}) {
	if (window.location.hash === hash)
		return;
	if (push)
		window.history.pushState(null, '', hash);
	else
		window.history.replaceState(null, '', hash);
}
