"""test_web_ui.py: the web UI at / (src/http/routes-ui.c, ui/).

HTTP checks of what the binary serves (page and assets without a token, content types,
caching headers, 304s, no stray files) and of the two v2 routes the page uses (filter/check,
tables), then the browser walk-through tests/ui/web-ui-walkthrough.mjs in headless Chromium
(Debian's /usr/bin/chromium driven by playwright-core, which this test installs from the npm
registry into the build dir; never committed): a person's session with the packet viewer. This
file uploads the walk-through's other captures through the API (the 82 k-frame one, TLS 1.3
with its key log, HTTP/2, TLS with embedded keys, bad TCP segments), makes a token without the
upload permission, and has tshark export the picked capture's HTTP objects, so that the page's
download can be compared with tshark's file. Screenshots: <build>/test-artifacts/ui/*.png.
SPDX-License-Identifier: GPL-2.0-or-later
"""
import os
import re
import json
import shutil
import subprocess
import sys
import tempfile
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from harness import BUILD_DIR, CAPTURES_DIR, Server, check, oracle_env, run  # noqa: E402
import npm_tools  # noqa: E402

SOURCE_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
UI_DIR = os.path.join(SOURCE_DIR, "ui")
PLAYWRIGHT_DIR = npm_tools.TOOLS_DIR  # node_modules/playwright-core, pinned in tests/npm
ARTIFACTS_DIR = os.path.join(os.path.abspath(BUILD_DIR), "test-artifacts", "ui")
CHROMIUM = "/usr/bin/chromium"
DROP_CAPTURE = os.path.join(CAPTURES_DIR, "zeek-wikipedia.pcap")
PICK_CAPTURE = os.path.join(CAPTURES_DIR, "zeek-http-bro.org.pcap")
WIRESHARK_CAPTURES = os.path.join(CAPTURES_DIR, "wireshark")
# The walk-through's other captures, uploaded here: the corpus's largest frame count (82,582
# frames; sv-dhcp-request-flood.pcap is the largest file but has 10,000), TLS 1.3 whose key log
# is in the corpus, HTTP/2 with several streams, TLS with its keys in the pcapng, bad TCP.
WALK_CAPTURES = {
    "large": os.path.join(CAPTURES_DIR, "zeek-echo-connections.pcap.gz"),
    "tls13": os.path.join(WIRESHARK_CAPTURES, "tls13-20-chacha20poly1305.pcap"),
    "http2": os.path.join(WIRESHARK_CAPTURES, "http2_follow_multistream.pcapng"),
    "dsb": os.path.join(WIRESHARK_CAPTURES, "tls12-dsb.pcapng"),
    "badseg": os.path.join(WIRESHARK_CAPTURES, "tcp-badsegments.pcap"),
}
TLS13_KEYS = os.path.join(WIRESHARK_CAPTURES, "tls13-20-chacha20poly1305.keys")

server = Server().start()
token = server.token()


def asset_names():
    """The files ui/sharkapi-ui.gresource.xml compiles in."""
    with open(os.path.join(UI_DIR, "sharkapi-ui.gresource.xml")) as f:
        return re.findall(r"<file>([^<]+)</file>", f.read())


def page_asset_base():
    body = server.request("GET", "/").body.decode()
    m = re.search(r'src="(/ui/[0-9a-f]{12}/)app\.js"', body)
    check(m is not None, "the page names no /ui/<build>/app.js: " + body[:300])
    return m.group(1)


def test_page_without_token():
    r = server.request("GET", "/")
    check(r.status == 200, "GET / answered %d" % r.status)
    check(r.header("Content-Type") == "text/html; charset=utf-8", "Content-Type %s" % r.header("Content-Type"))
    check(r.header("Cache-Control") == "no-cache", "the page must be revalidated: %s" % r.header("Cache-Control"))
    check("default-src 'none'" in (r.header("Content-Security-Policy") or ""), "no CSP on the page")
    check(r.header("Referrer-Policy") == "no-referrer", "the page may leak its URL in Referer")
    check(b"@BUILD@" not in r.body, "the build placeholder was not replaced")
    # Everything the page loads comes from this server: no scheme-qualified URL in it.
    check(not re.search(rb'(src|href)="(https?:)?//', r.body), "the page loads something from elsewhere")
    again = server.request("GET", "/", headers={"If-None-Match": r.header("ETag")})
    check(again.status == 304 and again.body == b"", "revalidation answered %d" % again.status)
    check(server.request("HEAD", "/").status == 200, "HEAD / failed")
    post = server.request("POST", "/", body=b"x")
    check(post.status == 405 and post.json()["status"] == 405, "POST / answered %d" % post.status)


