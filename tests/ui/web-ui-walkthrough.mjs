// web-ui-walkthrough.mjs: drives the web UI in headless Chromium (Debian's, through
// playwright-core) against a real sharkapi server, as a person would: sign in, upload by drag
// and drop and by the file picker, find the capture, open it as a packet viewer: filter the
// list, scroll to the last frame of an 82 k-frame capture, open a frame, expand its tree, click
// a byte, apply a field as a filter and add it as a column, follow a TCP stream and an HTTP/2
// substream, upload a TLS key log and read the decrypted HTTP, then expert info, an I/O graph
// with two series, an exported object compared with tshark's file, HTTP requests and TLS
// handshakes, the tables linked to the list, a shared link, and the views' keyboard use and
// accessibility. Every number or text read from the page is checked against the API's own
// JSON, fetched from the same server (the API is checked against tshark by its own suites).
// Screenshots go to ARTIFACTS_DIR. Run by tests/test_web_ui.py, which starts the server,
// uploads the extra captures and installs playwright-core.
// Environment: SHARKAPI_URL, SHARKAPI_TOKEN, SHARKAPI_LIMITED_TOKEN (no upload permission),
// SHARKAPI_DROP_CAPTURE, SHARKAPI_PICK_CAPTURE, SHARKAPI_CAPTURE_IDS (JSON: large, tls13,
// http2, dsb, badseg), SHARKAPI_TLS13_KEYS, SHARKAPI_OBJECTS_DIR (tshark --export-objects
// http of the picked capture), ARTIFACTS_DIR, PLAYWRIGHT_DIR (where node_modules/playwright-core is).
// SPDX-License-Identifier: GPL-2.0-or-later
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';

const require = createRequire(path.join(process.env.PLAYWRIGHT_DIR, 'package.json'));
const { chromium } = require('playwright-core');

const BASE = process.env.SHARKAPI_URL.replace(/\/$/, '');
const TOKEN = process.env.SHARKAPI_TOKEN;
const DROP_CAPTURE = process.env.SHARKAPI_DROP_CAPTURE;
const PICK_CAPTURE = process.env.SHARKAPI_PICK_CAPTURE;
const ARTIFACTS = process.env.ARTIFACTS_DIR;
const LIMITED_TOKEN = process.env.SHARKAPI_LIMITED_TOKEN;
const IDS = JSON.parse(process.env.SHARKAPI_CAPTURE_IDS);
const TLS13_KEYS = process.env.SHARKAPI_TLS13_KEYS;
const OBJECTS_DIR = process.env.SHARKAPI_OBJECTS_DIR;
const COLORFILTERS = '/usr/share/wireshark/colorfilters';
const TIMEOUT = 60000;

mkdirSync(ARTIFACTS, { recursive: true });
// Screenshots of an earlier run's failure would mislead: only this run's are kept.
for (const name of readdirSync(ARTIFACTS)) {
	if (name.endsWith('.png'))
		rmSync(path.join(ARTIFACTS, name));
}

// ---- the oracle: the API's JSON, asked directly ----

// params: an object, or [name, value] pairs when a name repeats (stats/io's column).
async function apiRaw(id, route, params = {}) {
	const query = new URLSearchParams(params).toString();
	const url = `${BASE}/api/v2/analysis/${id}/${route}${query ? `?${query}` : ''}`;
	// A result being computed again (after a key log) answers 503 until it is: ask again.
	for (let attempt = 0; ; attempt++) {
		const response = await fetch(url, { headers: { Authorization: TOKEN } });
		if (response.status !== 503 || attempt >= 60)
			return response;
		await new Promise((resolve) => setTimeout(resolve, Number(response.headers.get('Retry-After') || 1) * 1000));
	}
}

async function apiV2(id, route, params = {}) {
	const response = await apiRaw(id, route, params);
	const body = await response.json();
	if (!response.ok)
		throw new Error(`${route}: ${response.status} ${JSON.stringify(body)}`);
	return body.data;
}

async function apiStatus(url, init) {
	const response = await fetch(`${BASE}${url}`, init);
	return { status: response.status, body: await response.json().catch(() => null) };
}

// ---- a tiny runner: one line per step, all steps in order, stop at the first failure ----

let failed = 0;
let passed = 0;

function check(condition, message) {
	if (!condition)
		throw new Error(message);
}

function sameJson(actual, expected, what) {
	const a = JSON.stringify(actual);
	const e = JSON.stringify(expected);
	check(a === e, `${what}:\n  page: ${a.slice(0, 600)}\n  API:  ${e.slice(0, 600)}`);
}

// SHARKAPI_WALK_ONLY (a regular expression) runs only the steps it names, for work on one view;
// the test itself runs them all.
const ONLY = process.env.SHARKAPI_WALK_ONLY ? new RegExp(process.env.SHARKAPI_WALK_ONLY) : null;

async function step(name, fn) {
	if (failed)
		return;
	if (ONLY && !ONLY.test(name)) {
		console.log(`not run ${name}`);
		return;
	}
	const started = Date.now();
	try {
		await fn();
		passed++;
		console.log(`ok ${name} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
	} catch (error) {
		failed++;
		console.log(`FAIL ${name}\n${error.stack || error}`);
		await page.screenshot({ path: path.join(ARTIFACTS, `failure-${name}.png`), fullPage: true }).catch(() => {});
	}
}

async function screenshot(name, fullPage = false) {
	const file = path.join(ARTIFACTS, `${name}.png`);
	await page.screenshot({ path: file, fullPage });
	console.log(`screenshot ${file}`);
}

// ---- accessibility: what can be checked without a library ----

// Runs in the page: every control labelled, every button named, one h1, no skipped heading
// level, images named, the document's language set.
function accessibilityProblems() {
	const problems = [];
	const visible = (el) => el.getClientRects().length > 0 || el.type === 'file';
	const nameOf = (el) => {
		if (el.getAttribute('aria-label'))
			return el.getAttribute('aria-label');
		const by = el.getAttribute('aria-labelledby');
		if (by)
			return by.split(/\s+/).map((id) => document.getElementById(id)?.textContent || '').join(' ').trim();
		if (el.labels && el.labels.length > 0)
			return [...el.labels].map((l) => l.textContent).join(' ').trim();
		return '';
	};
	if (!document.documentElement.lang)
		problems.push('html has no lang');
	for (const el of document.querySelectorAll('input, select, textarea, progress')) {
		if (visible(el) && !nameOf(el))
			problems.push(`unlabelled ${el.tagName.toLowerCase()}#${el.id}`);
	}
	for (const el of document.querySelectorAll('button, a[href]')) {
		if (visible(el) && !(el.textContent.trim() || el.getAttribute('aria-label')))
			problems.push(`unnamed ${el.tagName.toLowerCase()} ${el.outerHTML.slice(0, 80)}`);
	}
	for (const el of document.querySelectorAll('svg[role="img"], img')) {
		if (!(nameOf(el) || el.getAttribute('alt')))
			problems.push(`unnamed image ${el.outerHTML.slice(0, 80)}`);
	}
	const headings = [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')].filter(visible);
	if (headings.filter((el) => el.tagName === 'H1').length !== 1)
		problems.push(`${headings.filter((el) => el.tagName === 'H1').length} h1 elements`);
	let level = 0;
	for (const el of headings) {
		const next = Number(el.tagName[1]);
		if (next > level + 1)
			problems.push(`heading level skipped: h${level} then h${next} "${el.textContent}"`);
		level = next;
	}
	for (const el of document.querySelectorAll('[id]')) {
		if (document.querySelectorAll(`[id="${CSS.escape(el.id)}"]`).length > 1)
			problems.push(`duplicate id ${el.id}`);
	}
	return [...new Set(problems)];
}

async function checkAccessibility(where) {
	const problems = await page.evaluate(accessibilityProblems);
	check(problems.length === 0, `accessibility problems on ${where}: ${problems.join('; ')}`);
}

// The texts of a table's cells by data-column, one object per row.
async function tableRows(selector) {
	return page.$$eval(`${selector} tbody tr`, (rows) => rows.map((row) => {
		const out = {};
		for (const cell of row.querySelectorAll('td'))
			out[cell.dataset.column] = cell.textContent;
		return out;
	}));
}

const plain = (text) => text.replace(/,/g, '');

// ---- the walk-through ----

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true });
// A laptop's screen; the large one is checked near the end.
const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, acceptDownloads: true });
const page = await context.newPage();
page.setDefaultTimeout(TIMEOUT);
const pageErrors = [];
const foreignRequests = [];
page.on('pageerror', (error) => pageErrors.push(String(error)));
page.on('console', (message) => {
	// The browser logs every 4xx it receives; the page provokes some on purpose.
	if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
		pageErrors.push(message.text());
});
page.on('request', (request) => {
	if (!request.url().startsWith(`${BASE}/`) && !request.url().startsWith('data:') && !request.url().startsWith(`blob:${BASE}/`))
		foreignRequests.push(request.url());
});

const dropName = path.basename(DROP_CAPTURE);
const pickName = path.basename(PICK_CAPTURE);
let dropId = null;
let pickId = null;

await step('page-loads-without-token', async () => {
	const response = await page.goto(`${BASE}/`);
	check(response.status() === 200, `GET / answered ${response.status()}`);
	await page.waitForSelector('#token');
	check(await page.title() === 'Sign in – sharkapi', `title is ${await page.title()}`);
	const focused = await page.evaluate(() => document.activeElement.id);
	check(focused === 'token', `focus starts on the token field, not "${focused}"`);
	await checkAccessibility('the sign-in page');
	await screenshot('01-sign-in');
});

