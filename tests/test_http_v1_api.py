"""test_http_v1_api.py: the rest of CloudShark's capture API over real HTTP: tags on upload in
every style real clients use, annotations, merge against mergecap (and editcap -d), search with
Rails-style parameters, v2 deep search against tshark -Y, permissions, and the migration of a
schema version 1 database.
SPDX-License-Identifier: GPL-2.0-or-later
"""
import concurrent.futures
import datetime
import os
import re
import shutil
import sqlite3
import struct
import subprocess
import tempfile
import time
import urllib.parse

import harness
from harness import check

server = None
token = None
CAPTURES = harness.CAPTURES_DIR

# Small captures of several link types and formats (the deep search runs each on every filter).
SEARCH_CAPTURES = ["zeek-wikipedia.pcap", "zeek-dhcp.pcap", "zeek-tls12-no-sni.pcap", "sv-dns-udp-a-aaaa-mx.pcap",
                   "zeek-linux-sll-arp.pcap", "zeek-pcapng-multi-interface.pcapng", "tcpdump-empty.pcapng"]
SEARCH_FILTERS = ["dns", "http.request", "arp", "tls.handshake.type == 1", "frame.time_delta_displayed > 1",
                  "ip.ttl < 64 && udp"]


def cap(name):
    return os.path.join(CAPTURES, name)


def v1(method, route, tok=None, body=None, headers=None):
    return server.request(method, "/api/v1/%s/%s" % (tok or token, route), body=body, headers=headers)


def form_post(route, fields, tok=None):
    return v1("POST", route, tok, body=urllib.parse.urlencode(fields),
              headers={"Content-Type": "application/x-www-form-urlencoded"})


def v2_deep(method, route, tok=None, body=None):
    headers = {"Authorization": tok or token}
    if body is not None:
        headers["Content-Type"] = "application/json"
    return server.request(method, "/api/v2/deep_search/" + route, body=body, headers=headers)


def info(capture_id, tok=None):
    r = v1("GET", "info/" + capture_id, tok)
    check(r.status == 200, "info %s: %d %s" % (capture_id, r.status, r.body))
    return r.json()


def upload(name, **params):
    r = server.upload_put(token, cap(name), **params)
    check(r.status == 200, "upload %s: %d %s" % (name, r.status, r.body))
    return r.json()["id"]


def check_error(response, status, what):
    check(response.status == status, "%s: %d, wanted %d: %s" % (what, response.status, status, response.body[:300]))
    body = response.json()
    check(body["status"] == status and isinstance(body["exceptions"], list) and body["exceptions"][0],
          "%s: error body %s" % (what, body))


def tshark_lines(args):
    out = subprocess.run(["tshark", "-n"] + args, capture_output=True, text=True, env=harness.oracle_env())
    return [line for line in out.stdout.splitlines() if line.strip()]


# ---- tags on upload ----

def test_upload_tags_in_every_client_style():
    # gist / alexcchan: form fields; StackStorm: query string on a multipart POST.
    r = server.upload_post(token, cap("zeek-dhcp.pcap"), fields={"additional_tags": " a, b,,a ", "comments": "c1"})
    check(r.status == 200, "form POST %d" % r.status)
    check(info(r.json()["id"])["tag_list"] == "a,b", "form tags normalised")
    r = server.upload_post(token, cap("zeek-dhcp.pcap"), query={"additional_tags": "stack,storm"})
    check(info(r.json()["id"])["tag_list"] == "stack,storm", "query tags on POST")
    r = server.upload_post(token, cap("zeek-dhcp.pcap"), fields={"additional_tags": "form"},
                           query={"additional_tags": "query"})
    check(info(r.json()["id"])["tag_list"] == "query,form", "query and form tags together")
    # Node client and cshark: PUT with query options.
    capture_id = upload("zeek-dhcp.pcap", additional_tags="node", filename="n.pcap", comments="from node")
    i = info(capture_id)
    check((i["tag_list"], i["filename"], i["comments"]) == ("node", "n.pcap", "from node"), "PUT query options")
    # Rapid7: tags= where additional_tags is meant, repeated.
    r = server.request("PUT", "/api/v1/%s/upload?tags=r7&tags=x%%2Cy" % token, body=open(cap("zeek-dhcp.pcap"), "rb").read())
    check(r.status == 200 and info(r.json()["id"])["tag_list"] == "r7,x,y", "tags= alias: %s" % r.body)
    # Tags are stored as rows, one per tag: search finds them exactly.
    found = v1("GET", "search?search[tags][]=x").json()
    check([c["id"] for c in found] == [r.json()["id"]], "exact tag search after tags=")
    check(v1("GET", "search?search[tags][]=X").json() == [], "tags are exact (case)")
    many = ",".join("t%d" % i for i in range(101))
    check_error(server.upload_put(token, cap("zeek-dhcp.pcap"), additional_tags=many), 400, "101 tags")


