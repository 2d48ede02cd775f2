// openapi-check.mjs: checks api/openapi.json with tools from the npm registry.
//   node openapi-check.mjs TOOLS_DIR OPENAPI_JSON [RESPONSES_JSON]
// 1. the document is valid OpenAPI 3.1 (@seriousme/openapi-schema-validator);
// 2. every example in it (responses, request bodies, parameters) validates against its schema
//    (Ajv, JSON Schema 2020-12, as OpenAPI 3.1 schemas are);
// 3. each real response recorded by test_openapi.py ({method, path, status, media, body}) is
//    documented for its route and status, and its body validates against that schema.
// Prints "ok ..." / "FAIL ..." lines and "N passed, M failed"; exits 1 on any failure.
// SPDX-License-Identifier: GPL-2.0-or-later
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import path from "node:path";

const [toolsDir, docPath, responsesPath] = process.argv.slice(2);
const require = createRequire(path.join(path.resolve(toolsDir), "node_modules", "x.js"));
const { Validator } = require("@seriousme/openapi-schema-validator");
const Ajv2020 = require("ajv/dist/2020").default;

let passed = 0, failed = 0;
function report(ok, what, detail) {
	if (ok) { passed++; console.log("ok " + what); }
	else { failed++; console.log("FAIL " + what + (detail ? ": " + detail : "")); }
}

const doc = JSON.parse(readFileSync(docPath, "utf8"));
const validator = new Validator();
const result = await validator.validate(doc);
report(result.valid, "OpenAPI 3.1 document is valid", JSON.stringify(result.errors));

const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addSchema(doc, "openapi.json");
const escape = (s) => s.replace(/~/g, "~0").replace(/\//g, "~1");
const compiled = new Map();
function validatorAt(pointer) {
	if (!compiled.has(pointer))
		compiled.set(pointer, ajv.compile({ $ref: "openapi.json#" + pointer }));
	return compiled.get(pointer);
}
// Follows a local $ref: returns [object, its pointer].
function deref(object, pointer) {
	while (object && object.$ref) {
		pointer = object.$ref.slice(1);
		object = pointer.split("/").slice(1).reduce((o, k) => o[k.replace(/~1/g, "/").replace(/~0/g, "~")], doc);
	}
	return [object, pointer];
}
function check(what, pointer, value) {
	const validate = validatorAt(pointer);
	const ok = validate(value);
	report(ok, what, ok ? "" : ajv.errorsText(validate.errors));
}

const methods = ["get", "put", "post", "delete", "head", "patch", "options"];
for (const [route, item] of Object.entries(doc.paths)) {
	for (const method of methods.filter((m) => item[m])) {
		const op = item[method];
		const opPointer = "/paths/" + escape(route) + "/" + method;
		for (const [status, raw] of Object.entries(op.responses)) {
			const [response, pointer] = deref(raw, opPointer + "/responses/" + status);
			for (const [media, content] of Object.entries(response.content || {})) {
				if (content.example !== undefined)
					check(`example ${method.toUpperCase()} ${route} ${status} ${media}`,
					      pointer + "/content/" + escape(media) + "/schema", content.example);
			}
		}
		const body = op.requestBody && op.requestBody.content;
		for (const [media, content] of Object.entries(body || {})) {
			if (content.example !== undefined)
				check(`example request ${method.toUpperCase()} ${route} ${media}`,
				      opPointer + "/requestBody/content/" + escape(media) + "/schema", content.example);
		}
		(op.parameters || []).forEach((raw, index) => {
			const [parameter, pointer] = deref(raw, opPointer + "/parameters/" + index);
			if (parameter.example !== undefined)
				check(`example parameter ${parameter.name} of ${method.toUpperCase()} ${route}`,
				      pointer + "/schema", parameter.example);
		});
	}
}

// "/api/v2/analysis/{id}/status" matches "/api/v2/analysis/0123456789ab/status".
function findPath(requestPath) {
	const clean = requestPath.split("?")[0].replace(/(.)\/$/, "$1");
	for (const route of Object.keys(doc.paths)) {
		const pattern = "^" + route.replace(/(.)\/$/, "$1").replace(/\{[^}]+\}/g, "[^/]+") + "$";
		if (new RegExp(pattern).test(clean))
			return route;
	}
	return null;
}

if (responsesPath) {
	const responses = JSON.parse(readFileSync(responsesPath, "utf8"));
	for (const r of responses) {
		const what = `real ${r.method} ${r.label} ${r.status}`;
		const route = findPath(r.path);
		// A method the route does not take has no operation of its own: its 405 is an Error.
		if (route && r.status === 405 && !doc.paths[route][r.method.toLowerCase()]) {
			check(what, "/components/schemas/Error", JSON.parse(r.body));
			continue;
		}
		const op = route && doc.paths[route][r.method.toLowerCase()];
		if (!op) { report(false, what, "route not documented"); continue; }
		const opPointer = "/paths/" + escape(route) + "/" + r.method.toLowerCase();
		const raw = op.responses[String(r.status)];
		if (!raw) { report(false, what, `status ${r.status} not documented for ${route}`); continue; }
		const [response, pointer] = deref(raw, opPointer + "/responses/" + r.status);
		if (!response.content) {
			report(r.body === "", what, "a body where the document has none");
			continue;
		}
		const media = Object.keys(response.content).find((m) => m === r.media);
		if (!media) { report(false, what, `media type ${r.media} not documented`); continue; }
		const schemaPointer = pointer + "/content/" + escape(media) + "/schema";
		if (media === "application/json") {
			check(what, schemaPointer, JSON.parse(r.body));
		} else if (media === "application/x-ndjson") {
			const lines = r.body.split("\n").filter((l) => l !== "");
			lines.forEach((line, n) => check(`${what} line ${n + 1}`, schemaPointer, JSON.parse(line)));
		} else {
			check(what, schemaPointer, r.body);
		}
	}
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