await step('wrong-token-is-refused', async () => {
	await page.fill('#token', '0123456789abcdef0123456789abcdef');
	await page.keyboard.press('Enter');
	await page.waitForSelector('#token-error:not(:empty)');
	const text = await page.textContent('#token-error');
	check(/does not know this token/.test(text), `error says "${text}"`);
	check(await page.getAttribute('#token', 'aria-invalid') === 'true', 'token field not marked invalid');
	check(await page.evaluate(() => window.sessionStorage.getItem('sharkapi.token')) === null,
		'a refused token was kept');
});

await step('sign-in-with-keyboard', async () => {
	await page.fill('#token', '');
	await page.keyboard.type(TOKEN);
	await page.keyboard.press('Enter');
	await page.waitForSelector('#drop-zone');
	check(await page.evaluate(() => window.sessionStorage.getItem('sharkapi.token')) === TOKEN,
		'the token is not in sessionStorage');
	const focused = await page.evaluate(() => document.activeElement.tagName);
	check(focused === 'H1', `focus after sign-in is on ${focused}, not the heading`);
	await checkAccessibility('the capture list');
});

await step('upload-by-drag-and-drop', async () => {
	const bytes = readFileSync(DROP_CAPTURE).toString('base64');
	// A real DataTransfer holding a real File, dropped on the zone as a browser does.
	const dataTransfer = await page.evaluateHandle(({ bytes, name }) => {
		const raw = Uint8Array.from(atob(bytes), (c) => c.charCodeAt(0));
		const transfer = new DataTransfer();
		transfer.items.add(new File([raw], name, { type: 'application/vnd.tcpdump.pcap' }));
		return transfer;
	}, { bytes, name: dropName });
	await page.dispatchEvent('#drop-zone', 'dragover', { dataTransfer });
	check(await page.$eval('#drop-zone', (el) => el.classList.contains('dragging')), 'no drag-over highlight');
	await page.dispatchEvent('#drop-zone', 'drop', { dataTransfer });
	const link = await page.waitForSelector(`.upload-results li.ok a:text-is("${dropName}")`);
	dropId = (await link.getAttribute('href')).split('/').pop();
	check(/^[0-9a-f]{12}$/.test(dropId), `upload link names id ${dropId}`);
	check(await page.$eval('#upload-progress', (el) => el.value) === 100, 'progress bar did not reach 100');
	const info = await apiStatus(`/api/v1/${TOKEN}/info/${dropId}`);
	check(info.status === 200 && info.body.filename === dropName && info.body.size === readFileSync(DROP_CAPTURE).length,
		`the server's info of the dropped upload: ${JSON.stringify(info.body)}`);
	await screenshot('02-uploaded-by-drop');
});

await step('upload-by-file-picker-with-tags', async () => {
	await page.fill('#upload-tags', 'ui-test,picked');
	// What the progress text said over time: "100%" comes from XMLHttpRequest's upload
	// progress event, "done, ..." from the server's answer.
	await page.evaluate(() => {
		window.progressSeen = [];
		const text = document.querySelector('.progress-text');
		new MutationObserver(() => window.progressSeen.push(text.textContent))
			.observe(text, { childList: true, characterData: true, subtree: true });
	});
	await page.setInputFiles('#upload-file', PICK_CAPTURE);
	const link = await page.waitForSelector(`.upload-results li.ok a:text-is("${pickName}")`);
	pickId = (await link.getAttribute('href')).split('/').pop();
	const seen = await page.evaluate(() => window.progressSeen);
	check(seen.includes('100%') && seen[seen.length - 1] === 'done, checked by the server',
		`progress texts seen: ${JSON.stringify(seen)}`);
	check(await page.$eval('#upload-progress', (el) => el.value) === 100, 'progress bar did not reach 100');
	const info = await apiStatus(`/api/v1/${TOKEN}/info/${pickId}`);
	check(info.body.tag_list.split(',').includes('ui-test'), `tags of the picked upload: ${info.body.tag_list}`);
});

await step('capture-list-and-search', async () => {
	const everything = await apiStatus(`/api/v1/${TOKEN}/search`);
	check(everything.status === 200, `search answered ${everything.status}`);
	const rowsNamed = async () => (await tableRows('.captures-view table')).map((r) => r.filename).sort();
	await page.waitForFunction((n) => document.querySelectorAll('.captures-view tbody tr').length === n, everything.body.length);
	const all = await rowsNamed();
	check(all.includes(dropName) && all.includes(pickName), `list shows ${all}`);
	sameJson(all, everything.body.map((c) => c.filename).sort(), 'the capture list');
	// Search by a part of a name, then by a tag: the page's rows are the server's answer.
	const part = dropName.slice(2, 9);
	await page.fill('#search-name', part);
	await page.waitForFunction((name) => [...document.querySelectorAll('.captures-view tbody td[data-column="filename"]')]
		.every((cell) => cell.textContent.includes(name)), part);
	check((await rowsNamed()).includes(dropName), `name search "${part}" lost ${dropName}`);
	check(!(await rowsNamed()).includes(pickName), `name search "${part}" kept ${pickName}`);
	const answer = await apiStatus(`/api/v1/${TOKEN}/search?search[filename]=${encodeURIComponent(part)}`);
	sameJson(await rowsNamed(), answer.body.map((c) => c.filename).sort(), 'name search');
	await page.fill('#search-name', '');
	await page.fill('#search-tag', 'ui-test');
	await page.waitForFunction(() => {
		const cells = [...document.querySelectorAll('.captures-view tbody td[data-column="filename"]')];
		return cells.length > 0 && cells.every((cell) => cell.closest('tr').querySelector('[data-column="tag_list"]').textContent.includes('ui-test'));
	});
	sameJson(await rowsNamed(), [pickName], 'tag search');
	await screenshot('03-capture-list-tag-search');
	await page.fill('#search-tag', '');
});

// ---- the capture page's views and the packet viewer ----

const hashOf = () => page.evaluate(() => window.location.hash);
const paramsOf = async () => new URLSearchParams((await hashOf()).split('?')[1] || '');

async function openView(name) {
	await page.click(`.view-nav a[data-view="${name}"]`);
	await page.waitForSelector(`.view-holder > [data-view="${name}"]:not([hidden])`);
	check((await hashOf()).includes(`/${name}`), `the address does not name the ${name} view: ${await hashOf()}`);
}

// The packet list's rendered rows, as the grid exposes them.
function listRows() {
	return page.$$eval('#packet-list .packet-rows [role="row"]', (rows) => rows.map((row) => ({
		index: Number(row.dataset.index),
		rowindex: Number(row.getAttribute('aria-rowindex')),
		frame: row.dataset.frame ? Number(row.dataset.frame) : null,
		cells: [...row.querySelectorAll('[role="gridcell"]')].map((cell) => cell.textContent),
		rule: row.dataset.rule,
		severity: row.dataset.severity,
		selected: row.getAttribute('aria-selected') === 'true',
	})));
}

// Every rendered row has its frame (and its colours, when asked).
async function waitListLoaded({ colored = false } = {}) {
	await page.waitForFunction((colored) => {
		const grid = document.getElementById('packet-list');
		const rows = [...grid.querySelectorAll('.packet-rows [role="row"]')];
		return !grid.hasAttribute('aria-busy') && rows.length > 0
			&& rows.every((row) => row.dataset.frame && (!colored || row.dataset.rule !== undefined));
	}, colored);
}

async function listHeader() {
	return page.$$eval('#packet-list [role="columnheader"]', (cells) => cells.map((c) => c.querySelector('.column-title')?.textContent ?? c.textContent));
}

// The page's rows against the API's page at the same offset.
async function checkRowsAgainstApi(id, filter, what, columns = null) {
	const rows = await listRows();
	const first = Math.min(...rows.map((r) => r.index));
	const params = { offset: first, limit: rows.length };
	if (filter)
		params.filter = filter;
	const api = await apiV2(id, 'frames', params);
	sameJson(rows.sort((a, b) => a.index - b.index).map((r) => [r.frame, r.cells.slice(0, 7)]),
		api.frames.map((f) => [f.frame, f.columns]), what);
	if (columns) {
		const extra = await apiV2(id, 'frames', { ...params, columns: columns.join(',') });
		sameJson(rows.map((r) => r.cells.slice(7)), extra.frames.map((f) => f.columns), `${what}: added columns`);
	}
	return { rows, api };
}

async function selectedRow() {
	return (await listRows()).find((r) => r.selected) ?? null;
}

// The detail pane shows this frame: its heading, and the tree's top-level items named as the API's.
async function waitDetail(id, frame) {
	await page.waitForFunction((frame) => document.getElementById('detail-heading').textContent === `Frame ${frame}`
		&& !document.getElementById('packet-tree').hasAttribute('aria-busy')
		&& document.querySelector('#packet-tree > [role="treeitem"]'), frame);
	const detail = await apiV2(id, `frames/${frame}`);
	const names = await page.$$eval('#packet-tree > [role="treeitem"]', (items) => items.map((li) =>
		document.getElementById(li.getAttribute('aria-labelledby')).textContent));
	sameJson(names, detail.tree.map((n) => n.label), `frame ${frame}'s tree`);
	return detail;
}