# ---- annotations ----

def test_annotations():
    capture_id = upload("zeek-dns-mdns.pcap")
    frames = info(capture_id)["num_packets"]
    check(v1("GET", "annotations/" + capture_id).json() == [], "no annotations yet")
    # curl --data frame=3 --data text=...
    r = form_post("annotations/" + capture_id, {"frame": "3", "text": "this is an annotation"})
    check(r.status == 200, "form POST %d %s" % (r.status, r.body))
    want = [{"capture_id": capture_id, "line": 3, "text": "this is an annotation", "user": "tester"}]
    check(r.json() == want, "answer %s" % r.json())
    check(list(r.json()[0].keys()) == sorted(r.json()[0].keys()), "keys alphabetical")
    # The Node client: query string, quiet=true answers 204.
    r = v1("POST", "annotations/%s?frame=7&text=%s&quiet=true" % (capture_id, urllib.parse.quote("here is another")))
    check(r.status == 204 and r.body == b"", "quiet: %d %r" % (r.status, r.body))
    r = v1("POST", "annotations/%s?frame=3&text=replaced" % capture_id)
    check([(a["line"], a["text"]) for a in r.json()] == [(3, "replaced"), (7, "here is another")], "replace %s" % r.json())
    # frame alone removes the note; GET shows the rest.
    r = form_post("annotations/" + capture_id, {"frame": "3"})
    check([a["line"] for a in r.json()] == [7], "remove %s" % r.json())
    check(v1("GET", "annotations/" + capture_id).json() == r.json(), "GET after remove")
    # A second token writes under its own name.
    other = server.token("annotate", name="other-user")
    r = v1("POST", "annotations/%s?frame=%d&text=last" % (capture_id, frames), other)
    check(r.json()[-1] == {"capture_id": capture_id, "line": frames, "text": "last", "user": "other-user"},
          "user is the token's name: %s" % r.json())
    check_error(v1("POST", "annotations/%s?frame=%d&text=x" % (capture_id, frames + 1)), 400, "frame past the end")
    check_error(v1("POST", "annotations/%s?frame=0&text=x" % capture_id), 400, "frame 0")
    check_error(v1("POST", "annotations/%s?text=x" % capture_id), 400, "no frame")
    check_error(v1("GET", "annotations/0123456789ab"), 404, "unknown capture")
    # Deleting the capture deletes its notes.
    check(v1("POST", "delete/" + capture_id).status == 200, "delete")
    left = harness.db_query(server.data_dir, "SELECT count(*) FROM annotations WHERE capture_id = ?", (capture_id,))[0][0]
    check(left == 0, "%d annotations outlived their capture" % left)


# ---- merge ----

def pcapng_after_shb(path):
    """The file's bytes after its Section Header Block (which names the writing application)."""
    with open(path, "rb") as f:
        data = f.read()
    check(data[:4] == b"\x0a\x0d\x0d\x0a", "%s is not pcapng" % path)
    order = "<" if data[8:12] == b"\x4d\x3c\x2b\x1a" else ">"
    return data[struct.unpack(order + "I", data[4:8])[0]:]


def frame_table(path):
    return tshark_lines(["-r", path, "-T", "fields", "-e", "frame.time_epoch", "-e", "frame.len", "-e",
                         "frame.cap_len", "-e", "frame.interface_id", "-e", "frame.protocols"])


def check_same_capture(ours, theirs, what):
    check(frame_table(ours) == frame_table(theirs), "%s: frames differ from the oracle's" % what)
    check(tshark_lines(["-r", ours, "-x"]) == tshark_lines(["-r", theirs, "-x"]), "%s: frame bytes differ" % what)
    check(pcapng_after_shb(ours) == pcapng_after_shb(theirs), "%s: file differs after the SHB" % what)


def download(capture_id, directory):
    r = v1("GET", "download/" + capture_id)
    check(r.status == 200, "download %d" % r.status)
    path = os.path.join(directory, capture_id + ".pcapng")
    with open(path, "wb") as f:
        f.write(r.body)
    return path


