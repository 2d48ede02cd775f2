"""test_operations.py: /metrics and the structured log lines of a real server.

Scrapes /metrics before and after a known set of requests and jobs and checks that each counter
moved by exactly what was done (requests by route and status, the latency histogram, jobs and
passes, cache hits, worker restarts), that the metrics token is enforced when configured, and
that every log line parses in both formats (JSON objects; logfmt key=value) with one request
line per request.
SPDX-License-Identifier: GPL-2.0-or-later
"""
import json
import os
import re
import signal
import time

from harness import CAPTURES_DIR, Server, check, run, worker_pids

DNS_CAPTURE = os.path.join(CAPTURES_DIR, "sv-dns-udp-a-aaaa-mx.pcap")
OTHER_CAPTURE = os.path.join(CAPTURES_DIR, "zeek-dns-two-responses.pcap")
STATUS_ROUTE = "/api/v2/analysis/{id}/status"

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text):
    """Prometheus text -> {(name, frozenset(labels)): value}; checks the format on the way."""
    samples = {}
    types = {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            check(kind in ("counter", "gauge", "histogram"), "bad TYPE line %r" % line)
            types[name] = kind
            continue
        if line.startswith("#") or not line:
            continue
        m = SAMPLE.match(line)
        check(m is not None, "not a sample line: %r" % line)
        labels = frozenset(LABEL.findall(m.group(3) or ""))
        key = (m.group(1), labels)
        check(key not in samples, "sample twice: %r" % line)
        samples[key] = float(m.group(4))
    return samples, types


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())), 0.0)


def scrape(server, headers=None):
    response = server.request("GET", "/metrics", headers=headers)
    check(response.status == 200, "/metrics: %d" % response.status)
    check(response.header("Content-Type").startswith("text/plain; version=0.0.4"), "metrics content type")
    return parse_metrics(response.body.decode())


def check_histogram(samples, name, route):
    """Buckets are cumulative and end in +Inf == _count."""
    buckets = sorted((float(dict(labels)["le"].replace("+Inf", "inf")), v) for (n, labels), v in samples.items()
                     if n == name + "_bucket" and dict(labels).get("route") == route)
    check(len(buckets) >= 5, "histogram %s has too few buckets" % name)
    counts = [v for _, v in buckets]
    check(counts == sorted(counts), "histogram buckets not cumulative: %s" % counts)
    check(counts[-1] == value(samples, name + "_count", route=route), "+Inf bucket differs from _count")