let status = null;
let status0 = null;
await step('open-capture-is-a-packet-viewer', async () => {
	status0 = await apiV2(dropId, 'status');
	await page.fill('#search-name', dropName);
	// The link of this upload (the HTTP checks before may have uploaded the same file too).
	await page.click(`.captures-view tbody a[href="#/capture/${dropId}"]`);
	await page.waitForSelector(`h1:text-is("${dropName}")`);
	check((await hashOf()).startsWith(`#/capture/${dropId}`), 'not on the dropped capture\'s page');
	await page.waitForSelector('[role="grid"][aria-label="Packets"]');
	await waitListLoaded();
	const api = await apiV2(dropId, 'frames', { offset: 0, limit: 50 });
	sameJson(await listHeader(), api.columns.map((c) => c.title), 'the packet list\'s column headers');
	check(Number(await page.getAttribute('#packet-list', 'aria-rowcount')) === api.matched + 1,
		`aria-rowcount ${await page.getAttribute('#packet-list', 'aria-rowcount')} for ${api.matched} frames`);
	const { rows } = await checkRowsAgainstApi(dropId, '', 'the first rows');
	check(rows[0].frame === 1 && rows[0].rowindex === 2, `the first row is frame ${rows[0].frame} at row ${rows[0].rowindex}`);
	check(rows.length < 60, `${rows.length} rows in the DOM for a list that shows about a dozen`);
	check(plain(await page.textContent('#packet-status')).startsWith(`${api.matched} frames`), `status says "${await page.textContent('#packet-status')}"`);
	await checkAccessibility('the packet viewer');
	await screenshot('04-packet-list');
});

await step('rows-coloured-as-wireshark-rules', async () => {
	// The oracle: each default rule of Wireshark's colorfilters file as a display filter, asked of
	// the API; a frame's colour is the first rule whose filter matches it.
	const rules = readFileSync(COLORFILTERS, 'utf8').split('\n').map((line) => /^@([^@]*)@([^@]*)@/.exec(line)).filter(Boolean)
		.map((m) => ({ name: m[1], filter: m[2] }));
	check(rules.length >= 15, `only ${rules.length} rules read from ${COLORFILTERS}`);
	for (const [id, name] of [[dropId, dropName], [IDS.badseg, 'tcp-badsegments.pcap']]) {
		if (id !== dropId) {
			await page.goto(`${BASE}/#/capture/${id}/packets`);
			await page.waitForSelector('[role="grid"][aria-label="Packets"]');
		}
		const total = (await apiV2(id, 'frames', { limit: 0 })).matched;
		const expected = new Map();
		for (const rule of rules) {
			for (const f of (await apiV2(id, 'frames', { filter: rule.filter, limit: total })).frames) {
				if (!expected.has(f.frame))
					expected.set(f.frame, rule.name);
			}
		}
		const severities = new Map((await apiV2(id, 'frames', { columns: '_ws.expert.severity', limit: total })).frames
			.map((f) => [f.frame, Math.max(0, ...f.columns[0].split(',').map(Number).filter((n) => !Number.isNaN(n)))]));
		// Scroll through the whole list, a screen at a time, reading each row's colour.
		const seen = new Map();
		await page.$eval('#packet-list', (grid) => { grid.scrollTop = 0; });
		for (;;) {
			await waitListLoaded({ colored: true });
			for (const row of await listRows())
				seen.set(row.frame, row);
			const done = await page.$eval('#packet-list', (grid) => grid.scrollTop + grid.clientHeight >= grid.scrollHeight - 1);
			if (done && seen.size < total) {
				// The last scroll's rows may not be drawn yet: wait for the list's last row, then read again.
				await page.waitForFunction((last) => [...document.querySelectorAll('#packet-list .packet-rows [role="row"]')]
					.some((row) => Number(row.getAttribute('aria-rowindex')) === last && row.dataset.frame), total + 1);
				await waitListLoaded({ colored: true });
				for (const row of await listRows())
					seen.set(row.frame, row);
			}
			if (done && seen.size === total)
				break;
			check(!done, `reached the end having seen ${seen.size} of ${total} frames`);
			await page.$eval('#packet-list', (grid) => { grid.scrollTop += grid.clientHeight - 30; });
		}
		const wrong = [];
		for (const [frame, row] of seen) {
			if ((expected.get(frame) ?? '') !== row.rule)
				wrong.push(`frame ${frame}: page "${row.rule}", filters "${expected.get(frame) ?? ''}"`);
			const severity = severities.get(frame);
			const word = { 8388608: 'error', 6291456: 'warn', 4194304: 'note', 2097152: 'chat', 1048576: 'comment' }[severity] ?? '';
			if (word !== row.severity)
				wrong.push(`frame ${frame}: page severity "${row.severity}", API ${severity}`);
		}
		check(wrong.length === 0, `${name}: ${wrong.slice(0, 8).join('; ')}`);
		const counts = {};
		for (const row of seen.values())
			counts[row.rule || 'none'] = (counts[row.rule || 'none'] || 0) + 1;
		console.log(`  ${name}: ${JSON.stringify(counts)}`);
	}
	// Errors stand out: a bad-segments row with an error has the error mark.
	const errorRow = await page.$('#packet-list .packet-row.expert-error .col-0');
	if (errorRow)
		check((await errorRow.evaluate((el) => getComputedStyle(el).boxShadow)).includes('inset'), 'an error row has no mark');
	await screenshot('05-coloured-rows-bad-tcp');
	await page.goto(`${BASE}/#/capture/${dropId}/packets`);
	await waitListLoaded();
});

await step('display-filter-checked-as-you-type-and-applied', async () => {
	await page.click('#packet-filter');
	await page.keyboard.type('ip.src ==');
	await page.waitForFunction(() => document.getElementById('packet-filter-status').dataset.checked === 'ip.src ==');
	check(await page.getAttribute('#packet-filter', 'aria-invalid') === 'true', 'the filter field is not marked invalid');
	const shown = await page.textContent('#packet-filter-status');
	const refused = await apiRaw(dropId, 'frames', { filter: 'ip.src ==', limit: 1 });
	check(refused.status === 400, `frames with a bad filter answered ${refused.status}`);
	const words = (await refused.json()).exceptions[0];
	check(words.includes(shown), `shown "${shown}", frames says "${words}"`);
	await page.keyboard.press('Enter');
	check(await page.getAttribute('#packet-filter', 'aria-invalid') === 'true', 'an invalid filter was applied');
	await page.fill('#packet-filter', 'dns || arp');
	await page.keyboard.press('Enter');
	await page.waitForFunction(() => new URLSearchParams(window.location.hash.split('?')[1]).get('filter') === 'dns || arp');
	await waitListLoaded();
	const { api } = await checkRowsAgainstApi(dropId, 'dns || arp', 'the filtered rows');
	check(api.matched > 0 && api.matched < status0.frames, `the filter matches ${api.matched} of ${status0.frames}`);
	check(Number(await page.getAttribute('#packet-list', 'aria-rowcount')) === api.matched + 1, 'aria-rowcount of the filtered list');
	const text = plain(await page.textContent('#packet-status'));
	check(text.startsWith(`Displayed: ${api.matched} of ${status0.frames} frames`), `status says "${text}"`);
	await screenshot('06-filtered-list');
});

await step('keyboard-moves-through-the-list', async () => {
	await page.focus('#packet-list');
	await page.keyboard.press('Home');
	await page.waitForFunction(() => document.querySelector('#packet-list [aria-selected="true"]')?.dataset.frame);
	let row = await selectedRow();
	const api = await apiV2(dropId, 'frames', { filter: 'dns || arp', offset: 0, limit: 3 });
	check(row.index === 0 && row.frame === api.frames[0].frame, `Home selected row ${row.index}, frame ${row.frame}`);
	await page.keyboard.press('ArrowDown');
	await page.keyboard.press('ArrowDown');
	await page.waitForFunction((f) => document.querySelector('#packet-list [aria-selected="true"]')?.dataset.frame === String(f), api.frames[2].frame);
	row = await selectedRow();
	check(await page.getAttribute('#packet-list', 'aria-activedescendant') === `packet-row-${row.index}`, 'aria-activedescendant does not follow the selection');
	await page.waitForFunction((f) => new URLSearchParams(window.location.hash.split('?')[1]).get('frame') === String(f), row.frame);
	await waitDetail(dropId, row.frame);
	// Enter opens the frame: focus moves into its tree.
	await page.keyboard.press('Enter');
	await page.waitForFunction(() => document.activeElement?.getAttribute('role') === 'treeitem');
	const focusVisible = await page.evaluate(() => getComputedStyle(document.activeElement.querySelector('.tree-row')).boxShadow);
	check(focusVisible.includes('inset'), `the focused tree item shows no focus (${focusVisible})`);
	await page.click('#clear-filter');
	await page.waitForFunction(() => !new URLSearchParams(window.location.hash.split('?')[1]).get('filter'));
	await waitListLoaded();
	// The selected frame stays selected when the filter is cleared, as Wireshark keeps it.
	check((await selectedRow())?.frame === row.frame, 'the selection was lost when the filter was cleared');
});

// ---- the summary's tables, views of their own, linked to the packet list ----

await step('summary-and-hierarchy', async () => {
	await openView('summary');
	await page.waitForSelector('.summary-list dd[data-key="analysis"]:text-is("ready")');
	status = await apiV2(dropId, 'status');
	const shown = await page.$$eval('.summary-list dd', (cells) => Object.fromEntries(cells.map((c) => [c.dataset.key, c.textContent])));
	check(plain(shown.frames) === String(status.frames), `frames ${shown.frames} vs ${status.frames}`);
	check(shown.filesize.includes(`(${status.filesize.toLocaleString('en-US')} bytes)`), `file size ${shown.filesize}`);
	check(shown.duration === `${Math.round(status.duration * 1e6) / 1e6} s`, `duration ${shown.duration} vs ${status.duration}`);
	await page.waitForSelector('.hierarchy-chart');
	const hierarchy = await apiV2(dropId, 'stats/hierarchy');
	const flat = [];
	const walk = (nodes) => nodes.forEach((n) => { flat.push([n.proto, n.frames, n.bytes]); walk(n.protos || []); });
	walk(hierarchy.protos);
	const bars = await page.$$eval('.hierarchy-chart g.hierarchy-row', (rows) => rows.map((g) => g.dataset.proto));
	sameJson(bars, flat.map((n) => n[0]), 'chart rows');
	const table = (await tableRows('#section-hierarchy details table'))
		.map((r) => [r.proto.trim(), Number(plain(r.frames)), Number(plain(r.bytes))]);
	sameJson(table, flat, 'hierarchy table');
	// Each bar's length is its share of all frames.
	const widths = await page.$$eval('.hierarchy-chart rect.bar', (rects) => rects.map((r) => Number(r.getAttribute('width'))));
	const track = await page.$eval('.hierarchy-chart rect.bar-track', (r) => Number(r.getAttribute('width')));
	flat.forEach((n, i) => check(Math.abs(widths[i] - Math.max(n[1] / status.frames * track, 1)) < 0.01,
		`bar ${n[0]} width ${widths[i]}`));
	await checkAccessibility('the summary view');
	await screenshot('07-summary');
});