def test_merge_against_mergecap():
    work = tempfile.mkdtemp(prefix="sharkapi-merge-")
    try:
        sets = [["zeek-dns-mdns.pcap", "zeek-dhcp.pcap"],
                ["zeek-pcapng-multi-interface.pcapng", "zeek-linux-sll2.pcap", "zeek-wikipedia.pcap"],
                ["zeek-tls13-hrr.pcap", "tcpdump-empty.pcapng"]]
        for names in sets:
            ids = [upload(n, additional_tags="source") for n in names]
            r = v1("POST", "merge?capture_ids=%s&additional_tags=merged,%s" % (",".join(ids), names[0]))
            check(r.status == 200, "merge %s: %d %s" % (names, r.status, r.body))
            merged = r.json()
            check(merged["filename"] == "merged %s-%s" % (ids[0], ids[-1]), "default name %s" % merged["filename"])
            oracle = os.path.join(work, "oracle.pcapng")
            subprocess.run(["mergecap", "-w", oracle] + [cap(n) for n in names], check=True, env=harness.oracle_env())
            ours = download(merged["id"], work)
            check_same_capture(ours, oracle, "merge of %s" % names)
            i = info(merged["id"])
            check(i["num_packets"] == len(frame_table(oracle)), "num_packets")
            check(i["tag_list"] == "merged," + names[0], "tags are the given ones, not the sources': %s" % i["tag_list"])
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_merge_duplicates_and_client_styles():
    work = tempfile.mkdtemp(prefix="sharkapi-merge-")
    try:
        a = upload("zeek-tcp-retransmit-fast.pcap")
        b = upload("zeek-tcp-retransmit-fast.pcap")
        c = upload("zeek-dns-mdns.pcap")
        # Rapid7 and the Node client: duplicates=remove|keep, %2C between ids; GET for clients that can only GET.
        removed = v1("GET", "merge?capture_ids=%s%%2C%s%%2C%s&duplicates=remove&filename=dedup.pcapng" % (a, b, c))
        check(removed.status == 200 and removed.json()["filename"] == "dedup.pcapng", "GET merge %s" % removed.body)
        merged = os.path.join(work, "merged.pcapng")
        oracle = os.path.join(work, "dedup.pcapng")
        paths = [cap("zeek-tcp-retransmit-fast.pcap")] * 2 + [cap("zeek-dns-mdns.pcap")]
        subprocess.run(["mergecap", "-w", merged] + paths, check=True, env=harness.oracle_env())
        subprocess.run(["editcap", "-d", merged, oracle], check=True, capture_output=True, env=harness.oracle_env())
        check_same_capture(download(removed.json()["id"], work), oracle, "duplicates=remove")
        check(len(frame_table(oracle)) < len(frame_table(merged)), "the oracle removed nothing: a useless case")
        kept = form_post("merge", {"capture_ids": "%s,%s" % (a, b), "duplicates": "keep", "tags": "via-form"})
        check(kept.status == 200, "form merge %s" % kept.body)
        subprocess.run(["mergecap", "-w", merged] + paths[:2], check=True, env=harness.oracle_env())
        check_same_capture(download(kept.json()["id"], work), merged, "duplicates=keep")
        check(info(kept.json()["id"])["tag_list"] == "via-form", "tags= on merge")
        check_error(v1("POST", "merge?capture_ids=" + a), 400, "one capture")
        check_error(v1("POST", "merge?capture_ids=%s,0123456789ab" % a), 404, "unknown capture")
        check_error(v1("POST", "merge?capture_ids=%s,%s&duplicates=maybe" % (a, b)), 400, "bad duplicates")
        check_error(v1("POST", "merge?capture_ids=%s,%s" % (a, b), server.token("upload", name="no-info")), 403,
                    "merge without info")
        check_error(v1("POST", "merge?capture_ids=%s,%s" % (a, b), server.token("info", name="no-upload")), 403,
                    "merge without upload")
        check(harness.temp_files(server.data_dir) == [], "merge left temp files")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_annotation_caps_per_capture():
    # A capture carries at most 16 MiB of notes (and 10,000 of them): the list is answered
    # whole, so it stays bounded. 256 notes of 64 KiB fill it; the next is a 413.
    capture_id = upload("zeek-echo-connections.pcap.gz")
    note = "n" * (64 * 1024)
    for frame in range(1, 257):
        r = form_post("annotations/%s" % capture_id, {"frame": str(frame), "text": note, "quiet": "true"})
        check(r.status == 204, "note %d: %d %s" % (frame, r.status, r.body[:200]))
    check_error(form_post("annotations/" + capture_id, {"frame": "257", "text": "x"}), 413, "a note past the cap")
    # Replacing or removing a note at the cap still works, and frees room.
    r = form_post("annotations/" + capture_id, {"frame": "1", "text": "short", "quiet": "true"})
    check(r.status == 204, "replacing a note at the cap: %d" % r.status)
    r = form_post("annotations/" + capture_id, {"frame": "257", "text": "now it fits", "quiet": "true"})
    check(r.status == 204, "a note after room was freed: %d %s" % (r.status, r.body[:200]))
    listed = v1("GET", "annotations/" + capture_id).json()
    check(len(listed) == 257 and listed[0]["text"] == "short", "list after the cap: %d notes" % len(listed))


