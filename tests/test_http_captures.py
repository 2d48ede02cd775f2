"""test_http_captures.py: the foundation over real HTTP: uploads of every shared capture (POST
and PUT), status and info against capinfos, byte-identical download, delete, refused and
truncated files, tokens and permissions, restarts, and a worker killed mid-job.
SPDX-License-Identifier: GPL-2.0-or-later
"""
import datetime
import http.client
import os
import signal
import subprocess
import time

import harness
from harness import check

server = None
token = None


def capinfos(path):
    out = subprocess.run(["capinfos", "-T", "-M", "-t", "-E", "-c", "-s", "-d", "-u", "-a", "-e", "-y", "-i",
                          "-z", "-x", path], capture_output=True, text=True, env=harness.oracle_env()).stdout
    lines = out.rstrip("\n").split("\n")
    return dict(zip(lines[0].split("\t"), lines[1].split("\t")))


def capinfos_epoch(text):
    return datetime.datetime.strptime(text.split(".")[0], "%Y-%m-%d %H:%M:%S").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def iso_epoch(text):
    return datetime.datetime.fromisoformat(text).timestamp()


def close(a, b, rel=1e-6):
    return abs(a - b) <= rel * max(1.0, abs(a), abs(b))


def check_capture(path, capture_id):
    ci = capinfos(path)
    frames = int(ci["Number of packets"])
    status = server.v2(token, capture_id, "status")
    check(status.status == 200, "status %d" % status.status)
    data = status.json()["data"]
    check(data["frames"] == frames, "frames %s != capinfos %s" % (data["frames"], frames))
    check(data["filesize"] == os.path.getsize(path), "filesize")
    want_duration = float(ci["Capture duration (seconds)"]) if frames >= 2 else 0
    check(abs(data["duration"] - want_duration) < 1e-6, "duration %s != %s" % (data["duration"], want_duration))
    check([c["title"] for c in data["columns"]] == ["No.", "Time", "Source", "Destination", "Protocol",
                                                      "Length", "Info"], "columns")
    check(data["analysis"]["state"] in ("queued", "running", "ready"), "analysis state")

    info = server.request("GET", "/api/v1/%s/info/%s" % (token, capture_id))
    check(info.status == 200, "info status %d" % info.status)
    i = info.json()
    check(list(i.keys()) == sorted(i.keys()), "info keys not alphabetical")
    check(all(v is not None for v in i.values()), "info has null values")
    check(i["num_packets"] == frames, "num_packets")
    check(i["size"] == os.path.getsize(path), "size")
    check(i["data_size"] == int(ci["Data size (bytes)"]), "data_size")
    check(i["duration"] == "%.6f" % want_duration, "duration %s vs %s" % (i["duration"], want_duration))
    check(i["file_type"].endswith(ci["File type"]) or ci["File type"] in i["file_type"], "file_type %s" % i["file_type"])
    check(i["truncated"] == "No", "truncated")
    for key in ("avg_packet_rate", "avg_packet_size", "data_byte_rate", "data_bit_rate"):
        check(isinstance(i[key], str), key + " must be a string")
    if frames > 0 and ci["Start time"] != "n/a":
        check(abs(iso_epoch(i["start_time"]) - int(capinfos_epoch(ci["Start time"]))) < 1.5, "start_time")
        check(abs(iso_epoch(i["end_time"]) - int(capinfos_epoch(ci["End time"]))) < 1.5, "end_time")
    rates = {"avg_packet_rate": "Average packet rate (packets/sec)", "avg_packet_size": "Average packet size (bytes)",
             "data_byte_rate": "Data byte rate (bytes/sec)", "data_bit_rate": "Data bit rate (bits/sec)"}
    for key, column in rates.items():
        want = ci[column] if ci[column] not in ("n/a", "") else "0.00"
        check(i[key] == want, "%s %s != capinfos %s" % (key, i[key], want))

    download = server.request("GET", "/api/v1/%s/download/%s" % (token, capture_id))
    check(download.status == 200, "download status")
    with open(path, "rb") as f:
        check(download.body == f.read(), "download is not byte-identical")
    check(download.header("Content-Disposition").startswith("attachment; filename="), "content-disposition")


