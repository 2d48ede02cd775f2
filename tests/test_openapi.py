"""test_openapi.py: api/openapi.json against the server that serves it.

- the document is valid OpenAPI 3.1 and every example in it matches its schema (a validator
  from the npm registry, run by openapi-check.mjs);
- every route the server registers (`sharkapi routes`) is documented with its method, and its
  query parameters as the route table declares them (names, enum values, integer ranges,
  defaults, required);
- /api/v2/openapi.json and /docs answer without a token; the served document is the repository's,
  and the page is self-contained (no address outside the server), its script parses, and
  rendered in jsdom it shows every operation and schema of the served document;
- real answers of a real server (successes and errors of every route that exists) are documented
  for their route and status, and validate against the documented schema.
SPDX-License-Identifier: GPL-2.0-or-later
"""
import json
import os
import re
import subprocess
import tempfile
import time
import urllib.parse

import npm_tools
from harness import BAD_DIR, BUILD_DIR, CAPTURES_DIR, Server, check, run

SOURCE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OPENAPI = os.path.join(SOURCE_DIR, "api", "openapi.json")
CHECKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "openapi-check.mjs")
DNS_CAPTURE = os.path.join(CAPTURES_DIR, "sv-dns-udp-a-aaaa-mx.pcap")
TCP_CAPTURE = os.path.join(CAPTURES_DIR, "sv-http-aptget.pcap")

server = None
token = None


def node_check(responses=None):
    """Runs the checker; returns (exit code, output)."""
    tools = npm_tools.ensure()
    cmd = ["node", CHECKER, tools, OPENAPI]
    if responses is not None:
        handle, path = tempfile.mkstemp(prefix="sharkapi-responses-", suffix=".json")
        with os.fdopen(handle, "w") as f:
            json.dump(responses, f)
        cmd.append(path)
    proc = subprocess.run(cmd, capture_output=True, text=True)
    return proc.returncode, proc.stdout + proc.stderr


def normalize(path):
    """One spelling per route: placeholders as {}, no trailing slash."""
    path = re.sub(r"\{[^}]+\}", "{}", path)
    return path.rstrip("/") or "/"


def test_document_and_examples_valid():
    code, output = node_check()
    print("\n".join(line for line in output.splitlines() if not line.startswith("ok ")))
    check(code == 0, "openapi-check failed")
    check(re.search(r"^(\d+) passed, 0 failed$", output, re.M) and int(re.search(r"^(\d+) passed", output, re.M).group(1)) > 20,
          "too few checks ran")


def test_every_registered_route_documented():
    out = subprocess.run([os.path.join(BUILD_DIR, "sharkapi"), "routes"], check=True, capture_output=True,
                         text=True).stdout
    with open(OPENAPI) as f:
        doc = json.load(f)
    documented = {(method.upper(), normalize(path)) for path, item in doc["paths"].items() for method in item
                  if method in ("get", "put", "post", "delete", "patch", "head", "options")}
    routes = [line.split("\t") for line in out.splitlines() if line.strip()]
    check(len(routes) >= 10, "sharkapi routes printed too little: %r" % out)
    missing = []
    for method, pattern, auth, permission, params in routes:
        # HEAD is GET without the body (HTTP): documented with the GET.
        wanted = ("GET" if method == "HEAD" else method, normalize(pattern))
        if wanted not in documented:
            missing.append("%s %s" % (method, pattern))
    check(not missing, "routes missing from api/openapi.json: %s" % missing)


def declared_params(column):
    """`sharkapi routes`' fifth column: "name:type[:enum=a|b][:min=N:max=N][:default=X][:required] ..."."""
    declared = {}
    for item in column.split() if column != "-" else []:
        name, kind, *rest = item.split(":")
        spec = {"type": kind}
        for part in rest:
            key, _, value = part.partition("=")
            spec[key] = value if value else True
        declared[name] = spec
    return declared


def documented_params(doc, path, method):
    """The query parameters of one operation, $refs resolved."""
    item = doc["paths"].get(path) or doc["paths"].get(path + "/")
    params = {}
    for param in item.get("parameters", []) + item[method.lower()].get("parameters", []):
        if "$ref" in param:
            param = doc["components"]["parameters"][param["$ref"].split("/")[-1]]
        if param["in"] == "query":
            params[param["name"]] = param
    return params