def test_merge_keeps_complete_frames_of_a_cut_capture():
    # An upload cut in the middle of a frame is stored with its complete frames; merging it
    # keeps them too (it was a 422), as editcap then mergecap would.
    work = tempfile.mkdtemp(prefix="sharkapi-merge-")
    try:
        cut = server.upload_put(token, cap("bad/truncated-mid-packet.pcap"))
        check(cut.status == 200, "upload of the cut capture: %d %s" % (cut.status, cut.body))
        other = upload("zeek-dhcp.pcap")
        r = v1("POST", "merge?capture_ids=%s,%s" % (cut.json()["id"], other))
        check(r.status == 200, "merge with a cut capture: %d %s" % (r.status, r.body))
        complete = os.path.join(work, "complete.pcap")
        subprocess.run(["editcap", cap("bad/truncated-mid-packet.pcap"), complete], capture_output=True,
                       env=harness.oracle_env())
        oracle = os.path.join(work, "oracle.pcapng")
        subprocess.run(["mergecap", "-w", oracle, complete, cap("zeek-dhcp.pcap")], check=True,
                       env=harness.oracle_env())
        check(len(frame_table(complete)) > 0, "the oracle kept no frame of the cut capture")
        check(frame_table(download(r.json()["id"], work)) == frame_table(oracle), "frames differ from the oracle's")
        check(harness.temp_files(server.data_dir) == [], "merge left temp files")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_merge_output_within_the_upload_limits():
    # A merge is an upload made by the server: its output obeys max-upload-size and max-frames,
    # counted while it is written; past either, 413 and nothing kept.
    name = "zeek-dns-mdns.pcap"
    size = os.path.getsize(cap(name))
    frames = len(frame_table(cap(name)))
    for args, what in [(["--max-upload-size", str(size * 3)], "max-upload-size"),
                       (["--max-frames", str(frames * 3)], "max-frames")]:
        limited = harness.Server(args=["--workers", "1"] + args).start()
        try:
            t = limited.token()
            ids = []
            for _ in range(4):
                r = limited.upload_put(t, cap(name))
                check(r.status == 200, "upload under %s: %d" % (what, r.status))
                ids.append(r.json()["id"])
            three = limited.request("POST", "/api/v1/%s/merge?capture_ids=%s" % (t, ",".join(ids[:3])))
            check(three.status == 200 or what == "max-upload-size",
                  "three copies fit %s: %d %s" % (what, three.status, three.body))
            four = limited.request("POST", "/api/v1/%s/merge?capture_ids=%s" % (t, ",".join(ids)))
            check(four.status == 413 and what in four.json()["exceptions"][0],
                  "four copies over %s: %d %s" % (what, four.status, four.body))
            listed = limited.request("GET", "/api/v1/%s/search" % t).json()
            want = 4 + (1 if three.status == 200 else 0)
            check(len(listed) == want, "after a refused merge: %d captures, want %d" % (len(listed), want))
            check(harness.temp_files(limited.data_dir) == [], "a refused merge left temp files")
            check(limited.alive(), "server died")
        finally:
            limited.cleanup()


# ---- search ----

def search(query, tok=None):
    r = v1("GET", "search?" + query, tok)
    check(r.status == 200, "search %s: %d %s" % (query, r.status, r.body[:300]))
    return r.json()


def capinfos_start(path):
    out = subprocess.run(["capinfos", "-T", "-r", "-S", "-a", path], capture_output=True, text=True,
                         env=harness.oracle_env()).stdout.split("\t")
    return float(out[1]) if len(out) > 1 and out[1].strip() not in ("", "n/a") else None