def test_upload_every_capture_post_and_put():
    for path in harness.captures():
        name = os.path.basename(path)
        post = server.upload_post(token, path, fields={"additional_tags": "t1,t2", "comments": "hello"})
        check(post.status == 200, "%s POST: %d %s" % (name, post.status, post.body[:200]))
        body = post.json()
        check(body["filename"] == name and len(body["id"]) == 12, "%s POST answer %s" % (name, body))
        check_capture(path, body["id"])
        put = server.upload_put(token, path, filename="put-" + name)
        check(put.status == 200, "%s PUT: %d" % (name, put.status))
        check(put.json()["filename"] == "put-" + name, "PUT filename")
        check_capture(path, put.json()["id"])
        info = server.request("GET", "/api/v1/%s/info/%s" % (token, body["id"])).json()
        check(info["tag_list"] == "t1,t2" and info["comments"] == "hello", "tags/comments from form fields")
        deleted = server.request("POST", "/api/v1/%s/delete/%s" % (token, put.json()["id"]))
        check(deleted.status == 200 and deleted.json() == {"id": put.json()["id"], "message": "Capture deleted",
                                                             "status": 200}, "delete answer")
        gone = server.request("GET", "/api/v1/%s/info/%s" % (token, put.json()["id"]))
        check(gone.status == 404 and gone.json()["status"] == 404, "deleted capture still there")
        check(server.v2(token, put.json()["id"], "status").status == 404, "deleted capture has a status")


def expected_bad_frames(name):
    """The frame count tshark reads, from its output in expected/bad."""
    out = subprocess.run(["tshark", "-n", "-r", os.path.join(harness.BAD_DIR, name)], capture_output=True,
                         text=True, env=harness.oracle_env()).stdout
    return len([line for line in out.splitlines() if line.strip()])


def test_bad_files_refused_or_truncated():
    for name in ("not-a-capture.png", "not-a-capture.txt", "pcap-magic-then-garbage.pcap", "zero-bytes.pcap"):
        for upload in (server.upload_post, server.upload_put):
            before = set(os.listdir(os.path.join(server.data_dir, "captures")))
            r = upload(token, os.path.join(harness.BAD_DIR, name))
            check(r.status == 415, "%s: %d %s" % (name, r.status, r.body))
            check(r.json()["status"] == 415 and r.json()["exceptions"][0], "%s: error body" % name)
            check(set(os.listdir(os.path.join(server.data_dir, "captures"))) == before, "%s left files" % name)
            check(harness.temp_files(server.data_dir) == [], "%s left temp files" % name)
    for name in ("truncated-mid-block.pcapng", "truncated-mid-packet.pcap", "truncated-mid-record-header.pcap"):
        r = server.upload_put(token, os.path.join(harness.BAD_DIR, name))
        check(r.status == 200, "%s: %d %s" % (name, r.status, r.body))
        capture_id = r.json()["id"]
        info = server.request("GET", "/api/v1/%s/info/%s" % (token, capture_id)).json()
        check(info["truncated"] == "Yes", "%s truncated" % name)
        check(info["num_packets"] == expected_bad_frames(name), "%s frames %d" % (name, info["num_packets"]))
        status = server.v2(token, capture_id, "status").json()["data"]
        check(len(status["warnings"]) == 1 and status["warnings"][0], "%s warning" % name)
    check(server.alive(), "server died")


def test_upload_over_limit_is_413():
    # The limit comes from a --config file here, which also proves the file is read.
    config = os.path.join(server.data_dir, "small.conf")
    with open(config, "w") as f:
        f.write("[sharkapi]\nmax-upload-size=1000\nworkers=1\n")
    small = harness.Server(args=["--config", config]).start()
    try:
        t = small.token()
        big = os.path.join(harness.CAPTURES_DIR, "sv-http-aptget.pcap")
        r = small.upload_put(t, big)
        check(r.status == 413 and r.json()["status"] == 413, "PUT over limit: %d" % r.status)
        r = small.upload_post(t, big)
        check(r.status == 413, "POST over limit: %d" % r.status)
        ok = small.upload_put(t, os.path.join(harness.CAPTURES_DIR, "zeek-empty.pcap"))
        check(ok.status == 200, "small upload after a refusal: %d" % ok.status)
        check(harness.temp_files(small.data_dir) == [], "413 left temp files")
    finally:
        small.cleanup()


