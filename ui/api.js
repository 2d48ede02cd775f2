// api.js: the only module that speaks HTTP. Every call goes to this same server (no CDN, no
// other host); the token lives in sessionStorage, so it is gone when the tab closes.
// v1 routes carry the token in the path, v2 routes in the Authorization header (API.md).
// SPDX-License-Identifier: GPL-2.0-or-later

const TOKEN_KEY = 'sharkapi.token';

export class ApiError extends Error {
	constructor(status, message) {
		super(message);
		this.status = status;
	}
}

export function getToken() {
	return window.sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(token) {
	window.sessionStorage.setItem(TOKEN_KEY, token);
}

export function clearToken() {
	window.sessionStorage.removeItem(TOKEN_KEY);
}

// The API's error body is {"exceptions": ["reason"], "status": N}.
async function errorFrom(response) {
	let message = `${response.status} ${response.statusText}`;
	try {
		const body = await response.json();
		if (Array.isArray(body.exceptions) && body.exceptions.length > 0)
			message = body.exceptions.join('; ');
	} catch (ignored) {
		// Not JSON: the status line says enough.
	}
	return new ApiError(response.status, message);
}

function query(params) {
	const search = new URLSearchParams();
	for (const [name, value] of Object.entries(params)) {
		// An array repeats the parameter (stats/io's column=A&column=B).
		for (const one of Array.isArray(value) ? value : [value]) {
			if (one !== undefined && one !== null)
				search.append(name, String(one));
		}
	}
	const text = search.toString();
	return text ? `?${text}` : '';
}

// A 503 says "not yet" (no worker up, or a result being computed again after a key log
// changed): ask again a few times, as the Retry-After header says, before giving up.
const RETRIES_503 = 20;

function waitFor(ms, signal) {
	return new Promise((resolve, reject) => {
		const timer = window.setTimeout(resolve, ms);
		signal?.addEventListener('abort', () => {
			window.clearTimeout(timer);
			reject(new DOMException('aborted', 'AbortError'));
		}, { once: true });
	});
}

async function send(url, { v2 = true, signal, method = 'GET', body, accept = 'application/json', retry = true } = {}) {
	const headers = { Accept: accept };
	if (v2)
		headers.Authorization = getToken() || '';
	for (let attempt = 0; ; attempt++) {
		const response = await fetch(url, { method, headers, body, signal, cache: 'no-store' });
		if (response.ok)
			return response;
		if (response.status !== 503 || method !== 'GET' || !retry || attempt >= RETRIES_503)
			throw await errorFrom(response);
		const seconds = Number(response.headers.get('Retry-After'));
		await waitFor(Math.min(Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 500 * (attempt + 1), 5000), signal);
	}
}

async function getJson(url, options = {}) {
	const response = await send(url, options);
	return response.json();
}

function v1(route) {
	return `/api/v1/${encodeURIComponent(getToken() || '')}/${route}`;
}

function analysisUrl(id, route, params = {}) {
	return `/api/v2/analysis/${encodeURIComponent(id)}/${route}${query(params)}`;
}

function v2(id, route, params = {}, signal) {
	return getJson(analysisUrl(id, route, params), { signal }).then((body) => body.data);
}

// "attachment; filename=logo.png" or filename*=UTF-8''...: the name the server gave.
function filenameFrom(disposition) {
	if (!disposition)
		return null;
	const extended = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(disposition);
	if (extended)
		return decodeURIComponent(extended[1].trim());
	const plain = /filename\s*=\s*"?([^";]+)"?/i.exec(disposition);
	return plain ? plain[1].trim() : null;
}