def test_search():
    fresh = harness.Server(args=["--workers", "1"]).start()
    global server, token
    saved = (server, token)
    server, token = fresh, fresh.token()
    try:
        uploads = {}
        for index, name in enumerate(["zeek-dhcp.pcap", "zeek-dns-mdns.pcap", "zeek-wikipedia.pcap",
                                      "zeek-tls13-hrr.pcap", "tcpdump-empty.pcapng"]):
            tags = ["all", "even" if index % 2 == 0 else "odd", "n%d" % index]
            uploads[name] = upload(name, filename=name, additional_tags=",".join(tags), comments="Comment for %s" % name)
            time.sleep(1.05)  # created_at has whole seconds: distinct values give a defined order
        names = list(uploads)
        # Bare array of info objects, newest first; each equal to the info route's object.
        everything = search("")
        check([c["id"] for c in everything] == [uploads[n] for n in reversed(names)], "default order newest first")
        for found in everything:
            i = info(found["id"])
            for key in found:
                if key not in ("viewcount", "last_accessed"):
                    check(found[key] == i[key], "search vs info: %s" % key)
        # Substrings (trigram index and the short-pattern scan), case-insensitive; tags exact, all required.
        check([c["filename"] for c in search("search[filename]=DNS-md")] == ["zeek-dns-mdns.pcap"], "filename")
        check(sorted(c["filename"] for c in search("search[filename]=ze")) == sorted(n for n in names if "ze" in n), "2 chars")
        check([c["filename"] for c in search("search%5Bcomments%5D=for+zeek-w")] == ["zeek-wikipedia.pcap"], "comments")
        check(sorted(c["filename"] for c in search("search[tags][]=even")) == sorted(names[0::2]), "one tag")
        check([c["filename"] for c in search("search[tags][]=even&search[tags][]=n2")] == [names[2]], "two tags")
        check(search("search[tags][]=eve") == [], "tags are not substrings")
        check(search("search[filename]=dhcp&search[tags][]=odd") == [], "criteria combine")
        # Sorting and paging.
        by_name = [c["filename"] for c in search("search[sort]=filename.asc")]
        check(by_name == sorted(names), "sort filename.asc %s" % by_name)
        check([c["filename"] for c in search("search[sort]=filename+desc")] == sorted(names, reverse=True), "desc")
        pages = [[c["filename"] for c in search("search[sort]=filename&search[limit]=2&search[page]=%d" % p)] for p in (1, 2, 3)]
        check(pages == [sorted(names)[0:2], sorted(names)[2:4], sorted(names)[4:]], "pages %s" % pages)
        # Date ranges on created_at and on the capture's start time (capinfos' view of it).
        created = [info(uploads[n])["created_at"] for n in names]
        check([c["filename"] for c in search("search[created_at][from]=%s&search[created_at][to]=%s" % (created[1], created[2]))]
              == [names[2], names[1]], "created_at range")
        today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
        check(len(search("search[created_at][from]=%s&search[created_at][to]=%s" % (today, today))) == len(names), "today")
        check(search("search[created_at][to]=2001-01-01") == [], "before any upload")
        starts = {n: capinfos_start(cap(n)) for n in names}
        middle = sorted(s for s in starts.values() if s is not None)[1]
        want = sorted(n for n, s in starts.items() if s is not None and s >= int(middle))
        got = sorted(c["filename"] for c in search("search[start_time][from]=%d" % int(middle)))
        check(got == want, "start_time from %s: %s != %s" % (middle, got, want))
        # Errors name the parameter; a token without info is refused.
        check_error(v1("GET", "search?search[limit]=0"), 400, "limit 0")
        check_error(v1("GET", "search?search[created_at][from]=yesterday"), 400, "bad date")
        # Bounds past the year 9999 once overflowed and matched everything: a 400 now.
        for key in ("created_at", "start_time"):
            for end in ("from", "to"):
                for value in ("253402300800", "9999999999999", "99999999999999999999", "10000-01-01"):
                    check_error(v1("GET", "search?search[%s][%s]=%s" % (key, end, value)), 400,
                                "%s %s %s" % (key, end, value))
            check(search("search[%s][from]=253402300799" % key) == [], "%s from the last second of 9999" % key)
        check_error(v1("GET", "search?search[sort]=colour"), 400, "bad sort")
        check_error(v1("GET", "search", server.token("upload", name="uploader")), 403, "search without info")
    finally:
        server, token = saved
        fresh.cleanup()


def test_search_common_and_rare_substrings_over_many_rows():
    """Past 1000 index matches search walks the sort index instead: both ways must agree."""
    data_dir = tempfile.mkdtemp(prefix="sharkapi-many-")
    many = None
    try:
        t = subprocess.run([os.path.join(harness.BUILD_DIR, "sharkapi"), "token", "create"] + harness.store_args(data_dir),
                           check=True, capture_output=True, text=True).stdout.strip()
        rows, values, params = [], [], []
        for n in range(2500):
            name = "f-%04d-%s.pcap" % (n, "Common" if n % 2 == 0 else "rare")
            created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(1700000000 + n * 60))
            rows.append((name, created, "%012x" % n))
            values.append("(?, ?, ?, ?, 1, 0, 0, 0, 0, 0, 6, 'pcap', 'Ethernet', 0, 'no file')")
            params += ["%012x" % n, name, created, created]
        # One statement (SQLite or PostgreSQL, whichever the run uses).
        harness.db_query(data_dir, "INSERT INTO captures (id, filename, created_at, last_accessed, size, num_packets, "
                         "data_size, has_times, start_time_ns, end_time_ns, time_digits, file_type, encapsulation, "
                         "truncated, analysis_failed) VALUES " + ", ".join(values), params)
        many = harness.Server(data_dir=data_dir, args=["--workers", "1"]).start()
        newest = sorted(rows, key=lambda r: r[1], reverse=True)
        for query, want in (("search[filename]=common&search[limit]=50&search[page]=3",  # 1250 matches: scan
                             [r[2] for r in newest if "common" in r[0].lower()][100:150]),
                            ("search[filename]=-12&search[limit]=1000",  # index
                             [r[2] for r in newest if "-12" in r[0]]),
                            ("search[filename]=RARE&search[sort]=filename.asc&search[limit]=20",  # scan, other order
                             sorted(r[2] for r in rows if "rare" in r[0])[:20])):
            r = many.request("GET", "/api/v1/%s/search?%s" % (t, query))
            check(r.status == 200, "%s: %d" % (query, r.status))
            check([c["id"] for c in r.json()] == want, "%s: %d ids, not the %d wanted" % (query, len(r.json()), len(want)))
    finally:
        if many is not None:
            many.cleanup()
        shutil.rmtree(data_dir, ignore_errors=True)