def test_tokens_and_permissions():
    path = os.path.join(harness.CAPTURES_DIR, "zeek-dhcp.pcap")
    capture_id = server.upload_put(token, path).json()["id"]
    r = server.request("GET", "/api/v1/%s/info/%s" % ("0" * 32, capture_id))
    check(r.status == 401 and r.json()["status"] == 401, "unknown token")
    r = server.request("GET", "/api/v1/%s/info/%s" % ("short", capture_id))
    check(r.status == 401, "malformed token")
    r = server.request("GET", "/api/v2/analysis/%s/status" % capture_id)
    check(r.status == 401, "v2 without token")
    reader = server.token("info", name="reader")  # created while the server runs
    r = server.request("GET", "/api/v1/%s/info/%s" % (reader, capture_id))
    check(r.status == 200, "token created while running: %d" % r.status)
    r = server.request("GET", "/api/v1/%s/download/%s" % (reader, capture_id))
    check(r.status == 403 and "download" in r.json()["exceptions"][0], "403 names the permission")
    r = server.v2(reader, capture_id, "status")
    check(r.status == 403 and "analysis" in r.json()["exceptions"][0], "v2 403")
    analyst = server.token("analysis")
    check(server.request("GET", "/api/v2/analysis/%s/status" % capture_id,
                         headers={"Authorization": "Bearer " + analyst}).status == 200, "Bearer accepted")
    r = server.request("GET", "/api/v1/%s/info/%s" % (token, "ffffffffffff"))
    check(r.status == 404, "unknown capture")
    for bad_id in ("ABCDEF123456", "abc", "0123456789abcd", "../../../etc/passwd"):
        r = server.request("GET", "/api/v1/%s/info/%s" % (token, bad_id))
        check(r.status == 404, "bad id %s: %d" % (bad_id, r.status))
    r = server.request("GET", "/api/v1/%s/info/..%%2F..%%2Fetc" % token)
    check(r.status in (400, 404), "encoded slash in an id: %d" % r.status)
    r = server.request("PATCH", "/api/v1/%s/info/%s" % (token, capture_id))
    check(r.status == 405 and r.json()["status"] == 405, "wrong method")
    r = server.request("GET", "/api/v2/nothing/here", headers={"Authorization": token})
    check(r.status == 404 and r.json()["status"] == 404, "unknown route")
    subprocess.run([os.path.join(harness.BUILD_DIR, "sharkapi"), "token", "revoke"]
                   + harness.store_args(server.data_dir) + ["reader"], check=True)
    r = server.request("GET", "/api/v1/%s/info/%s" % (reader, capture_id))
    check(r.status == 401, "revoked token still works")
    if server.database:
        db = repr(harness.db_query(server.data_dir, "SELECT * FROM tokens")).encode()
        check(not os.path.exists(os.path.join(server.data_dir, "sharkapi.db")), "a SQLite file beside PostgreSQL")
    else:
        db = open(os.path.join(server.data_dir, "sharkapi.db"), "rb").read()
    check(token.encode() not in db and analyst.encode() not in db, "a token is stored in clear")


def test_restart_keeps_captures_and_tokens():
    path = os.path.join(harness.CAPTURES_DIR, "zeek-dns-two-responses.pcap")
    capture_id = server.upload_put(token, path).json()["id"]
    server.wait_ready(token, capture_id)
    server.stop()
    server.start()
    info = server.request("GET", "/api/v1/%s/info/%s" % (token, capture_id))
    check(info.status == 200, "capture lost over restart")
    check(server.v2(token, capture_id, "status").json()["data"]["analysis"]["state"] == "ready",
          "analysis not ready after restart")


def open_files(pid):
    folder = "/proc/%d/fd" % pid
    files = set()
    try:
        for fd in os.listdir(folder):
            try:
                files.add(os.readlink(os.path.join(folder, fd)))
            except OSError:
                pass
    except OSError:
        pass
    return files