def test_assets_served_with_types_and_long_cache():
    base = page_asset_base()
    types = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}
    for name in asset_names():
        if name == "index.html":
            continue
        r = server.request("GET", base + name)
        check(r.status == 200, "%s answered %d" % (name, r.status))
        with open(os.path.join(UI_DIR, name), "rb") as f:
            check(r.body == f.read(), "%s is not the file in ui/" % name)
        check(r.header("Content-Type") == types[os.path.splitext(name)[1]], "%s: %s" % (name, r.header("Content-Type")))
        check("immutable" in r.header("Cache-Control"), "%s: Cache-Control %s" % (name, r.header("Cache-Control")))
        check(r.header("X-Content-Type-Options") == "nosniff", "%s: no nosniff" % name)
        again = server.request("GET", base + name, headers={"If-None-Match": r.header("ETag")})
        check(again.status == 304, "%s: revalidation answered %d" % (name, again.status))
    # Only the compiled-in files, only under the current build's prefix.
    for path in (base + "index.html", base + "missing.js", base + "../app.js", "/ui/000000000000/app.js",
                 "/ui/app.js", "/ui/"):
        r = server.request("GET", path)
        check(r.status == 404 and r.json()["status"] == 404, "%s answered %d" % (path, r.status))
    # The API keeps its token: the UI's paths did not open anything else.
    check(server.request("GET", "/api/v2/tables").status == 401, "tables without a token")


def test_every_ui_module_is_compiled_in():
    """A module imported by the page but missing from the gresource would only fail in a browser."""
    listed = set(asset_names())
    for name in os.listdir(UI_DIR):
        if name.endswith((".js", ".css", ".html", ".svg")):
            check(name in listed, "ui/%s is not listed in sharkapi-ui.gresource.xml" % name)
    for name in listed:
        if name.endswith(".js"):
            with open(os.path.join(UI_DIR, name)) as f:
                for imported in re.findall(r"from '\./([^']+)'", f.read()):
                    check(imported in listed, "%s imports %s, which is not compiled in" % (name, imported))


def filter_check(text, auth=True):
    headers = {"Authorization": token} if auth else {}
    return server.request("GET", "/api/v2/filter/check?" + urllib.parse.urlencode({"filter": text}), headers=headers)


def test_filter_check_route():
    ok = filter_check("tcp.port == 80 && ip.src == 10.0.0.0/8")
    check(ok.status == 200, "valid filter answered %d" % ok.status)
    check(ok.json() == {"data": {"filter": "tcp.port == 80 && ip.src == 10.0.0.0/8", "valid": True}}, ok.body)
    check(filter_check("").json()["data"]["valid"] is True, "the empty filter is valid")
    # The error is libwireshark's, the same words packets/fields answers with.
    for bad in ("ip.src ==", "no.such.field", "tcp.port == 80 &&"):
        r = filter_check(bad)
        data = r.json()["data"]
        check(r.status == 200 and data["valid"] is False and data["error"], "%r: %s" % (bad, r.body))
        upload_id = shared_capture_id()
        fields = server.v2(token, upload_id, "packets/fields", fields="frame.number", filter=bad, limit=0)
        check(fields.status == 400, "packets/fields with %r answered %d" % (bad, fields.status))
        check(data["error"] in fields.json()["exceptions"][0],
              "%r: check says %r, packets/fields %r" % (bad, data["error"], fields.json()["exceptions"][0]))
    check(filter_check("tcp", auth=False).status == 401, "filter/check without a token")
    check(filter_check("x" * 5000).status == 400, "a 5000-character filter")
    upload_only = server.token(permissions="upload", name="upload-only")
    r = server.request("GET", "/api/v2/filter/check?filter=tcp", headers={"Authorization": upload_only})
    check(r.status == 403, "filter/check with an upload-only token answered %d" % r.status)


_capture_id = []


def shared_capture_id():
    if not _capture_id:
        r = server.upload_post(token, DROP_CAPTURE)
        check(r.status == 200, "upload answered %d" % r.status)
        _capture_id.append(r.json()["id"])
    return _capture_id[0]