def wait_for(predicate, timeout=180):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_counters_move_by_what_was_done():
    server = Server(args=["--workers", "2", "--log-format", "json"]).start()
    try:
        token = server.token()
        first = server.upload_put(token, DNS_CAPTURE).json()["id"]
        check(server.wait_ready(token, first) == "ready", "first analysis")
        before, types = scrape(server)
        check(types.get("sharkapi_http_requests_total") == "counter", "requests counter type")
        check(types.get("sharkapi_http_request_duration_seconds") == "histogram", "latency histogram type")
        check(types.get("sharkapi_job_queue_length") == "gauge", "queue length gauge type")

        n_status = 5
        for _ in range(n_status):
            check(server.v2(token, first, "status").status == 200, "status")
        check(server.v2(token, "0123456789ab", "status").status == 404, "unknown capture")
        for _ in range(2):
            check(server.v2("f" * 32, first, "status").status == 401, "bad token")
        wrong_method = server.request("POST", "/api/v2/analysis/%s/status" % first, headers={"Authorization": token})
        check(wrong_method.status == 405, "POST status: %d" % wrong_method.status)
        hierarchy_calls = 3
        for _ in range(hierarchy_calls):
            check(server.v2(token, first, "stats/hierarchy").status == 200, "hierarchy")
        second = server.upload_put(token, OTHER_CAPTURE).json()["id"]
        check(server.wait_ready(token, second) == "ready", "second analysis")
        check(server.v2(token, first, "packets/fields", fields="ip.src").status == 200, "fields")
        check(server.v2(token, first, "packets/fields", fields="ip.src", passes="2").status == 200, "fields 2")
        check(server.v2(token, first, "packets/fields", fields="no.such.field").status == 400, "bad field")

        after, _ = scrape(server)
        delta = lambda name, **labels: value(after, name, **labels) - value(before, name, **labels)
        req = "sharkapi_http_requests_total"
        check(delta(req, method="GET", route=STATUS_ROUTE, status="200") >= n_status,
              "status 200 counted %s" % delta(req, method="GET", route=STATUS_ROUTE, status="200"))
        # wait_ready polls status too; every poll is one more count, never one less.
        check(delta(req, method="GET", route=STATUS_ROUTE, status="404") == 1, "404 counted once")
        check(delta(req, method="GET", route=STATUS_ROUTE, status="401") == 2, "401 counted twice")
        check(delta(req, method="POST", route=STATUS_ROUTE, status="405") == 1, "405 counted under its route")
        check(delta(req, method="GET", route="/api/v2/analysis/{id}/stats/hierarchy", status="200") == hierarchy_calls,
              "hierarchy requests")
        check(delta(req, method="PUT", route="/api/v1/{token}/upload", status="200") == 1, "one upload")
        check(delta(req, method="GET", route="/metrics", status="200") == 1, "the first scrape, counted once finished")
        check(delta(req, method="GET", route="/api/v2/analysis/{id}/packets/fields", status="400") == 1, "bad field 400")
        status_total = sum(v for (n, labels), v in after.items() if n == req and dict(labels).get("route") == STATUS_ROUTE)
        check(value(after, "sharkapi_http_request_duration_seconds_count", route=STATUS_ROUTE) == status_total,
              "latency observations equal the status requests")
        check(delta("sharkapi_http_request_duration_seconds_sum", route=STATUS_ROUTE) > 0, "latency sum grew")
        check_histogram(after, "sharkapi_http_request_duration_seconds", STATUS_ROUTE)

        check(delta("sharkapi_jobs_total", job="summary", outcome="ok") == 1, "one summary job")
        check(delta("sharkapi_passes_total", job="summary") == 1, "one summary pass")
        check(delta("sharkapi_jobs_total", job="fields", outcome="ok") == 2, "two fields jobs")
        check(delta("sharkapi_passes_total", job="fields") == 3, "fields passes: 1 + 2")
        check(delta("sharkapi_jobs_total", job="fields", outcome="error") == 1, "the bad field's job")
        check(delta("sharkapi_cache_hits_total", cache="summary") == hierarchy_calls, "hierarchy from the cache")
        check(value(after, "sharkapi_job_queue_length") == 0, "idle queue")

        restarts = value(after, "sharkapi_worker_restarts_total")
        victim = worker_pids(server.proc.pid)[0]
        os.kill(victim, signal.SIGKILL)
        check(wait_for(lambda: value(scrape(server)[0], "sharkapi_worker_restarts_total") == restarts + 1),
              "a killed worker was not counted as restarted")

        server.stop()
        check_json_log(server.log, n_status)
    finally:
        server.cleanup()


def check_json_log(lines, n_status):
    events = []
    for line in lines:
        try:
            event = json.loads(line)
        except ValueError:
            raise AssertionError("log line is not JSON: %r" % line)
        check(isinstance(event, dict) and {"time", "level", "event"} <= event.keys(), "log line lacks keys: %r" % line)
        check(list(event) == sorted(event), "log keys not in alphabetical order: %r" % line)
        events.append(event)
    requests = [e for e in events if e["event"] == "request"]
    for e in requests:
        check(isinstance(e["status"], int) and isinstance(e["duration_ms"], (int, float)) and e["method"],
              "request line shape: %r" % e)
        check(not re.search(r"[0-9a-f]{32}", json.dumps(e)), "a token leaked into the log: %r" % e)
    status_ok = [e for e in requests if e["route"] == STATUS_ROUTE and e["status"] == 200]
    check(len(status_ok) >= n_status, "status request lines: %d" % len(status_ok))
    check(len([e for e in requests if e["route"] == STATUS_ROUTE and e["status"] == 401]) == 2, "401 lines")
    jobs = [e for e in events if e["event"] == "job"]
    check(any(e["job"] == "summary" and e["outcome"] == "ok" and e["passes"] == 1 for e in jobs), "summary job line")
    check(any(e["job"] == "fields" and e["outcome"] == "error" and e["status"] == 400 for e in jobs), "failed job line")
    check(any(e["event"] == "log" and e["level"] == "warning" and "died" in e["message"] for e in events),
          "the worker's death as a log event")
    check(any(e["event"] == "listening" for e in events), "listening event")