# ---- deep search ----

def wait_deep_search(search_id, tok=None, timeout=120):
    deadline = time.time() + timeout
    last = -1
    while time.time() < deadline:
        r = v2_deep("GET", search_id, tok)
        check(r.status == 200, "deep search status %d %s" % (r.status, r.body))
        status = r.json()
        check(list(status.keys()) == ["finished?", "hit_count", "id", "progress_percent", "searched_count"], "keys %s" % status)
        check(last <= status["progress_percent"] <= 100, "progress %s after %s" % (status["progress_percent"], last))
        last = status["progress_percent"]
        if status["finished?"]:
            return status
        time.sleep(0.1)
    raise AssertionError("deep search %s did not finish" % search_id)


def test_deep_search_against_tshark():
    ids = {name: upload(name) for name in SEARCH_CAPTURES}
    pool_bytes = sum(os.path.getsize(cap(n)) for n in SEARCH_CAPTURES)
    searches = {}
    tokens = {}
    for index, display_filter in enumerate(SEARCH_FILTERS):
        body = '{"capture_ids": [%s], "display_filter": "%s"}' % (
            ", ".join('"%s"' % ids[n] for n in SEARCH_CAPTURES), display_filter.replace('"', '\\"'))
        # All at once: a token runs at most four searches, so each filter has its own.
        tokens[display_filter] = server.token(name="deep-%d" % index)
        r = v2_deep("POST", "", tokens[display_filter], body=body)
        check(r.status == 201, "%s: %d %s" % (display_filter, r.status, r.body))
        created = r.json()
        check(list(created.keys()) == ["created_at", "id", "pool_size", "pool_size_bytes"], "keys %s" % created)
        check(re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", created["id"]),
              "UUIDv7 %s" % created["id"])
        check(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", created["created_at"]),
              "created_at %s" % created["created_at"])
        check(created["pool_size"] == len(SEARCH_CAPTURES) and created["pool_size_bytes"] == pool_bytes,
              "pool %s" % created)
        searches[display_filter] = created["id"]
    # The oracle runs while the searches do: a capture matches when tshark -Y prints a frame.
    pairs = [(f, n) for f in SEARCH_FILTERS for n in SEARCH_CAPTURES]
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        printed = dict(zip(pairs, pool.map(lambda p: bool(tshark_lines(["-r", cap(p[1]), "-Y", p[0]])), pairs)))
    matched_any = False
    for display_filter, search_id in searches.items():
        status = wait_deep_search(search_id, tokens[display_filter])
        want = {ids[n] for n in SEARCH_CAPTURES if printed[(display_filter, n)]}
        matched_any = matched_any or bool(want)
        results = v2_deep("GET", search_id + "/results", tokens[display_filter])
        check(results.status == 200, "results %d" % results.status)
        check(set(results.json()) == want and len(results.json()) == len(want),
              "%s: %s != tshark's %s" % (display_filter, sorted(results.json()), sorted(want)))
        check(status["hit_count"] == len(want) and status["searched_count"] == len(SEARCH_CAPTURES) and
              status["progress_percent"] == 100, "%s: status %s" % (display_filter, status))
    check(matched_any, "no filter matched anything: a useless case")