def compare_param(where, spec, param):
    """What a declaration says against what the document says; the list of disagreements."""
    schema = param.get("schema", {})
    problems = []
    if "enum" in spec and [str(v) for v in schema.get("enum", [])] != spec["enum"].split("|"):
        problems.append("%s: enum %r, declared %s" % (where, schema.get("enum"), spec["enum"]))
    if spec["type"] == "integer" and (str(schema.get("minimum")) != spec["min"]
                                      or str(schema.get("maximum", 2 ** 63 - 1)) != spec["max"]):
        problems.append("%s: range %r..%r, declared %s..%s" % (where, schema.get("minimum"), schema.get("maximum"),
                                                               spec["min"], spec["max"]))
    if "max-length" in spec and str(schema.get("maxLength")) != spec["max-length"]:
        problems.append("%s: maxLength %r, declared %s" % (where, schema.get("maxLength"), spec["max-length"]))
    if "default" in spec and str(schema.get("default")) != spec["default"]:
        problems.append("%s: default %r, declared %s" % (where, schema.get("default"), spec["default"]))
    if spec["type"] == "repeated" and schema.get("type") != "array":
        problems.append("%s: repeatable, documented as %r" % (where, schema.get("type")))
    if bool(param.get("required")) != ("required" in spec):
        problems.append("%s: required %r, declared %r" % (where, param.get("required"), "required" in spec))
    return problems


def test_declared_params_documented():
    out = subprocess.run([os.path.join(BUILD_DIR, "sharkapi"), "routes"], check=True, capture_output=True,
                         text=True).stdout
    with open(OPENAPI) as f:
        doc = json.load(f)
    problems = []
    checked = 0
    routes = {}
    for method, pattern, auth, permission, column in (line.split("\t") for line in out.splitlines()):
        if method != "HEAD":
            routes.setdefault(pattern, (declared_params(column), []))[1].append(method)
    for pattern, (declared, methods) in routes.items():
        # One declaration per route: a method may ignore some (GET annotations lists, POST sets).
        documented = {}
        for method in methods:
            params = documented_params(doc, pattern, method)
            for name in set(params) - set(declared):
                problems.append("%s %s: %s documented, not declared" % (method, pattern, name))
            documented.update(params)
        for name in set(declared) - set(documented):
            problems.append("%s: %s declared, not documented" % (pattern, name))
        for name in set(declared) & set(documented):
            checked += 1
            problems += compare_param("%s %s" % (pattern, name), declared[name], documented[name])
    check(checked > 30, "too few parameters compared: %d" % checked)
    check(not problems, "api/openapi.json disagrees with the route table:\n  " + "\n  ".join(problems))


def test_public_documents_served():
    response = server.request("GET", "/api/v2/openapi.json")
    check(response.status == 200, "openapi.json: %d" % response.status)
    with open(OPENAPI, "rb") as f:
        check(response.body == f.read(), "the served document differs from api/openapi.json")
    check(response.header("Content-Type").startswith("application/json"), "openapi.json content type")
    page = server.request("GET", "/docs")
    check(page.status == 200 and page.header("Content-Type").startswith("text/html"), "/docs: %d" % page.status)
    html = page.body.decode()
    check("/api/v2/openapi.json" in html, "/docs does not load the document")
    check(not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html), "/docs refers to another host")
    scripts = re.findall(r"<script>(.*?)</script>", html, re.S)
    check(len(scripts) == 1, "/docs should carry its one script inline")
    with tempfile.NamedTemporaryFile("w", suffix=".js", delete=False) as f:
        f.write(scripts[0])
    proc = subprocess.run(["node", "--check", f.name], capture_output=True, text=True)
    os.unlink(f.name)
    check(proc.returncode == 0, "the /docs script does not parse: %s" % proc.stderr)
    # Rendered as a browser would, with the served document: every operation and schema appears.
    files = {}
    for name, body in (("page", page.body), ("doc", response.body)):
        with tempfile.NamedTemporaryFile("wb", delete=False) as f:
            f.write(body)
            files[name] = f.name
    proc = subprocess.run(["node", os.path.join(os.path.dirname(os.path.abspath(__file__)), "docs-render.cjs"),
                           npm_tools.ensure(), files["page"], files["doc"]], capture_output=True, text=True)
    for path in files.values():
        os.unlink(path)
    check(proc.returncode == 0, "docs-render failed: %s" % proc.stderr)
    rendered = json.loads(proc.stdout)
    doc = json.loads(response.body)
    operations = sorted("%s %s" % (m.upper(), p) for p, item in doc["paths"].items() for m in item
                        if m in ("get", "put", "post", "delete", "patch", "head"))
    check(rendered["error"] == "", "the page shows an error: %s" % rendered["error"])
    check(sorted(rendered["operations"]) == operations, "rendered operations differ: %s" % rendered["operations"])
    check(sorted(rendered["schemas"]) == sorted(doc["components"]["schemas"]), "rendered schemas differ")
    check(rendered["title"].startswith(doc["info"]["title"]), "page title")