const endpointKey = (r) => [r.host, r.port ?? '', r.totalf, r.totalb, r.txf, r.txb, r.rxf, r.rxb].join(' ');

await step('endpoint-table-matches-api', async () => {
	await openView('endpoints');
	await page.waitForSelector('#section-endpoints table');
	const api = await apiV2(dropId, 'stats/endpoints', { protocol: 'ip' });
	const rows = (await tableRows('#section-endpoints table')).map((r) => endpointKey({
		host: r.host, totalf: plain(r.totalf), totalb: plain(r.totalb), txf: plain(r.txf), txb: plain(r.txb),
		rxf: plain(r.rxf), rxb: plain(r.rxb),
	}));
	const expected = [...api.hosts].sort((a, b) => b.totalb - a.totalb).map((h) => endpointKey({ ...h, port: undefined }));
	check(expected.length > 0, 'the API has no IPv4 endpoints for this capture');
	sameJson(rows, expected, 'IPv4 endpoints, largest first');
});

await step('endpoint-protocol-picker-and-sorting', async () => {
	const options = await page.$$eval('#endpoints-protocol option', (opts) => opts.map((o) => o.value));
	const tables = (await apiStatus('/api/v2/tables', { headers: { Authorization: TOKEN } })).body.data.tables;
	sameJson(options, tables.map((t) => t.filter), 'protocol picker options');
	await page.selectOption('#endpoints-protocol', 'tcp');
	await page.waitForSelector('#section-endpoints caption:has-text("TCP endpoints")');
	const api = await apiV2(dropId, 'stats/endpoints', { protocol: 'tcp' });
	const ports = (await tableRows('#section-endpoints table')).map((r) => `${r.host}:${r.port}`).sort();
	sameJson(ports, api.hosts.map((h) => `${h.host}:${h.port}`).sort(), 'TCP endpoints');
	// Sorting from the keyboard: focus the "Tx bytes" header button, Enter, then again.
	const header = page.locator('#section-endpoints th:has(button:text-is("Tx bytes"))');
	await header.locator('button').focus();
	await page.keyboard.press('Enter');
	check(await header.getAttribute('aria-sort') === 'descending', 'first Enter does not sort descending');
	let txb = (await tableRows('#section-endpoints table')).map((r) => Number(plain(r.txb)));
	sameJson(txb, [...api.hosts.map((h) => h.txb)].sort((a, b) => b - a), 'Tx bytes descending');
	await page.keyboard.press('Enter');
	check(await header.getAttribute('aria-sort') === 'ascending', 'second Enter does not sort ascending');
	txb = (await tableRows('#section-endpoints table')).map((r) => Number(plain(r.txb)));
	sameJson(txb, [...api.hosts.map((h) => h.txb)].sort((a, b) => a - b), 'Tx bytes ascending');
	// An endpoint row filters the packet list: as many frames as the endpoint has.
	const first = (await tableRows('#section-endpoints table'))[0];
	const host = api.hosts.find((h) => h.host === first.host && String(h.port) === first.port);
	await page.click('#section-endpoints tbody tr:nth-child(1) .filter-link');
	await page.waitForSelector('.view-holder > [data-view="packets"]:not([hidden])');
	await waitListLoaded();
	const filter = (await paramsOf()).get('filter');
	const { api: listed } = await checkRowsAgainstApi(dropId, filter, `packets of endpoint ${first.host}:${first.port}`);
	check(listed.matched === host.totalf, `${filter} lists ${listed.matched} frames; the endpoint has ${host.totalf}`);
	await page.goBack();
	await page.waitForSelector('.view-holder > [data-view="endpoints"]:not([hidden])');
});

await step('conversation-row-filters-the-packet-list', async () => {
	await openView('conversations');
	await page.selectOption('#conversations-protocol', 'udp');
	await page.waitForSelector('#section-conversations caption:has-text("UDP conversations")');
	const api = await apiV2(dropId, 'stats/conversations', { protocol: 'udp' });
	const key = (c) => [c.saddr, c.sport, c.daddr, c.dport, c.txf, c.txb, c.rxf, c.rxb].join(' ');
	const rows = (await tableRows('#section-conversations table')).map((r) => key({
		saddr: r.saddr, sport: r.sport, daddr: r.daddr, dport: r.dport, txf: plain(r.txf), txb: plain(r.txb),
		rxf: plain(r.rxf), rxb: plain(r.rxb),
	}));
	check(api.convs.length > 0, 'the API has no UDP conversations for this capture');
	const sorted = [...api.convs].sort((a, b) => b.totalb - a.totalb);
	sameJson(rows, sorted.map(key), 'UDP conversations, largest first');
	await screenshot('08-conversations');
	await page.click('#section-conversations tbody tr:nth-child(1) .filter-link');
	await page.waitForSelector('.view-holder > [data-view="packets"]:not([hidden])');
	await waitListLoaded();
	const filter = (await paramsOf()).get('filter');
	check(await page.inputValue('#packet-filter') === filter, 'the filter bar does not show the conversation\'s filter');
	const { api: listed } = await checkRowsAgainstApi(dropId, filter, 'packets of the largest UDP conversation');
	check(listed.matched === sorted[0].totalf, `${filter} lists ${listed.matched} frames; the conversation has ${sorted[0].totalf}`);
	// Another view and back: the list is as it was, filter and selected frame.
	await page.focus('#packet-list');
	await page.keyboard.press('End');
	await page.waitForFunction(() => new URLSearchParams(window.location.hash.split('?')[1]).get('frame'));
	const frame = (await paramsOf()).get('frame');
	await openView('summary');
	await openView('packets');
	check((await paramsOf()).get('filter') === filter && (await paramsOf()).get('frame') === frame,
		`back on the packets, the address is ${await hashOf()}`);
	check(String((await selectedRow())?.frame) === frame, 'back on the packets, the frame is no longer selected');
});

await step('dns-lookup-opens-its-frame', async () => {
	await openView('dns');
	await page.waitForSelector('#section-dns table');
	const api = await apiV2(dropId, 'dns/lookups');
	const rows = (await tableRows('#section-dns table')).map((r) => [r.query_frame, r.client, r.full_query, r.query_type]);
	sameJson(rows, api.lookups.map((l) => [l.query_frame === null ? '' : String(l.query_frame), l.client, l.full_query, l.query_type]),
		'DNS lookups');
	const frame = await clickFrameLinkAndCheck('#section-dns tbody [data-column="query_frame"] .frame-link');
	const detail = await waitDetail(dropId, frame);
	check(detail.tree.some((n) => n.abbrev === 'dns'), `frame ${frame} has no DNS`);
	check(!(await paramsOf()).get('filter'), 'a DNS frame link kept a filter');
});

await step('scroll-to-the-last-frame-of-a-large-capture', async () => {
	const large = IDS.large;
	await page.goto(`${BASE}/#/capture/${large}/packets`);
	await page.waitForSelector('[role="grid"][aria-label="Packets"]');
	await waitListLoaded();
	const total = (await apiV2(large, 'status')).frames;
	check(total > 80000, `the large capture has ${total} frames`);
	await page.waitForFunction((n) => document.getElementById('packet-list').getAttribute('aria-rowcount') === String(n + 1), total);
	const boxes = () => page.evaluate(() => ['#packet-list', '.detail-pane', '.bytes-pane'].map((s) => {
		const r = document.querySelector(s).getBoundingClientRect();
		return [Math.round(r.x), Math.round(r.y), Math.round(r.width), Math.round(r.height)];
	}));
	const before = await boxes();
	// The scroll bar dragged to the middle: the rows there, and only a screenful of them.
	await page.$eval('#packet-list', (grid) => { grid.scrollTop = (grid.scrollHeight - grid.clientHeight) / 2; });
	await page.waitForFunction(() => [...document.querySelectorAll('#packet-list .packet-rows [role="row"]')].some((r) => Number(r.dataset.index) > 40000));
	await waitListLoaded();
	await checkRowsAgainstApi(large, '', 'rows in the middle of the large capture');
	// 82 k rows of 22 px are taller than the list's scroll area: the bar is proportional (the
	// way a 2 M-frame list scrolls), yet the wheel still moves rows, not thousands of them.
	const geometry = await page.$eval('#packet-list', (grid) => ({ height: grid.scrollHeight, client: grid.clientHeight }));
	check(geometry.height < total * 22, `the scroll area is ${geometry.height} px for ${total} rows: not proportional`);
	const topRow = () => page.$eval('#packet-list', (grid) => {
		const edge = grid.querySelector('.packet-header').getBoundingClientRect().bottom;
		return Math.min(...[...grid.querySelectorAll('.packet-rows [role="row"]')]
			.filter((r) => r.getBoundingClientRect().top >= edge - 1).map((r) => Number(r.dataset.index)));
	});
	const beforeWheel = await topRow();
	const listBox = await page.locator('#packet-list').boundingBox();
	await page.mouse.move(listBox.x + listBox.width / 2, listBox.y + listBox.height / 2);
	await page.mouse.wheel(0, 220);
	await page.waitForFunction(([grid, from]) => {
		const g = document.querySelector(grid);
		const edge = g.querySelector('.packet-header').getBoundingClientRect().bottom;
		const top = Math.min(...[...g.querySelectorAll('.packet-rows [role="row"]')].filter((r) => r.getBoundingClientRect().top >= edge - 1)
			.map((r) => Number(r.dataset.index)));
		return top !== from;
	}, ['#packet-list', beforeWheel]);
	const afterWheel = await topRow();
	check(Math.abs(afterWheel - beforeWheel - 10) <= 1, `a 220 px wheel step moved the list from row ${beforeWheel} to ${afterWheel}`);
	// End: the last frame, selected and shown.
	await page.focus('#packet-list');
	await page.keyboard.press('End');
	await page.waitForFunction((n) => document.querySelector(`#packet-list [aria-rowindex="${n + 1}"]`)?.dataset.frame, total);
	await waitListLoaded();
	const rows = await listRows();
	const last = rows.find((r) => r.rowindex === total + 1);
	const api = await apiV2(large, 'frames', { offset: total - 1, limit: 1 });
	sameJson([last.frame, last.cells], [api.frames[0].frame, api.frames[0].columns], 'the last row');
	check(last.selected, 'End does not select the last frame');
	check(rows.length < 60, `${rows.length} rows in the DOM out of ${total}`);
	const visible = await page.$eval('#packet-list', (grid) => {
		const row = grid.querySelector('[aria-selected="true"]').getBoundingClientRect();
		const box = grid.getBoundingClientRect();
		return row.top >= box.top && row.bottom <= box.bottom + 1;
	});
	check(visible, 'the last row is not in view');
	await checkRowsAgainstApi(large, '', 'the last page of the large capture');
	await waitDetail(large, total);
	sameJson(await boxes(), before, 'the panes\' positions (no layout jump while pages load)');
	await screenshot('09-large-capture-last-frame');
});