def test_deep_search_criteria_permissions_and_errors():
    a = upload("zeek-wikipedia.pcap", additional_tags="deep-a", filename="deep-one.pcap")
    time.sleep(1.05)
    b = upload("zeek-http-pipelined-requests.pcap", additional_tags="deep-a", filename="deep-two.pcap")
    upload("zeek-dhcp.pcap", additional_tags="deep-b")
    # criteria: the search vocabulary as JSON; results in pool order (sort).
    for sort, order in (("created_at.desc", [b, a]), ("created_at.asc", [a, b])):
        r = v2_deep("POST", "", body='{"criteria": {"tags": ["deep-a"]}, "display_filter": "http", "sort": "%s"}' % sort)
        check(r.status == 201 and r.json()["pool_size"] == 2, "criteria pool %s" % r.body)
        wait_deep_search(r.json()["id"])
        check(v2_deep("GET", r.json()["id"] + "/results").json() == order, "results in %s order" % sort)
    r = v2_deep("POST", "", body='{"criteria": {"filename": "deep-", "created_at": {"from": "2001-01-01"}}, "display_filter": "dhcp"}')
    check(r.status == 201 and r.json()["pool_size"] == 2, "filename criteria %s" % r.body)
    check(wait_deep_search(r.json()["id"])["hit_count"] == 0, "no dhcp in the http captures")
    # Unknown ids are left out of the pool; an empty pool is finished at once.
    r = v2_deep("POST", "", body='{"capture_ids": ["%s", "0123456789ab", "not-an-id"], "display_filter": "tcp"}' % a)
    check(r.json()["pool_size"] == 1, "unknown ids left out %s" % r.body)
    search_id = r.json()["id"]
    wait_deep_search(search_id)
    r = v2_deep("POST", "", body='{"capture_ids": [], "display_filter": "tcp"}')
    check(r.status == 201 and r.json()["pool_size"] == 0, "empty pool")
    check(wait_deep_search(r.json()["id"])["progress_percent"] == 100, "empty pool finished")
    # Only the creating token reads a search; analysis is required; bad input is a 400.
    other = server.token("analysis", name="another-analyst")
    check_error(v2_deep("GET", search_id, other), 404, "another token's search")
    check_error(v2_deep("GET", search_id + "/results", other), 404, "another token's results")
    check_error(v2_deep("GET", "01234567-89ab-7def-8123-456789abcdef"), 404, "unknown search")
    check_error(v2_deep("GET", "nonsense"), 404, "malformed id")
    no_analysis = server.token("upload,info,download,delete,annotate", name="no-analysis")
    check_error(v2_deep("POST", "", no_analysis, body='{"display_filter": "tcp"}'), 403, "deep search without analysis")
    check_error(v2_deep("GET", search_id, no_analysis), 403, "status without analysis")
    check_error(v2_deep("POST", "", body='{"display_filter": "tcp.port =="}'), 400, "bad filter")
    check_error(v2_deep("POST", "", body='{"display_filter": "no_such_field"}'), 400, "unknown field")
    check_error(v2_deep("POST", "", body='{"capture_ids": ["%s"]}' % a), 400, "no filter")
    check_error(v2_deep("POST", "", body='not json'), 400, "not JSON")
    check_error(v2_deep("POST", "", body='{"display_filter": "tcp", "capture_ids": "%s"}' % a), 400, "ids not an array")
    # Deep nesting once overflowed json-glib's recursive parser and killed the server (100 KB body).
    check_error(v2_deep("POST", "", body="[" * 100000), 400, "100,000 nested arrays")
    check_error(v2_deep("POST", "", body='{"display_filter": "tcp", "criteria": %s1%s}' % ('{"a":' * 65, "}" * 65)),
                400, "65 nested objects")
    nested = '{"display_filter": "tcp", "x": %s1%s, "y": "[[[[%s"}' % ("[" * 60, "]" * 60, "[" * 100)
    r = v2_deep("POST", "", body=nested)
    check(r.status == 201, "60 levels and brackets inside a string are fine: %d %s" % (r.status, r.body[:200]))
    check(server.alive(), "server died")


def test_deep_search_resumes_after_restart():
    names = ["zeek-dns-mdns.pcap", "zeek-dhcp.pcap", "sv-dns-udp-a-aaaa-mx.pcap"]
    ids = [upload(n) for n in names]
    r = v2_deep("POST", "", body='{"capture_ids": [%s], "display_filter": "dns"}' % ", ".join('"%s"' % i for i in ids))
    search_id = r.json()["id"]
    wait_deep_search(search_id)
    before = v2_deep("GET", search_id + "/results").json()
    check(before, "dns matched nothing: a useless case")
    # As if the server had stopped before any outcome was recorded.
    server.stop()
    harness.db_query(server.data_dir, "UPDATE deep_search_pool SET state = 0 WHERE search_id = ?", (search_id,))
    server.start()
    check(any("resuming deep search " + search_id in line for line in server.log), "not resumed")
    status = wait_deep_search(search_id)
    check(status["searched_count"] == len(names), "resumed status %s" % status)
    check(v2_deep("GET", search_id + "/results").json() == before, "results after the restart")


def test_permissions_annotate_and_upload_info():
    capture_id = upload("zeek-dhcp.pcap")
    uploader = server.token("upload", name="only-upload")
    reader = server.token("info", name="only-info")
    annotator = server.token("annotate", name="only-annotate")
    check_error(v1("GET", "annotations/" + capture_id, reader), 403, "annotations GET without annotate")
    check_error(v1("POST", "annotations/%s?frame=1&text=x" % capture_id, uploader), 403, "annotations POST without annotate")
    check(v1("POST", "annotations/%s?frame=1&text=x" % capture_id, annotator).status == 200, "annotate")
    r = server.upload_put(uploader, cap("zeek-dhcp.pcap"))
    check(r.status == 200, "upload with upload")
    check_error(v1("GET", "info/" + r.json()["id"], uploader), 403, "info without info")
    check(v1("GET", "info/" + r.json()["id"], reader).status == 200, "info with info")
    check(v1("GET", "search", reader).status == 200, "search with info")
    check_error(server.upload_put(reader, cap("zeek-dhcp.pcap")), 403, "upload without upload")