class Recorder:
    """Asks the server and keeps what it answered, for the checker."""

    def __init__(self):
        self.responses = []

    def keep(self, method, path, response, label=None):
        media = (response.header("Content-Type") or "").split(";")[0].strip()
        body = response.body.decode("utf-8", "replace") if media != "application/vnd.tcpdump.pcap" else ""
        # Routes are named without the token, so a failure message never shows one.
        shown = label or re.sub(r"/api/v1/[^/]+/", "/api/v1/{token}/", path.split("?")[0])
        self.responses.append({"method": method, "path": path, "label": shown, "status": response.status,
                               "media": media, "body": body})
        return response

    def get(self, path, headers=None, label=None):
        return self.keep("GET", path, server.request("GET", path, headers=headers), label)

    def v2(self, capture_id, route, auth=None, method="GET", **params):
        query = ("?" + urllib.parse.urlencode(params)) if params else ""
        path = "/api/v2/analysis/%s/%s%s" % (capture_id, route, query)
        headers = {"Authorization": auth if auth is not None else token}
        return self.keep(method, path, server.request(method, path, headers=headers))


def test_real_responses_match_schemas():
    rec = Recorder()
    upload = server.upload_post(token, DNS_CAPTURE)
    rec.keep("POST", "/api/v1/%s/upload" % token, upload)
    dns_id = upload.json()["id"]
    put = server.upload_put(token, TCP_CAPTURE, additional_tags="web,lab")
    rec.keep("PUT", "/api/v1/%s/upload" % token, put)
    tcp_id = put.json()["id"]
    bad = server.upload_put(token, os.path.join(BAD_DIR, "not-a-capture.png"))
    rec.keep("PUT", "/api/v1/%s/upload" % token, bad)
    check(bad.status == 415, "a PNG upload: %d" % bad.status)
    for capture_id in (dns_id, tcp_id):
        check(server.wait_ready(token, capture_id) == "ready", "analysis not ready")

    rec.get("/api/v1/%s/info/%s" % (token, dns_id))
    rec.get("/api/v1/%s/info/%s" % (token, "0123456789ab"))
    rec.get("/api/v1/%s/info/%s" % ("f" * 32, dns_id))
    rec.get("/api/v1/%s/download/%s" % (token, dns_id))
    analysis_only = server.token(permissions="analysis", name="analysis-only")
    rec.get("/api/v1/%s/info/%s" % (analysis_only, dns_id))

    for capture_id in (dns_id, tcp_id):
        rec.v2(capture_id, "status")
        rec.v2(capture_id, "stats/hierarchy")
        rec.v2(capture_id, "stats/hierarchy", filter="udp", passes="2")
        for protocol in ("eth", "ip", "tcp", "udp", "ipv6"):
            rec.v2(capture_id, "stats/endpoints", protocol=protocol)
            rec.v2(capture_id, "stats/conversations", protocol=protocol)
        rec.v2(capture_id, "dns/lookups")
        rec.v2(capture_id, "packets/fields", fields="ip.src,ip.dst,tcp.stream,dns.qry.name,_ws.col.Info", limit="20")
        rec.v2(capture_id, "packets/fields", fields="frame.len,udp.port", format="ndjson", limit="5")
    for capture_id in (dns_id, tcp_id):
        rec.v2(capture_id, "frames", limit="5")
        rec.v2(capture_id, "frames", filter="udp || tcp", offset="1", limit="3", passes="2")
        rec.v2(capture_id, "frames/1")
        rec.v2(capture_id, "frames/2", hidden="true", passes="2")
        rec.v2(capture_id, "follow/udp/0")
        rec.v2(capture_id, "follow/tcp/0")
    rec.v2(tcp_id, "frames", limit="-1")
    rec.v2(tcp_id, "frames/999999")
    rec.v2(tcp_id, "frames/x")
    rec.v2(tcp_id, "follow/nosuch/0")
    rec.v2(tcp_id, "follow/http2/0")
    for method, body in (("PUT", b"not a key log"), ("PUT", b"CLIENT_RANDOM 00aa 11bb\n"), ("DELETE", None),
                         ("DELETE", None)):
        path = "/api/v2/analysis/%s/tls-keys" % tcp_id
        rec.keep(method, path, server.request(method, path, body=body, headers={"Authorization": token}))
    rec.v2(dns_id, "stats/endpoints", protocol="bogus")
    rec.v2(dns_id, "packets/fields", fields="no.such.field")
    rec.v2(dns_id, "packets/fields", fields="ip.src", filter="ip.src ==")
    rec.v2(dns_id, "stats/hierarchy", passes="3")
    rec.v2(dns_id, "status", auth="")
    rec.v2(dns_id, "status", auth=server.token(permissions="info", name="info-only"))
    rec.v2("0123456789ab", "status")
    rec.v2(dns_id, "status", method="POST")
    rec.get("/api/v2/openapi.json")
    rec.get("/docs")
    rec.get("/metrics")
    page = rec.get("/")
    for asset in sorted(set(re.findall(r'"(/ui/[^"/]+/[^"]+)"', page.body.decode())))[:4]:
        rec.get(asset)

    # The routes of the rest of the capture API and of the web interface.
    v1 = "/api/v1/%s" % token
    rec.keep("POST", v1 + "/annotations/%s?frame=2&text=first" % dns_id,
             server.request("POST", v1 + "/annotations/%s?frame=2&text=first" % dns_id))
    rec.keep("POST", v1 + "/annotations/%s?frame=3&text=quiet&quiet=true" % dns_id,
             server.request("POST", v1 + "/annotations/%s?frame=3&text=quiet&quiet=true" % dns_id))
    rec.get(v1 + "/annotations/%s" % dns_id)
    rec.keep("POST", v1 + "/merge?capture_ids=%s,%s" % (dns_id, tcp_id),
             server.request("POST", v1 + "/merge?capture_ids=%s,%s" % (dns_id, tcp_id)))
    rec.get(v1 + "/merge?capture_ids=%s,0123456789ab" % dns_id)
    rec.get(v1 + "/search?search%5Bfilename%5D=pcap&search%5Blimit%5D=5")
    rec.keep("POST", v1 + "/search?search%5Btags%5D%5B%5D=web", server.request("POST", v1 + "/search?search%5Btags%5D%5B%5D=web"))
    body = json.dumps({"capture_ids": [dns_id, tcp_id], "display_filter": "dns"})
    created = rec.keep("POST", "/api/v2/deep_search/", server.request(
        "POST", "/api/v2/deep_search/", body=body, headers={"Authorization": token, "Content-Type": "application/json"}))
    check(created.status == 201, "deep search: %d" % created.status)
    search_id = created.json()["id"]
    deadline = time.time() + 120
    while time.time() < deadline:
        status = rec.get("/api/v2/deep_search/%s" % search_id, headers={"Authorization": token},
                         label="/api/v2/deep_search/{search}")
        if status.json().get("finished?"):
            break
        time.sleep(0.2)
    rec.get("/api/v2/deep_search/%s/results" % search_id, headers={"Authorization": token},
            label="/api/v2/deep_search/{search}/results")
    rec.keep("POST", "/api/v2/deep_search/", server.request(
        "POST", "/api/v2/deep_search/", body=json.dumps({"capture_ids": [dns_id], "display_filter": "dns =="}),
        headers={"Authorization": token, "Content-Type": "application/json"}))
    rec.get("/api/v2/filter/check?filter=dns", headers={"Authorization": token})
    rec.get("/api/v2/filter/check?filter=dns%20%3D%3D", headers={"Authorization": token})
    rec.get("/api/v2/tables", headers={"Authorization": token})
    rec.v2(tcp_id, "stats/io", interval="1", column="tcp")
    rec.v2(tcp_id, "stats/io", interval="0")
    rec.v2(tcp_id, "objects/http")
    rec.v2(tcp_id, "objects/nosuch")
    rec.v2(tcp_id, "objects/http/999")

    rec.keep("GET", "/api/v1/%s/delete/%s" % (token, tcp_id),
             server.request("GET", "/api/v1/%s/delete/%s" % (token, tcp_id)))
    rec.keep("DELETE", "/api/v1/%s/delete/%s" % (token, tcp_id),
             server.request("DELETE", "/api/v1/%s/delete/%s" % (token, tcp_id)))

    statuses = {r["status"] for r in rec.responses}
    check({200, 400, 401, 403, 404, 405, 415} <= statuses, "some answers were not exercised: %s" % statuses)
    code, output = node_check(rec.responses)
    print("\n".join(line for line in output.splitlines() if not line.startswith("ok ")))
    check(code == 0, "real answers do not match api/openapi.json")


def main():
    global server, token
    server = Server(args=["--workers", "2"]).start()
    token = server.token()
    try:
        run([test_document_and_examples_valid, test_every_registered_route_documented, test_declared_params_documented,
             test_public_documents_served,
             test_real_responses_match_schemas])
    finally:
        server.cleanup()


if __name__ == "__main__":
    main()