await step('go-to-frame', async () => {
	await page.fill('#goto-frame', '50000');
	await page.keyboard.press('Enter');
	await page.waitForFunction(() => document.querySelector('#packet-list [aria-selected="true"]')?.dataset.frame === '50000');
	const row = await selectedRow();
	check(row.rowindex === 50001, `frame 50000 at row ${row.rowindex}`);
	await waitDetail(IDS.large, 50000);
	check(await page.evaluate(() => document.activeElement.id) === 'packet-list', 'focus does not return to the list');
	// A filtered list: the frame's place comes from the API, not from its number.
	await page.fill('#packet-filter', 'tcp.flags.syn == 1');
	await page.keyboard.press('Enter');
	await page.waitForFunction(() => new URLSearchParams(window.location.hash.split('?')[1]).get('filter') === 'tcp.flags.syn == 1');
	await waitListLoaded();
	const syn = await apiV2(IDS.large, 'frames', { filter: 'tcp.flags.syn == 1', offset: 300, limit: 1 });
	await page.fill('#goto-frame', String(syn.frames[0].frame));
	await page.keyboard.press('Enter');
	await page.waitForFunction((f) => document.querySelector('#packet-list [aria-selected="true"]')?.dataset.frame === String(f), syn.frames[0].frame);
	check((await selectedRow()).rowindex === 302, `frame ${syn.frames[0].frame} is not the 301st row of the filtered list`);
	await checkRowsAgainstApi(IDS.large, 'tcp.flags.syn == 1', 'the filtered large list around the frame');
});

await step('two-pass-view', async () => {
	// Wireshark's window dissects twice: the list and the frame as the API's passes=2 answers them.
	await page.goto(`${BASE}/#/capture/${pickId}/packets?frame=6`);
	await page.waitForFunction(() => document.querySelector('#packet-list [aria-selected="true"]')?.dataset.frame === '6');
	await page.check('#two-pass');
	await page.waitForFunction(() => new URLSearchParams(window.location.hash.split('?')[1]).get('passes') === '2');
	await page.waitForFunction(() => document.querySelector('#packet-list [aria-selected="true"]')?.dataset.frame === '6');
	await waitListLoaded();
	const rows = await listRows();
	const first = Math.min(...rows.map((r) => r.index));
	const api = await apiV2(pickId, 'frames', { passes: 2, offset: first, limit: rows.length });
	sameJson(rows.sort((a, b) => a.index - b.index).map((r) => [r.frame, r.cells]), api.frames.map((f) => [f.frame, f.columns]),
		'the two-pass rows');
	check((await page.textContent('#packet-status')).includes('two-pass'), 'the status does not say two-pass');
	await page.waitForFunction(() => document.getElementById('detail-heading').textContent === 'Frame 6'
		&& document.querySelector('#packet-tree > [role="treeitem"]') && !document.getElementById('packet-tree').hasAttribute('aria-busy'));
	const detail = await apiV2(pickId, 'frames/6', { passes: 2 });
	const names = await page.$$eval('#packet-tree > [role="treeitem"]', (items) => items.map((li) => document.getElementById(li.getAttribute('aria-labelledby')).textContent));
	sameJson(names, detail.tree.map((n) => n.label), 'frame 6 in two passes');
	await page.uncheck('#two-pass');
	await page.waitForFunction(() => !new URLSearchParams(window.location.hash.split('?')[1]).get('passes'));
});

let treeDetail = null;
const walkTree = (nodes, fn, depth = 1, parent = null) => {
	for (const node of nodes || []) {
		fn(node, depth, parent);
		walkTree(node.children, fn, depth + 1, node);
	}
};

await step('open-a-frame-and-expand-its-tree', async () => {
	// The picked capture's HTTP request, opened from a link as a colleague would get it.
	await page.goto(`${BASE}/#/capture/${pickId}/packets?frame=4`);
	await page.waitForFunction(() => document.querySelector('#packet-list [aria-selected="true"]')?.dataset.frame === '4');
	treeDetail = await waitDetail(pickId, 4);
	const bytesShown = await page.$$eval('.hex-dump span[data-o]', (spans) => spans.filter((s) => s.closest('.hex-bytes')).map((s) => s.textContent).join(''));
	check(bytesShown === treeDetail.data_sources[0].bytes, 'the bytes pane is not the frame\'s bytes');
	sameJson(await page.$$eval('.bytes-tab', (tabs) => tabs.map((t) => t.textContent)), treeDetail.data_sources.map((s) => s.name),
		'data source tabs');
	// Keyboard: the IP item, Right expands it and shows its children, Down enters them, Left goes back up.
	const ipIndex = treeDetail.tree.findIndex((n) => n.abbrev === 'ip');
	const ip = page.locator('#packet-tree > [role="treeitem"]').nth(ipIndex);
	await ip.locator('.tree-label').first().click();
	check(await ip.getAttribute('aria-selected') === 'true', 'a clicked tree item is not selected');
	check(await ip.getAttribute('aria-expanded') === 'false', 'IP starts expanded');
	await page.keyboard.press('ArrowRight');
	check(await ip.getAttribute('aria-expanded') === 'true', 'Right does not expand');
	const children = await ip.evaluate((li) => [...li.querySelector(':scope > [role="group"]').children]
		.map((c) => document.getElementById(c.getAttribute('aria-labelledby')).textContent));
	sameJson(children, treeDetail.tree[ipIndex].children.map((n) => n.label), 'the IP item\'s children');
	await page.keyboard.press('ArrowDown');
	const focused = await page.evaluate(() => [document.activeElement.getAttribute('aria-level'), document.getElementById(document.activeElement.getAttribute('aria-labelledby')).textContent]);
	sameJson(focused, ['2', treeDetail.tree[ipIndex].children[0].label], 'Down moves to the first child');
	// The selected node's bytes are marked.
	const marked = await page.$$eval('.hex-bytes mark span[data-o]', (spans) => spans.map((s) => Number(s.dataset.o)));
	const child = treeDetail.tree[ipIndex].children[0];
	sameJson(marked, Array.from({ length: child.length }, (_, i) => child.offset + i), 'the marked bytes of the selected item');
	await page.keyboard.press('ArrowLeft');
	check(await page.evaluate(() => document.activeElement.getAttribute('aria-level')) === '1', 'Left does not go to the parent');
	await page.keyboard.press('ArrowLeft');
	check(await ip.getAttribute('aria-expanded') === 'false', 'Left does not collapse');
	await page.keyboard.press('Enter');
	check(await ip.getAttribute('aria-expanded') === 'true', 'Enter does not toggle');
	await screenshot('10-frame-tree-and-bytes');
});

let httpHostNode = null;
await step('click-a-byte-selects-the-deepest-node', async () => {
	// The byte in the middle of the Host header's value: the deepest item covering it, per the API's tree.
	walkTree(treeDetail.tree, (node) => { if (node.abbrev === 'http.host') httpHostNode = node; });
	check(httpHostNode, 'frame 4 has no http.host');
	const offset = httpHostNode.offset + httpHostNode.length - 3;
	let best = null;
	walkTree(treeDetail.tree, (node, depth) => {
		if ((node.source ?? 0) === 0 && node.length > 0 && offset >= node.offset && offset < node.offset + node.length
			&& (!best || depth > best.depth || (depth === best.depth && node.length < best.node.length)))
			best = { node, depth };
	});
	await page.click(`.hex-bytes span[data-o="${offset}"]`);
	const selected = await page.evaluate(() => {
		const li = document.querySelector('#packet-tree [role="treeitem"][aria-selected="true"]');
		return [li.getAttribute('aria-level'), document.getElementById(li.getAttribute('aria-labelledby')).textContent, li.dataset.abbrev];
	});
	sameJson(selected, [String(best.depth), best.node.label, best.node.abbrev], `the node selected by byte ${offset}`);
	const marked = await page.$$eval('.hex-bytes mark span[data-o]', (spans) => spans.map((s) => Number(s.dataset.o)));
	sameJson(marked, Array.from({ length: best.node.length }, (_, i) => best.node.offset + i), 'the marked bytes');
	const ascii = await page.$$eval('.hex-ascii mark span[data-o]', (spans) => spans.map((s) => Number(s.dataset.o)));
	sameJson(ascii, marked, 'the marked ASCII');
	check(await page.textContent('#field-status') === `${best.node.abbrev} · bytes ${best.node.offset}–${best.node.offset + best.node.length - 1}`,
		`field status says ${await page.textContent('#field-status')}`);
	httpHostNode = best.node;
	await screenshot('11-byte-selects-node');
});