LOGFMT = re.compile(r'([a-z_]+)=("(?:[^"\\]|\\.)*"|[^ "]+)(?: |$)')


def test_text_log_and_metrics_token():
    server = Server(args=["--workers", "1", "--metrics-token", "s3cret-scrape"]).start()
    try:
        check(server.request("GET", "/metrics").status == 401, "/metrics without its token")
        check(server.request("GET", "/metrics", headers={"Authorization": "wrong"}).status == 401, "wrong token")
        scrape(server, headers={"Authorization": "Bearer s3cret-scrape"})
        scrape(server, headers={"Authorization": "s3cret-scrape"})
        check(server.request("GET", "/docs").status == 200, "/docs stays public")
        server.stop()
        for line in server.log:
            line = line.rstrip("\n")
            pairs = LOGFMT.findall(line)
            check(pairs and "".join("%s=%s " % p for p in pairs).rstrip() == line, "not logfmt: %r" % line)
            keys = [k for k, _ in pairs]
            check(keys[:3] == ["time", "level", "event"], "leading keys: %r" % line)
        requests = [dict(LOGFMT.findall(l.rstrip("\n"))) for l in server.log if " event=request " in l]
        check(len(requests) == 5, "one request line per request: %d" % len(requests))
        statuses = sorted(r["status"] for r in requests)
        check(statuses == ["200", "200", "200", "401", "401"], "statuses logged: %s" % statuses)
    finally:
        server.cleanup()



def test_numeric_settings_refuse_junk():
    """Every numeric option and config key refuses a negative, overflowing or junk value at
    start-up with a message naming it (once, --max-upload-size -1 read as 2^64-1: no limit)."""
    import subprocess
    import tempfile
    keys = ["workers", "max-upload-size", "wait-limit", "job-timeout", "idle-timeout", "queue-limit",
            "worker-memory-limit", "max-frames", "worker-recycle-rss", "result-cache-size",
            "summary-shard-min-frames"]
    sharkapi = os.path.join(os.environ.get("SHARKAPI_BUILD_DIR", "build"), "sharkapi")
    with tempfile.TemporaryDirectory(prefix="sharkapi-config-") as work:
        for key in keys:
            for value in ("-1", "18446744073709551616", "99999999999999999999999", "12abc", "", " 5", "0x10"):
                config = os.path.join(work, "sharkapi.conf")
                with open(config, "w") as f:
                    f.write("[sharkapi]\n%s=%s\n" % (key, value))
                # A key file drops the blanks around a value itself ("workers = 5" is 5).
                ways = [["--" + key, value]] + ([["--config", config]] if value.strip() == value else [])
                for args in ways:
                    # Read until it exits or listens (a server that accepted the value is stopped).
                    proc = subprocess.Popen([sharkapi, "serve", "--listen", "127.0.0.1:0", "--data-dir",
                                             os.path.join(work, "data")] + args,
                                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                    stderr = ""
                    for line in proc.stderr:
                        stderr += line
                        if "listening on" in line:
                            proc.kill()
                            break
                    code = proc.wait()
                    check(code != 0 and key in stderr and "listening on" not in stderr,
                          "%s=%r (%s) accepted: %d %s" % (key, value, args[0], code, stderr[-300:]))


if __name__ == "__main__":
    run([test_counters_move_by_what_was_done, test_text_log_and_metrics_token, test_numeric_settings_refuse_junk])
