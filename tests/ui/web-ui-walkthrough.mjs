// web-ui-walkthrough.mjs: drives the web UI in headless Chromium (Debian's, through
// playwright-core) against a real sharkapi server, as a person would: sign in, upload by drag
// and drop and by the file picker, find the capture, open it, read its tables, run a field
// query and page it, see a filter error. Every number read from the page is checked against
// the API's own JSON, fetched from the same server. Screenshots go to ARTIFACTS_DIR.
// Run by tests/test_web_ui.py, which starts the server and installs playwright-core.
// Environment: SHARKAPI_URL, SHARKAPI_TOKEN, SHARKAPI_DROP_CAPTURE, SHARKAPI_PICK_CAPTURE,
// ARTIFACTS_DIR, PLAYWRIGHT_DIR (where node_modules/playwright-core is).
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
const TIMEOUT = 60000;

mkdirSync(ARTIFACTS, { recursive: true });
// Screenshots of an earlier run's failure would mislead: only this run's are kept.
for (const name of readdirSync(ARTIFACTS)) {
	if (name.endsWith('.png'))
		rmSync(path.join(ARTIFACTS, name));
}

// ---- the oracle: the API's JSON, asked directly ----

async function apiV2(id, route, params = {}) {
	const query = new URLSearchParams(params).toString();
	const response = await fetch(`${BASE}/api/v2/analysis/${id}/${route}${query ? `?${query}` : ''}`,
		{ headers: { Authorization: TOKEN } });
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

async function step(name, fn) {
	if (failed)
		return;
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
const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
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
	if (!request.url().startsWith(`${BASE}/`) && !request.url().startsWith('data:'))
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

let status = null;
await step('open-capture-summary', async () => {
	await page.fill('#search-name', dropName);
	// The link of this upload (the HTTP checks before may have uploaded the same file too).
	await page.click(`.captures-view tbody a[href="#/capture/${dropId}"]`);
	await page.waitForSelector(`h1:text-is("${dropName}")`);
	check(await page.evaluate(() => window.location.hash) === `#/capture/${dropId}`, 'not on the dropped capture\'s page');
	await page.waitForSelector('#section-hierarchy');
	status = await apiV2(dropId, 'status');
	const shown = await page.$$eval('.summary-list dd', (cells) => Object.fromEntries(cells.map((c) => [c.dataset.key, c.textContent])));
	check(plain(shown.frames) === String(status.frames), `frames ${shown.frames} vs ${status.frames}`);
	check(shown.filesize.includes(`(${status.filesize.toLocaleString('en-US')} bytes)`), `file size ${shown.filesize}`);
	check(shown.analysis === 'ready', `analysis ${shown.analysis}`);
	check(shown.duration === `${Math.round(status.duration * 1e6) / 1e6} s`, `duration ${shown.duration} vs ${status.duration}`);
});

await step('hierarchy-chart-matches-api', async () => {
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
	await screenshot('04-capture-page');
});

const endpointKey = (r) => [r.host, r.port ?? '', r.totalf, r.totalb, r.txf, r.txb, r.rxf, r.rxb].join(' ');

await step('endpoint-table-matches-api', async () => {
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
});

await step('conversation-table-matches-api', async () => {
	await page.selectOption('#conversations-protocol', 'udp');
	await page.waitForSelector('#section-conversations caption:has-text("UDP conversations")');
	const api = await apiV2(dropId, 'stats/conversations', { protocol: 'udp' });
	const key = (c) => [c.saddr, c.sport, c.daddr, c.dport, c.txf, c.txb, c.rxf, c.rxb].join(' ');
	const rows = (await tableRows('#section-conversations table')).map((r) => key({
		saddr: r.saddr, sport: r.sport, daddr: r.daddr, dport: r.dport, txf: plain(r.txf), txb: plain(r.txb),
		rxf: plain(r.rxf), rxb: plain(r.rxb),
	}));
	check(api.convs.length > 0, 'the API has no UDP conversations for this capture');
	sameJson(rows, [...api.convs].sort((a, b) => b.totalb - a.totalb).map(key), 'UDP conversations, largest first');
});

await step('dns-table-matches-api', async () => {
	await page.waitForSelector('#section-dns table');
	const api = await apiV2(dropId, 'dns/lookups');
	const rows = (await tableRows('#section-dns table')).map((r) => [r.query_frame, r.client, r.full_query, r.query_type]);
	sameJson(rows, api.lookups.map((l) => [l.query_frame === null ? '' : String(l.query_frame), l.client, l.full_query, l.query_type]),
		'DNS lookups');
});

await step('filter-error-shown-as-you-type', async () => {
	await page.locator('#section-query').scrollIntoViewIfNeeded();
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
	await screenshot('05-filter-error');
	await page.keyboard.type(' 10.0.0.0/8 || udp');
	await page.waitForFunction(() => document.getElementById('query-filter-status').dataset.checked === 'ip.src == 10.0.0.0/8 || udp');
	check(await page.$eval('#query-filter-status', (el) => el.classList.contains('ok')), 'a valid filter is not shown as valid');
	check(await page.getAttribute('#query-filter', 'aria-invalid') === null, 'a valid filter is still marked invalid');
});

await step('field-query-pages-match-api', async () => {
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
	await screenshot('06-field-query-page-2');
	await page.click('#query-previous');
	await page.waitForSelector('#query-table caption:has-text("Frames 1 to 25")');
	sameJson(await read(), asRows(firstPage.packets), 'query page 1 again');
});

await step('capture-page-accessibility-and-keyboard', async () => {
	await checkAccessibility('the capture page');
	// The first focusable element is the skip link, and Enter on it moves focus to main.
	const first = await page.evaluate(() => document.querySelector(
		'a[href], button:not([disabled]), input, select, textarea, [tabindex]:not([tabindex="-1"])').className);
	check(first === 'skip-link', `the first focusable element is ".${first}", not the skip link`);
	await page.focus('.skip-link');
	await page.keyboard.press('Enter');
	check(await page.evaluate(() => document.activeElement.id) === 'main', 'the skip link does not reach main');
	// Tab reaches every sort button and the query controls, in page order.
	const reached = new Set();
	for (let i = 0; i < 200; i++) {
		await page.keyboard.press('Tab');
		reached.add(await page.evaluate(() => document.activeElement.id || document.activeElement.textContent.trim().slice(0, 20)));
	}
	for (const wanted of ['endpoints-protocol', 'conversations-protocol', 'query-fields', 'query-filter', 'query-run'])
		check(reached.has(wanted), `Tab never reaches #${wanted}`);
	await screenshot('07-capture-page-full', true);
});

await step('no-foreign-requests-no-script-errors', async () => {
	check(foreignRequests.length === 0, `requests to other hosts: ${foreignRequests.join(', ')}`);
	check(pageErrors.length === 0, `page errors: ${pageErrors.join('; ')}`);
});

await browser.close();
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