await step('apply-a-field-as-filter-and-as-column', async () => {
	await page.click('#apply-as-filter');
	await page.waitForFunction(() => new URLSearchParams(window.location.hash.split('?')[1]).get('filter'));
	const applied = (await paramsOf()).get('filter');
	check(applied === `${httpHostNode.abbrev} == "${httpHostNode.value}"`, `applied filter ${applied}`);
	const verdict = await apiStatus(`/api/v2/filter/check?filter=${encodeURIComponent(applied)}`, { headers: { Authorization: TOKEN } });
	check(verdict.body.data.valid, `libwireshark refuses ${applied}`);
	check(await page.inputValue('#packet-filter') === applied, 'the filter bar does not show the applied filter');
	await waitListLoaded();
	const { api } = await checkRowsAgainstApi(pickId, applied, 'rows of the applied field filter');
	check(api.frames.some((f) => f.frame === 4), 'the frame the filter came from is not in its list');
	check((await selectedRow())?.frame === 4, 'frame 4 is no longer selected');
	// A protocol applies as its name alone; text-only items are refused with a reason.
	await page.locator('#packet-tree > [role="treeitem"][data-abbrev="tcp"] > .tree-row .tree-label').click();
	await page.click('#prepare-filter');
	await page.waitForFunction(() => document.getElementById('packet-filter').value === 'tcp');
	// Add a column from a field: tcp.stream, then its values match the API's.
	const tcp = page.locator('#packet-tree > [role="treeitem"][data-abbrev="tcp"]');
	if (await tcp.getAttribute('aria-expanded') !== 'true')
		await tcp.locator('.twisty').first().click();
	await page.locator('#packet-tree [role="treeitem"][data-abbrev="tcp.stream"] > .tree-row .tree-label').click();
	await page.click('#add-column');
	await page.waitForFunction(() => new URLSearchParams(window.location.hash.split('?')[1]).get('columns') === 'tcp.stream');
	await page.waitForFunction(() => [...document.querySelectorAll('#packet-list .packet-rows .custom-column')].some((c) => c.textContent !== ''));
	check((await listHeader()).includes('tcp.stream'), `headers ${await listHeader()}`);
	check(await page.$('#packet-tree [role="treeitem"][aria-selected="true"][data-abbrev="tcp.stream"]'),
		'the tree lost its selected item when the list reloaded with the column');
	await checkRowsAgainstApi(pickId, applied, 'rows with an added column', ['tcp.stream']);
	await screenshot('12-field-filter-and-column');
	await page.click('#packet-list button[aria-label="Remove column tcp.stream"]');
	await page.waitForFunction(() => !new URLSearchParams(window.location.hash.split('?')[1]).get('columns'));
});

// The follow view's chunks (raw mode) against the API's follow answer.
async function checkFollow(id, proto, stream, substream = null) {
	const route = `follow/${proto}/${stream}${substream === null ? '' : `/${substream}`}`;
	const api = await apiV2(id, route);
	await page.waitForFunction(() => !document.getElementById('follow-text').hasAttribute('aria-busy')
		&& document.getElementById('follow-text').children.length > 0);
	await page.check('#follow-mode-raw');
	const chunks = await page.$$eval('#follow-text .chunk', (spans) => spans.map((s) => [s.dataset.from, Number(s.dataset.frame), s.textContent.trim()]));
	sameJson(chunks, api.chunks.map((c) => [c.from, c.frame, Buffer.from(c.data, 'base64').toString('hex')]), `${route}: chunks`);
	const endpoints = await page.textContent('.follow-endpoints');
	check(plain(endpoints).includes(`${api.client.address}${api.client.port !== undefined ? `:${api.client.port}` : ''}: ${api.client.bytes} bytes`)
		&& plain(endpoints).includes(`${api.server.bytes} bytes`), `${route}: endpoints "${endpoints}"`);
	await page.check('#follow-mode-ascii');
	return api;
}

await step('follow-a-tcp-stream', async () => {
	await page.click('.follow-link[data-proto="tcp"]');
	await page.waitForSelector('.view-holder > [data-view="follow"]:not([hidden])');
	check((await hashOf()).includes('/follow/tcp/0'), `follow address ${await hashOf()}`);
	const api = await checkFollow(pickId, 'tcp', 0);
	const text = await page.textContent('#follow-text');
	check(text.startsWith('GET / HTTP/1.1\nHost: bro.org'), `the ASCII view starts "${text.slice(0, 40)}"`);
	const colors = await page.$$eval('#follow-text .chunk', (spans) => [...new Set(spans.map((s) => `${s.dataset.from} ${getComputedStyle(s).color}`))]);
	check(colors.length === 2 && colors[0].split(' ')[1] !== colors[1].split(' ')[1], `client and server colours: ${colors}`);
	await page.check('#follow-mode-hex');
	check((await page.textContent('#follow-text')).startsWith('00000000  47 45 54 20 2f 20 48 54  54 50 2f 31 2e 31 0d 0a  GET / HTTP/1.1..'),
		'the hex view does not start with the request');
	await page.check('#follow-mode-ascii');
	await screenshot('13-follow-tcp');
	// Either side's bytes download, byte for byte the API's chunks of that side.
	for (const side of ['client', 'server']) {
		const [download] = await Promise.all([page.waitForEvent('download'), page.click(`#follow-download-${side}`)]);
		const got = readFileSync(await download.path());
		const want = Buffer.concat(api.chunks.filter((c) => c.from === side).map((c) => Buffer.from(c.data, 'base64')));
		check(got.equals(want), `${side} download: ${got.length} bytes, API ${want.length}`);
	}
	// A chunk opens its frame in the list of the stream (the follow's filter), as Wireshark does.
	await page.click(`#follow-text .chunk.server >> nth=0`);
	await page.waitForFunction((f) => document.querySelector('#packet-list [aria-selected="true"]')?.dataset.frame === String(f),
		api.chunks.find((c) => c.from === 'server').frame);
	check((await paramsOf()).get('filter') === api.filter, `the list's filter is ${(await paramsOf()).get('filter')}, not ${api.filter}`);
	await waitListLoaded();
	await checkRowsAgainstApi(pickId, api.filter, 'the followed stream\'s rows');
});

await step('follow-an-http2-substream', async () => {
	await page.goto(`${BASE}/#/capture/${IDS.http2}/packets?frame=13`);
	await page.waitForFunction(() => document.querySelector('#packet-list [aria-selected="true"]')?.dataset.frame === '13');
	await waitDetail(IDS.http2, 13);
	const links = await page.$$eval('.follow-link', (as) => as.map((a) => a.textContent));
	check(links.includes('HTTP/2 stream 0, substream 13') && links.includes('TLS stream 0') && links.includes('TCP stream 0'),
		`follow links of frame 13: ${links}`);
	await page.click('.follow-link:text-is("HTTP/2 stream 0, substream 13")');
	await page.waitForSelector('.view-holder > [data-view="follow"]:not([hidden])');
	await checkFollow(IDS.http2, 'http2', 0, 13);
	check((await page.textContent('#follow-text')).includes('/en-US/firefox/52.0.1/firstrun/'), 'the substream does not show its request');
	await screenshot('14-follow-http2-substream');
	// The decrypted TLS and decompressed header sources are tabs under the bytes pane.
	await page.goBack();
	await page.waitForSelector('.view-holder > [data-view="packets"]:not([hidden])');
	const tabs = await page.$$eval('.bytes-tab', (t) => t.map((x) => x.textContent));
	const detail = await apiV2(IDS.http2, 'frames/13');
	sameJson(tabs, detail.data_sources.map((s) => s.name), 'the data source tabs of frame 13');
	await page.click('.bytes-tab >> nth=1');
	const shown = await page.$$eval('.hex-bytes span[data-o]', (spans) => spans.map((s) => s.textContent).join(''));
	check(shown === detail.data_sources[1].bytes, 'the second tab does not show the decrypted bytes');
});

