// dom.js: tiny helpers to build DOM nodes and format numbers. Text always goes in as text
// nodes, never as HTML, so capture data (file names, DNS names) cannot inject markup.
// SPDX-License-Identifier: GPL-2.0-or-later

// h('p', {class: 'x', onclick: fn}, 'text', child): an element with attributes and children.
export function h(tag, attributes = {}, ...children) {
	const element = document.createElement(tag);
	setAttributes(element, attributes);
	append(element, children);
	return element;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

export function svg(tag, attributes = {}, ...children) {
	const element = document.createElementNS(SVG_NS, tag);
	setAttributes(element, attributes);
	append(element, children);
	return element;
}

function setAttributes(element, attributes) {
	for (const [name, value] of Object.entries(attributes)) {
		if (value === undefined || value === null || value === false)
			continue;
		if (name.startsWith('on') && typeof value === 'function')
			element.addEventListener(name.slice(2), value);
		else if (name === 'style' && typeof value === 'object') {
			// Through the CSSOM: the page's CSP refuses style attributes, not style properties.
			for (const [property, text] of Object.entries(value))
				element.style.setProperty(property, String(text));
		}
		else
			element.setAttribute(name, value === true ? '' : String(value));
	}
}

function append(element, children) {
	for (const child of children.flat()) {
		if (child === undefined || child === null || child === false)
			continue;
		element.append(child instanceof Node ? child : document.createTextNode(String(child)));
	}
}

const integerFormat = new Intl.NumberFormat('en-US');

// Integers with thousands separators; other values as they came.
export function formatNumber(value) {
	if (typeof value === 'number' && Number.isInteger(value))
		return integerFormat.format(value);
	if (typeof value === 'number')
		return String(Math.round(value * 1e6) / 1e6);
	return value === undefined || value === null ? '' : String(value);
}

export function formatBytes(bytes) {
	if (typeof bytes !== 'number')
		return '';
	const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
	let value = bytes;
	let unit = 0;
	while (value >= 1024 && unit < units.length - 1) {
		value /= 1024;
		unit++;
	}
	return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

export function announce(text) {
	const announcer = document.getElementById('announcer');
	announcer.textContent = '';
	// A fresh text node makes screen readers speak a repeated message again.
	window.setTimeout(() => { announcer.textContent = text; }, 50);
}

// Calls fn after the caller stopped calling for `wait` ms.
export function debounce(fn, wait) {
	let timer = 0;
	return (...args) => {
		window.clearTimeout(timer);
		timer = window.setTimeout(() => fn(...args), wait);
	};
}

// Saves bytes held in memory as a file (the browser's download), e.g. an object fetched with
// the token, which a plain link could not send.
export function saveBlob(blob, filename) {
	const url = URL.createObjectURL(blob);
	const anchor = h('a', { href: url, download: filename, hidden: true });
	document.body.append(anchor);
	anchor.click();
	anchor.remove();
	window.setTimeout(() => URL.revokeObjectURL(url), 60000);
}