def test_worker_killed_mid_job_is_retried():
    path = os.path.join(harness.CAPTURES_DIR, "zeek-echo-connections.pcap.gz")
    capture_id = server.upload_put(token, path).json()["id"]
    # Kill the worker running the summary pass (the one with the capture open); the job is
    # retried on another. Killing the other workers too would be a second crash with the job.
    capture_file = os.path.realpath(os.path.join(server.data_dir, "captures", capture_id, "capture"))
    deadline = time.time() + 300
    killed = 0
    while time.time() < deadline and killed == 0:
        state = server.v2(token, capture_id, "status").json()["data"]["analysis"]["state"]
        if state == "ready":
            break
        for pid in server.all_worker_pids():  # on a cluster, any node's worker may run it
            if capture_file in open_files(pid):
                os.kill(pid, signal.SIGKILL)
                killed += 1
        time.sleep(0.05)
    check(killed > 0, "never saw the summary pass running")
    r = server.v2(token, capture_id, "stats/hierarchy")
    check(r.status == 200, "request after a worker kill: %d %s" % (r.status, r.body[:200]))
    check(r.json()["data"]["protos"], "empty hierarchy after retry")
    workers = harness.worker_pids(server.proc.pid)
    check(len(workers) >= 1, "workers not replaced")
    server_rss = harness.rss_kib(server.proc.pid)
    worker_rss = max(harness.rss_kib(pid) for pid in workers)
    print("  server RSS %d KiB, largest worker RSS %d KiB" % (server_rss, worker_rss))
    harness.check_memory(server_rss * 3 < worker_rss, "server RSS %d KiB not far below a worker's %d KiB" % (server_rss, worker_rss))


def test_job_over_time_limit_is_503_and_server_goes_on():
    slow = harness.Server(args=["--job-timeout", "1", "--workers", "1"]).start()
    try:
        t = slow.token()
        # Eight copies of the largest shared capture back to back: a pass of well over a second.
        echo = os.path.join(harness.CAPTURES_DIR, "zeek-echo-connections.pcap.gz")
        big_path = os.path.join(slow.data_dir, "big.pcap")
        subprocess.run(["mergecap", "-a", "-F", "pcap", "-w", big_path] + [echo] * 8, check=True,
                       env=harness.oracle_env())
        big = slow.upload_put(t, big_path).json()["id"]
        r = slow.v2(t, big, "stats/hierarchy")
        check(r.status == 503 and r.header("Retry-After") and "time limit" in r.json()["exceptions"][0],
              "over the time limit: %d %s" % (r.status, r.body[:200]))
        small = slow.upload_put(t, os.path.join(harness.CAPTURES_DIR, "zeek-dhcp.pcap")).json()["id"]
        # A new worker serves the next job. On a machine loaded enough that even this tiny
        # capture's pass passes the 1 s limit, it gets the same 503 (and yet another worker).
        for _ in range(10):
            r = slow.v2(t, small, "stats/hierarchy")
            if r.status != 503:
                break
        check(r.status == 200, "a new worker serves the next job: %d %s" % (r.status, r.body[:200]))
    finally:
        slow.cleanup()


def open_descriptors(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def test_connections_closed_by_clients_give_back_descriptors():
    # libsoup 3.2 forgets a keep-alive connection its client closed while idle; the server's
    # listener (http-listener.h) must take those back, or every curl call would cost a
    # descriptor for good.
    before = open_descriptors(server.proc.pid)
    for _ in range(1500):
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        conn.request("GET", "/api/v2/analysis/000000000000/status", headers={"Authorization": token})
        check(conn.getresponse().read() is not None, "no answer")
        conn.close()  # keep-alive was offered; the client leaves while the connection is idle
    deadline = time.time() + 180
    while time.time() < deadline and open_descriptors(server.proc.pid) > before + 20:
        time.sleep(0.2)
    after = open_descriptors(server.proc.pid)
    print("  descriptors: %d before 1500 connections, %d after" % (before, after))
    check(after <= before + 20, "descriptors went from %d to %d after 1500 closed connections" % (before, after))
    r = server.v2(token, "000000000000", "status")
    check(r.status == 404, "server answers after: %d" % r.status)


def main():
    global server, token
    server = harness.Server(args=["--workers", "2"]).start()
    token = server.token()
    try:
        harness.run([test_upload_every_capture_post_and_put, test_bad_files_refused_or_truncated,
                     test_upload_over_limit_is_413, test_tokens_and_permissions,
                     test_restart_keeps_captures_and_tokens, test_worker_killed_mid_job_is_retried,
                     test_job_over_time_limit_is_503_and_server_goes_on,
                     test_connections_closed_by_clients_give_back_descriptors])
    finally:
        server.cleanup()


if __name__ == "__main__":
    main()