await step('key-log-needs-permissions-and-decrypts', async () => {
	// A token without the upload permission is told why it may not store a key log.
	const limitedPage = await context.newPage();
	await limitedPage.goto(`${BASE}/`);
	await limitedPage.evaluate((t) => window.sessionStorage.setItem('sharkapi.token', t), LIMITED_TOKEN);
	await limitedPage.goto(`${BASE}/#/capture/${IDS.tls13}/tls`);
	await limitedPage.setInputFiles('#tls-keylog-file', TLS13_KEYS);
	await limitedPage.click('#tls-keylog-upload');
	await limitedPage.waitForSelector('#tls-keylog-status.error');
	const refusal = await limitedPage.textContent('#tls-keylog-status');
	check(/upload and the analysis permission/.test(refusal), `the refusal says "${refusal}"`);
	await limitedPage.screenshot({ path: path.join(ARTIFACTS, '15-key-log-refused.png') });
	await limitedPage.close();
	// Before: the TLS stream carries no readable request.
	const before = await apiV2(IDS.tls13, 'follow/tls/0').catch(() => ({ chunks: [] }));
	check(!before.chunks.some((c) => Buffer.from(c.data, 'base64').toString('latin1').includes('GET / HTTP/1.1')),
		'the stream is readable before the key log');
	await page.goto(`${BASE}/#/capture/${IDS.tls13}/tls`);
	await page.setInputFiles('#tls-keylog-file', TLS13_KEYS);
	await page.click('#tls-keylog-upload');
	await page.waitForSelector('#tls-keylog-status.ok');
	await screenshot('16-key-log-stored');
	await openView('packets');
	await page.fill('#goto-frame', '3');
	await page.keyboard.press('Enter');
	await waitDetail(IDS.tls13, 3);
	await page.click('.follow-link[data-proto="tls"]');
	await page.waitForSelector('.view-holder > [data-view="follow"]:not([hidden])');
	const api = await checkFollow(IDS.tls13, 'tls', 0);
	check(api.chunks.some((c) => Buffer.from(c.data, 'base64').toString('latin1').includes('GET / HTTP/1.1')), 'the API does not decrypt the stream');
	const text = await page.textContent('#follow-text');
	check(text.includes('GET / HTTP/1.1'), `the decrypted stream shows "${text.slice(0, 80)}"`);
	await screenshot('17-decrypted-http');
	// A capture with its keys inside (pcapng DSB) shows HTTP rows without any key log.
	await page.goto(`${BASE}/#/capture/${IDS.dsb}/packets?filter=http`);
	await page.waitForSelector('[role="grid"][aria-label="Packets"]');
	await waitListLoaded();
	const { api: dsb } = await checkRowsAgainstApi(IDS.dsb, 'http', 'decrypted HTTP rows of tls12-dsb');
	check(dsb.matched > 0 && dsb.frames.every((f) => f.columns[4] === 'HTTP'), 'tls12-dsb shows no HTTP rows');
});

async function clickFrameLinkAndCheck(selector) {
	const link = page.locator(selector).first();
	const frame = Number(await link.getAttribute('data-frame'));
	await link.click();
	await page.waitForSelector('.view-holder > [data-view="packets"]:not([hidden])');
	await page.waitForFunction((f) => document.querySelector('#packet-list [aria-selected="true"]')?.dataset.frame === String(f), frame);
	check((await paramsOf()).get('frame') === String(frame), 'the address does not name the frame');
	return frame;
}

await step('expert-info-and-jump-to-a-frame', async () => {
	await page.goto(`${BASE}/#/capture/${pickId}/expert`);
	await page.waitForSelector('.expert-counts li');
	await page.waitForSelector('#section-expert .expert-items table');
	const api = await apiV2(pickId, 'expert', { limit: 500 });
	const badges = await page.$$eval('.expert-counts li', (items) => Object.fromEntries(items.map((li) => [li.dataset.severity, li.querySelector('.badge-count').textContent])));
	sameJson(Object.fromEntries(Object.entries(badges).map(([k, v]) => [k, Number(plain(v))])),
		Object.fromEntries(['error', 'warn', 'note', 'chat', 'comment'].map((k) => [k, api.counts[k]])), 'counts per severity');
	const groups = await page.$$eval('.expert-severity', (sections) => sections.flatMap((s) => [...s.querySelectorAll('tbody tr')].map((tr) => [
		s.dataset.severity, ...['count', 'group', 'protocol', 'summary'].map((k) => tr.querySelector(`[data-column="${k}"]`).textContent)])));
	const key = (g) => JSON.stringify(g);
	sameJson(groups.map((g) => key([g[0], Number(plain(g[1])), g[2], g[3], g[4]])).sort(),
		api.groups.map((g) => key([g.severity, g.count, g.group, g.protocol, g.summary])).sort(), 'expert groups');
	const items = await tableRows('#section-expert .expert-items table');
	sameJson(items.map((r) => [Number(r.frame), r.severity, r.group, r.protocol, r.message]),
		api.items.map((i) => [i.frame, i.severity, i.group, i.protocol, i.message]), 'expert items');
	await screenshot('18-expert-info');
	// A warning group's first frame opens it in the list.
	const frame = await clickFrameLinkAndCheck('.expert-severity[data-severity="warn"] .frame-link');
	check(api.items.some((i) => i.frame === frame && i.severity === 'warn'), `frame ${frame} has no warning`);
	await waitDetail(pickId, frame);
	// The group's Packets link filters the list on its message.
	await page.goBack();
	await page.click('.expert-severity[data-severity="warn"] .filter-link >> nth=0');
	await page.waitForSelector('.view-holder > [data-view="packets"]:not([hidden])');
	await waitListLoaded();
	const filter = (await paramsOf()).get('filter');
	const { api: listed } = await checkRowsAgainstApi(pickId, filter, 'packets of a warning group');
	const group = api.groups.filter((g) => g.severity === 'warn').sort((a, b) => b.count - a.count)[0];
	check(listed.matched === group.count, `${filter} lists ${listed.matched} frames; the group counts ${group.count}`);
});

await step('io-graph-with-two-series', async () => {
	await page.goto(`${BASE}/#/capture/${pickId}/io`);
	await page.waitForSelector('.io-chart');
	await page.selectOption('#io-interval', '1');
	await page.click('#io-add-series');
	const second = page.locator('.io-series-item').nth(1);
	const secondFilter = await second.locator('input.filter-text').getAttribute('id');
	await page.fill(`#${secondFilter}`, 'tcp.srcport == 80');
	await second.locator('select.io-unit').selectOption('bytes');
	await page.click('#io-draw');
	await page.waitForFunction(() => document.querySelectorAll('.io-chart .io-series').length === 2 && !document.querySelector('.io-output').hasAttribute('aria-busy'));
	const api = await apiV2(pickId, 'stats/io', [['interval', '1'], ['column', ''], ['column', 'tcp.srcport == 80']]);
	const table = await page.$$eval('.io-table tbody tr', (rows) => rows.map((tr) => [...tr.querySelectorAll('td')].map((td) => Number(td.textContent.replace(/,/g, '')))));
	sameJson(table, api.rows.map((r) => [r.start, r.values[0].frames, r.values[1].bytes]), 'the I/O table (frames of all, bytes from port 80)');
	check(api.rows.length > 3, `only ${api.rows.length} intervals`);
	// Hover: the readout says the values of the interval under the pointer.
	await page.locator('.io-chart').scrollIntoViewIfNeeded();
	const box = await page.locator('.io-chart').boundingBox();
	await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5);
	await page.waitForFunction(() => document.getElementById('io-readout').dataset.index);
	const index = Number(await page.getAttribute('#io-readout', 'data-index'));
	const readout = plain(await page.textContent('#io-readout'));
	check(readout.includes(`frames of all frames = ${api.rows[index].values[0].frames}`)
		&& readout.includes(`bytes of tcp.srcport == 80 = ${api.rows[index].values[1].bytes}`), `readout "${readout}" for interval ${index}`);
	const lines = await page.$$eval('.io-chart polyline', (ls) => ls.map((l) => l.getAttribute('points').split(' ').length));
	sameJson(lines, [api.rows.length, api.rows.length], 'points per series');
	// Frames and bytes differ by orders of magnitude: a logarithmic axis shows both.
	await page.check('#io-log');
	await page.waitForSelector('.io-chart .io-tick:text-is("1,000")');
	await screenshot('19-io-graph');
});

await step('export-objects-download-equals-tshark', async () => {
	await page.goto(`${BASE}/#/capture/${pickId}/objects`);
	await page.waitForSelector('#section-objects table');
	const api = await apiV2(pickId, 'objects/http');
	const rows = await tableRows('#section-objects table');
	sameJson(rows.map((r) => [Number(r.index), Number(r.frame), r.filename, Number(plain(r.size))]),
		api.objects.map((o) => [o.index, o.frame, o.filename, o.size]), 'the object list');
	// The largest object, downloaded through the page, is tshark's exported file byte for byte.
	const object = [...api.objects].sort((a, b) => b.size - a.size)[0];
	const [download] = await Promise.all([page.waitForEvent('download'), page.click(`.download-object[data-index="${object.index}"]`)]);
	const got = readFileSync(await download.path());
	const name = download.suggestedFilename();
	const tshark = readFileSync(path.join(OBJECTS_DIR, name));
	check(got.equals(tshark), `${name}: ${got.length} bytes downloaded, tshark wrote ${tshark.length}`);
	check(got.length === object.size, `${name}: ${got.length} bytes, the list says ${object.size}`);
	await screenshot('20-objects');
	await clickFrameLinkAndCheck(`#section-objects tbody tr:nth-child(1) .frame-link`);
});

await step('http-requests-open-their-frames', async () => {
	await page.goto(`${BASE}/#/capture/${pickId}/http`);
	await page.waitForSelector('#section-http table');
	const api = await apiV2(pickId, 'http/requests');
	const rows = await tableRows('#section-http table');
	sameJson(rows.map((r) => [r.frame, r.method, r.host, r.uri, r.status]),
		api.requests.map((q) => [q.frame === null ? '' : String(q.frame), q.method ?? '', q.host ?? '', q.uri ?? '', q.status === null ? '' : String(q.status)]),
		'HTTP requests');
	// Sortable: Status from the keyboard.
	await page.locator('#section-http th button:text-is("Status")').focus();
	await page.keyboard.press('Enter');
	check(await page.getAttribute('#section-http th:has(button:text-is("Status"))', 'aria-sort') === 'descending', 'Status does not sort');
	await screenshot('21-http-requests');
	const frame = await clickFrameLinkAndCheck('#section-http tbody [data-column="frame"] .frame-link');
	const detail = await waitDetail(pickId, frame);
	check(detail.tree.some((n) => n.abbrev === 'http'), `frame ${frame} has no HTTP`);
});