export const api = {
	// Sign-in asks this once: a 503 there already says the token was accepted.
	tables: ({ retry = true } = {}) => getJson('/api/v2/tables', { retry }).then((body) => body.data.tables),
	checkFilter: (filter, signal) =>
		getJson(`/api/v2/filter/check${query({ filter })}`, { signal }).then((body) => body.data),
	info: (id) => getJson(v1(`info/${encodeURIComponent(id)}`), { v2: false }),
	status: (id) => v2(id, 'status'),
	hierarchy: (id) => v2(id, 'stats/hierarchy'),
	endpoints: (id, protocol) => v2(id, 'stats/endpoints', { protocol }),
	conversations: (id, protocol) => v2(id, 'stats/conversations', { protocol }),
	dns: (id) => v2(id, 'dns/lookups'),
	fields: (id, { fields, filter, limit, offset }, signal) =>
		v2(id, 'packets/fields', { fields, filter: filter || undefined, limit, offset }, signal),
	downloadUrl: (id) => v1(`download/${encodeURIComponent(id)}`),

	// Packet-level routes (API.md "v2: packet-level routes").
	frames: (id, { filter, offset, limit, passes, columns }, signal) => v2(id, 'frames', {
		filter: filter || undefined, offset, limit, passes: passes === 2 ? 2 : undefined,
		columns: columns && columns.length > 0 ? columns.join(',') : undefined,
	}, signal),
	frame: (id, number, { passes } = {}, signal) =>
		v2(id, `frames/${number}`, { passes: passes === 2 ? 2 : undefined }, signal),
	follow: (id, { proto, stream, substream }, signal) => v2(id,
		`follow/${encodeURIComponent(proto)}/${stream}${substream === undefined || substream === null ? '' : `/${substream}`}`,
		{}, signal),
	async putTlsKeys(id, text) {
		const response = await send(analysisUrl(id, 'tls-keys'), { method: 'PUT', body: text });
		return (await response.json()).data;
	},
	async deleteTlsKeys(id) {
		const response = await send(analysisUrl(id, 'tls-keys'), { method: 'DELETE' });
		return (await response.json()).data;
	},
	expert: (id, { filter, limit, offset } = {}, signal) =>
		v2(id, 'expert', { filter: filter || undefined, limit, offset }, signal),
	io: (id, { interval, columns }, signal) => v2(id, 'stats/io', { interval, column: columns }, signal),
	objects: (id, proto, signal) => v2(id, `objects/${encodeURIComponent(proto)}`, {}, signal),
	// The object's bytes with the name the server gives it (Content-Disposition).
	async objectFile(id, proto, index) {
		const response = await send(analysisUrl(id, `objects/${encodeURIComponent(proto)}/${index}`), { accept: '*/*' });
		return { blob: await response.blob(), filename: filenameFrom(response.headers.get('Content-Disposition')) };
	},
	httpRequests: (id, signal) => v2(id, 'http/requests', {}, signal),
	tlsHandshakes: (id, signal) => v2(id, 'tls/handshakes', {}, signal),

	// Rails-style nested parameters, as API.md's v1 table has them.
	search({ name, tag }) {
		const params = new URLSearchParams();
		if (name)
			params.append('search[filename]', name);
		if (tag)
			params.append('search[tags][]', tag);
		const text = params.toString();
		return getJson(v1(`search${text ? `?${text}` : ''}`), { v2: false });
	},

	// XMLHttpRequest, not fetch: only it reports upload progress. Resolves {filename, id}.
	upload(file, { tags, onProgress }) {
		return new Promise((resolve, reject) => {
			const form = new FormData();
			if (tags)
				form.append('additional_tags', tags);
			form.append('file', file, file.name);
			const xhr = new XMLHttpRequest();
			xhr.open('POST', v1('upload'));
			xhr.responseType = 'json';
			xhr.upload.addEventListener('progress', (event) => {
				if (event.lengthComputable)
					onProgress(event.loaded / event.total);
			});
			xhr.addEventListener('load', () => {
				const body = xhr.response || {};
				if (xhr.status === 200) {
					resolve(body);
					return;
				}
				const message = Array.isArray(body.exceptions) ? body.exceptions.join('; ') : `${xhr.status}`;
				reject(new ApiError(xhr.status, message));
			});
			xhr.addEventListener('error', () => reject(new ApiError(0, 'the connection failed')));
			xhr.addEventListener('abort', () => reject(new ApiError(0, 'upload cancelled')));
			xhr.send(form);
		});
	},
};
