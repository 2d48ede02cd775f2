// docs-render.cjs: renders the /docs page in jsdom (from the npm registry) with the document the
// server served, and prints what came out as JSON: {"error", "operations", "schemas", "title"}.
//   node docs-render.cjs TOOLS_DIR PAGE_HTML OPENAPI_JSON
// The page's own fetch() is answered with OPENAPI_JSON; nothing else is loaded.
// SPDX-License-Identifier: GPL-2.0-or-later
const path = require("node:path");
const fs = require("node:fs");
const [toolsDir, pagePath, docPath] = process.argv.slice(2);
const { JSDOM, VirtualConsole } = require(path.join(path.resolve(toolsDir), "node_modules", "jsdom"));

const page = fs.readFileSync(pagePath, "utf8");
const doc = fs.readFileSync(docPath, "utf8");
const errors = [];
const virtualConsole = new VirtualConsole();
virtualConsole.on("jsdomError", (error) => errors.push(String(error)));
const dom = new JSDOM(page, {
	runScripts: "dangerously", url: "http://127.0.0.1/docs", virtualConsole,
	beforeParse(window) {
		window.fetch = (url) => url === "/api/v2/openapi.json"
			? Promise.resolve({ ok: true, json: () => Promise.resolve(JSON.parse(doc)) })
			: Promise.reject(new Error("unexpected fetch " + url));
		window.HTMLElement.prototype.scrollIntoView = () => {};
	},
});
setTimeout(() => {
	const d = dom.window.document;
	console.log(JSON.stringify({
		error: d.getElementById("error").textContent + errors.join("; "),
		operations: [...d.querySelectorAll("details.op")].map((op) =>
			op.querySelector(".method").textContent.toUpperCase() + " " + op.querySelector(".path").textContent),
		schemas: [...d.querySelectorAll("h3[id^=schema-]")].map((h) => h.textContent),
		title: d.getElementById("title").textContent,
	}));
}, 300);