await step('tls-handshakes-open-their-frames', async () => {
	await page.goto(`${BASE}/#/capture/${IDS.dsb}/tls`);
	await page.waitForSelector('#section-tls table');
	const api = await apiV2(IDS.dsb, 'tls/handshakes');
	const rows = await tableRows('#section-tls table');
	sameJson(rows.map((r) => [r.frame, r.server_frame, r.server_name, r.version, r.cipher_suite, r.ja3, r.ja4]),
		api.handshakes.map((x) => [String(x.frame), x.server_frame === null ? '' : String(x.server_frame), x.server_name ?? '', x.version ?? '',
			x.cipher_suite ?? '', x.ja3 ?? '', x.ja4]), 'TLS handshakes');
	await screenshot('22-tls-handshakes');
	const frame = await clickFrameLinkAndCheck('#section-tls tbody [data-column="server_frame"] .frame-link');
	await waitDetail(IDS.dsb, frame);
});

await step('field-query-filter-error-and-pages', async () => {
	await page.goto(`${BASE}/#/capture/${dropId}/query`);
	await page.waitForSelector('#query-fields');
	await page.fill('#query-fields', 'ip.src,ip.dst,frame.len');
	await page.focus('#query-filter');
	await page.keyboard.type('ip.src ==');
	await page.waitForFunction(() => document.getElementById('query-filter-status').dataset.checked === 'ip.src ==');
	check(await page.$eval('#query-filter-status', (el) => el.classList.contains('filter-error')), 'no filter error shown');
	const shown = await page.textContent('#query-filter-status');
	const expected = await apiStatus(`/api/v2/analysis/${dropId}/packets/fields?fields=ip.src&filter=${encodeURIComponent('ip.src ==')}&limit=0`,
		{ headers: { Authorization: TOKEN } });
	check(expected.status === 400, `packets/fields with a bad filter answered ${expected.status}`);
	check(expected.body.exceptions[0].includes(shown), `shown "${shown}", packets/fields says "${expected.body.exceptions[0]}"`);
	check(await page.getAttribute('#query-filter', 'aria-invalid') === 'true', 'filter field not marked invalid');
	await page.keyboard.type(' 10.0.0.0/8 || udp');
	await page.waitForFunction(() => document.getElementById('query-filter-status').dataset.checked === 'ip.src == 10.0.0.0/8 || udp');
	check(await page.$eval('#query-filter-status', (el) => el.classList.contains('ok')), 'a valid filter is not shown as valid');
	check(await page.getAttribute('#query-filter', 'aria-invalid') === null, 'a valid filter is still marked invalid');
	const fields = 'ip.src,ip.dst,frame.len';
	const filter = 'ip.src == 10.0.0.0/8 || udp';
	await page.selectOption('#query-page-size', '25');
	await page.click('#query-run');
	await page.waitForSelector('#query-table');
	const firstPage = await apiV2(dropId, 'packets/fields', { fields, filter, limit: 25, offset: 0 });
	const asRows = (packets) => packets.map((p) => [String(p.frame), p.fields['ip.src'] ?? '', p.fields['ip.dst'] ?? '', p.fields['frame.len'] ?? '']);
	const read = async () => (await tableRows('#query-table')).map((r) => [r.frame, r['ip.src'], r['ip.dst'], r['frame.len']]);
	sameJson(await read(), asRows(firstPage.packets), 'query page 1');
	check(firstPage.packets.length === 25, `the filter matches only ${firstPage.packets.length} frames`);
	check(await page.isDisabled('#query-previous'), 'Previous enabled on the first page');
	await page.click('#query-next');
	await page.waitForSelector('#query-table caption:has-text("Frames 26 to")');
	const secondPage = await apiV2(dropId, 'packets/fields', { fields, filter, limit: 25, offset: 25 });
	sameJson(await read(), asRows(secondPage.packets), 'query page 2');
	await screenshot('23-field-query-page-2');
	await page.click('#query-previous');
	await page.waitForSelector('#query-table caption:has-text("Frames 1 to 25")');
	sameJson(await read(), asRows(firstPage.packets), 'query page 1 again');
});

await step('a-shared-link-opens-the-same-view', async () => {
	// A colleague with a token of their own opens the address: after signing in, the same
	// filter, the same frame selected and shown.
	const link = `${BASE}/#/capture/${pickId}/packets?filter=${encodeURIComponent('http.request')}&frame=40`;
	const colleague = await browser.newContext({ viewport: { width: 1366, height: 768 } });
	const other = await colleague.newPage();
	other.setDefaultTimeout(TIMEOUT);
	await other.goto(link);
	await other.waitForSelector('#token');
	await other.fill('#token', TOKEN);
	await other.keyboard.press('Enter');
	await other.waitForFunction(() => document.querySelector('#packet-list [aria-selected="true"]')?.dataset.frame === '40');
	check(await other.inputValue('#packet-filter') === 'http.request', 'the filter did not come with the link');
	await other.waitForFunction(() => document.getElementById('detail-heading').textContent === 'Frame 40');
	const api = await apiV2(pickId, 'frames', { filter: 'http.request', limit: 1000 });
	const index = api.frames.findIndex((f) => f.frame === 40);
	check(index >= 0, 'frame 40 is not an HTTP request');
	check(await other.getAttribute('#packet-list [aria-selected="true"]', 'aria-rowindex') === String(index + 2), 'the link\'s frame is on the wrong row');
	await colleague.close();
});

// The panes of the packet viewer fit the window: no overlap, none cut off, no sideways page scroll.
async function checkViewerFits(where) {
	const layout = await page.evaluate(() => {
		const rect = (s) => document.querySelector(s).getBoundingClientRect();
		return {
			list: rect('.packet-list-wrap'), detail: rect('.detail-pane'), bytes: rect('.bytes-pane'), filter: rect('#packet-filter'),
			width: window.innerWidth, height: window.innerHeight, scrollWidth: document.documentElement.scrollWidth,
			rows: Math.floor(document.getElementById('packet-list').clientHeight / 22) - 1,
		};
	});
	check(layout.scrollWidth <= layout.width, `${where}: the page scrolls sideways (${layout.scrollWidth} > ${layout.width})`);
	check(layout.detail.bottom <= layout.height + 1 && layout.bytes.bottom <= layout.height + 1, `${where}: the detail panes are cut off`);
	check(layout.list.bottom <= layout.detail.top && layout.filter.bottom <= layout.list.top, `${where}: panes overlap`);
	check(layout.rows >= 8, `${where}: the list shows only ${layout.rows} rows`);
	check(layout.detail.height >= 180 && layout.bytes.height >= 180, `${where}: detail panes of ${layout.detail.height} and ${layout.bytes.height} px`);
	return layout;
}

await step('sensible-on-a-laptop-and-a-large-screen', async () => {
	await page.goto(`${BASE}/#/capture/${pickId}/packets?frame=4`);
	await waitDetail(pickId, 4);
	const laptop = await checkViewerFits('1366x768');
	await page.setViewportSize({ width: 1920, height: 1080 });
	await page.waitForFunction(() => window.innerWidth === 1920);
	await waitListLoaded();
	const large = await checkViewerFits('1920x1080');
	check(large.rows > laptop.rows, 'the list does not grow with the screen');
	check(large.detail.top > large.list.top && Math.abs(large.detail.top - large.bytes.top) < 1, 'tree and bytes are not side by side');
	await screenshot('24-packet-viewer-1920x1080');
	await page.setViewportSize({ width: 1366, height: 768 });
});

await step('capture-page-accessibility-and-keyboard', async () => {
	await page.goto(`${BASE}/#/capture/${pickId}/packets?frame=4`);
	await waitDetail(pickId, 4);
	await checkAccessibility('the packet viewer with a frame open');
	// The first focusable element is the skip link, and Enter on it moves focus to main.
	const first = await page.evaluate(() => document.querySelector(
		'a[href], button:not([disabled]), input, select, textarea, [tabindex]:not([tabindex="-1"])').className);
	check(first === 'skip-link', `the first focusable element is ".${first}", not the skip link`);
	await page.focus('.skip-link');
	await page.keyboard.press('Enter');
	check(await page.evaluate(() => document.activeElement.id) === 'main', 'the skip link does not reach main');
	// Tab reaches the views, the filter bar, the list, the tree, the bytes and their tabs, with a visible focus.
	const reached = new Map();
	for (let i = 0; i < 60; i++) {
		await page.keyboard.press('Tab');
		const [name, outline] = await page.evaluate(() => {
			const el = document.activeElement;
			const style = getComputedStyle(el);
			const shown = (style.outlineStyle !== 'none' && style.outlineWidth !== '0px') || style.boxShadow !== 'none'
				|| (el.querySelector(':scope > .tree-row') && getComputedStyle(el.querySelector(':scope > .tree-row')).boxShadow !== 'none');
			const role = el.getAttribute('role');
			return [role === 'treeitem' ? role : el.id || role || el.dataset.view || el.textContent.trim().slice(0, 20), shown];
		});
		reached.set(name, outline);
	}
	for (const wanted of ['packets', 'expert', 'packet-filter', 'apply-filter', 'goto-frame', 'two-pass', 'packet-list', 'treeitem', 'bytes-panel']) {
		check(reached.has(wanted), `Tab never reaches ${wanted}: ${[...reached.keys()].join(', ')}`);
		check(reached.get(wanted), `${wanted} shows no focus`);
	}
	for (const view of ['endpoints', 'conversations', 'dns', 'http', 'tls', 'expert', 'io', 'objects', 'query']) {
		await openView(view);
		await page.waitForFunction((v) => !document.querySelector(`.view-holder > [data-view="${v}"] [aria-busy]`), view);
		await checkAccessibility(`the ${view} view`);
	}
});

await step('no-foreign-requests-no-script-errors', async () => {
	check(foreignRequests.length === 0, `requests to other hosts: ${foreignRequests.join(', ')}`);
	check(pageErrors.length === 0, `page errors: ${pageErrors.join('; ')}`);
});

await browser.close();
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