def test_tables_route():
    r = server.request("GET", "/api/v2/tables", headers={"Authorization": token})
    check(r.status == 200, "tables answered %d" % r.status)
    tables = r.json()["data"]["tables"]
    filters = [t["filter"] for t in tables]
    for wanted in ("eth", "ip", "ipv6", "tcp", "udp"):
        check(wanted in filters, "%s missing from %s" % (wanted, filters))
    # Every table listed is one the endpoints route accepts, by the same name.
    capture_id = shared_capture_id()
    for table in tables:
        e = server.v2(token, capture_id, "stats/endpoints", protocol=table["filter"])
        check(e.status == 200, "endpoints?protocol=%s answered %d" % (table["filter"], e.status))
        check(e.json()["data"]["proto"] == table["name"], "%s: %s vs %s" % (table["filter"], e.json()["data"]["proto"], table["name"]))


def ensure_browser_tools():
    """Chromium and node from Debian (scripts/install-deps.sh --test), playwright-core from npm."""
    if not (os.path.exists(CHROMIUM) and shutil.which("node") and shutil.which("npm")):
        subprocess.run(["sh", os.path.join(SOURCE_DIR, "scripts", "install-deps.sh"), "--test"], check=True)
    # playwright-core comes from the committed npm lock (tests/npm), as the OpenAPI tools do.
    tools = npm_tools.ensure()
    if tools != PLAYWRIGHT_DIR:
        raise RuntimeError("npm tools in %s, expected %s" % (tools, PLAYWRIGHT_DIR))


def upload_walk_captures():
    """{name: id} of WALK_CAPTURES, uploaded now so their analyses run while the browser starts."""
    ids = {}
    for name, capture in WALK_CAPTURES.items():
        r = server.upload_post(token, capture)
        check(r.status == 200, "upload of %s answered %d" % (capture, r.status))
        ids[name] = r.json()["id"]
    return ids


def tshark_objects(capture, directory):
    """tshark's own export of a capture's HTTP objects: the files the page's downloads must equal."""
    subprocess.run(["tshark", "-n", "-r", capture, "-q", "--export-objects", "http," + directory],
                   env=oracle_env(), check=True, capture_output=True, timeout=300)
    check(len(os.listdir(directory)) > 0, "tshark exported no HTTP object from %s" % capture)


def test_browser_walkthrough():
    ensure_browser_tools()
    ids = upload_walk_captures()
    limited = server.token(permissions="analysis,info", name="no-upload")
    with tempfile.TemporaryDirectory(prefix="sharkapi-ui-objects-") as objects_dir:
        tshark_objects(PICK_CAPTURE, objects_dir)
        env = dict(os.environ, SHARKAPI_URL="http://127.0.0.1:%d/" % server.port, SHARKAPI_TOKEN=token,
                   SHARKAPI_LIMITED_TOKEN=limited, SHARKAPI_DROP_CAPTURE=DROP_CAPTURE,
                   SHARKAPI_PICK_CAPTURE=PICK_CAPTURE, SHARKAPI_CAPTURE_IDS=json.dumps(ids),
                   SHARKAPI_TLS13_KEYS=TLS13_KEYS, SHARKAPI_OBJECTS_DIR=objects_dir,
                   ARTIFACTS_DIR=ARTIFACTS_DIR, PLAYWRIGHT_DIR=PLAYWRIGHT_DIR)
        proc = subprocess.run(["node", os.path.join(SOURCE_DIR, "tests", "ui", "web-ui-walkthrough.mjs")],
                              env=env, capture_output=True, text=True, timeout=780)
    for line in proc.stdout.splitlines():
        print("  " + line, flush=True)
    if proc.stderr.strip():
        print("  stderr: " + proc.stderr.strip()[-3000:], flush=True)
    check(proc.returncode == 0, "the browser walk-through failed (exit %d)" % proc.returncode)
    check(re.search(r"^\d+ passed, 0 failed$", proc.stdout, re.M), "no closing count from the walk-through")


if __name__ == "__main__":
    try:
        run([test_page_without_token, test_assets_served_with_types_and_long_cache,
             test_every_ui_module_is_compiled_in, test_filter_check_route, test_tables_route,
             test_browser_walkthrough])
    finally:
        server.cleanup()