# ---- schema version 1 databases ----

# The version 1 schema as the foundation created it (fixture data for the migration).
SCHEMA_V1 = """
CREATE TABLE tokens (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, hash_prefix TEXT NOT NULL,
  hash TEXT NOT NULL, permissions TEXT NOT NULL, created_at TEXT NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);
CREATE INDEX tokens_hash_prefix ON tokens(hash_prefix);
CREATE TABLE captures (cap_file_id INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, filename TEXT NOT NULL,
  comments TEXT NOT NULL DEFAULT '', tag_list TEXT NOT NULL DEFAULT '', user TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL, last_accessed TEXT NOT NULL, viewcount INTEGER NOT NULL DEFAULT 0, size INTEGER NOT NULL,
  num_packets INTEGER NOT NULL, data_size INTEGER NOT NULL, has_times INTEGER NOT NULL, start_time_ns INTEGER NOT NULL,
  end_time_ns INTEGER NOT NULL, time_digits INTEGER NOT NULL, file_type TEXT NOT NULL, encapsulation TEXT NOT NULL,
  truncated INTEGER NOT NULL, warning TEXT NOT NULL DEFAULT '', analysis_failed TEXT NOT NULL DEFAULT '');
CREATE INDEX captures_created_at ON captures(created_at);
PRAGMA user_version = 1;
"""


def test_schema_version_1_is_migrated():
    if harness.STORE == "postgres":
        print("(SQLite's own upgrade from version 1: nothing to check with PostgreSQL)")
        return
    data_dir = tempfile.mkdtemp(prefix="sharkapi-v1-")
    old = None
    try:
        with sqlite3.connect(os.path.join(data_dir, "sharkapi.db")) as db:
            db.executescript(SCHEMA_V1)
            db.execute("INSERT INTO captures (id, filename, tag_list, comments, created_at, last_accessed, size, "
                       "num_packets, data_size, has_times, start_time_ns, end_time_ns, time_digits, file_type, "
                       "encapsulation, truncated) VALUES ('00000000abcd', 'old-upload.pcap', 'legacy, kept', "
                       "'from version one', '2025-01-02T03:04:05Z', '2025-01-02T03:04:05Z', 3140, 9, 2924, 1, 0, 0, 6, "
                       "'pcap', 'Ethernet', 0)")
        os.makedirs(os.path.join(data_dir, "captures", "00000000abcd"))
        shutil.copy(cap("zeek-dhcp.pcap"), os.path.join(data_dir, "captures", "00000000abcd", "capture"))
        old = harness.Server(data_dir=data_dir, args=["--workers", "1"]).start()
        t = old.token()
        with sqlite3.connect(os.path.join(data_dir, "sharkapi.db")) as db:
            check(db.execute("PRAGMA user_version").fetchone()[0] == 3, "schema not at version 3")
        r = old.request("GET", "/api/v1/%s/search?search[tags][]=kept" % t)
        check([c["id"] for c in r.json()] == ["00000000abcd"], "tags of a version 1 row: %s" % r.body)
        r = old.request("GET", "/api/v1/%s/search?search[comments]=VERSION" % t)
        check([c["id"] for c in r.json()] == ["00000000abcd"], "full-text index of a version 1 row: %s" % r.body)
        r = old.request("POST", "/api/v1/%s/annotations/00000000abcd?frame=2&text=new" % t)
        check(r.status == 200 and r.json()[0]["line"] == 2, "annotating a version 1 capture")
    finally:
        if old is not None:
            old.cleanup()
        shutil.rmtree(data_dir, ignore_errors=True)


def main():
    global server, token
    server = harness.Server(args=["--workers", "2"]).start()
    token = server.token(name="tester")
    try:
        harness.run([test_upload_tags_in_every_client_style, test_annotations, test_merge_against_mergecap,
                     test_merge_duplicates_and_client_styles, test_merge_keeps_complete_frames_of_a_cut_capture,
                     test_merge_output_within_the_upload_limits, test_annotation_caps_per_capture, test_search,
                     test_search_common_and_rare_substrings_over_many_rows, test_deep_search_against_tshark,
                     test_deep_search_criteria_permissions_and_errors, test_deep_search_resumes_after_restart,
                     test_permissions_annotate_and_upload_info,
                     test_schema_version_1_is_migrated])
    finally:
        server.cleanup()


if __name__ == "__main__":
    main()
