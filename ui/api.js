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
		if (value !== undefined && value !== null)
			search.append(name, String(value));
	}
	const text = search.toString();
	return text ? `?${text}` : '';
}

async function getJson(url, { v2 = true, signal } = {}) {
	const headers = { Accept: 'application/json' };
	if (v2)
		headers.Authorization = getToken() || '';
	const response = await fetch(url, { headers, signal, cache: 'no-store' });
	if (!response.ok)
		throw await errorFrom(response);
	return response.json();
}

function v1(route) {
	return `/api/v1/${encodeURIComponent(getToken() || '')}/${route}`;
}

function v2(id, route, params = {}, signal) {
	return getJson(`/api/v2/analysis/${encodeURIComponent(id)}/${route}${query(params)}`, { signal })
		.then((body) => body.data);
}

export const api = {
	tables: () => getJson('/api/v2/tables').then((body) => body.data.tables),
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
