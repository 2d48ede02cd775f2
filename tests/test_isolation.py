"""test_isolation.py: nothing from the user's home loads, no name is resolved, no packet leaves.

A Lua plugin (it writes a marker file and adds a field) and personal preferences (disabled_protos
turning DNS off, a preferences file turning TCP analysis off, a hosts file naming addresses) are
planted in the HOME of the user running the server. tshark with that HOME is the oracle that the
plants work; sharkapi with that HOME answers exactly as with an empty one, and no marker appears.
Then the server and its workers run under strace -f while captures full of DNS answers are
uploaded and every route asked: no connect() and no send to an address, no datagram socket, no
/etc/hosts read; *_host fields show numbers. (libwireshark sets up a c-ares channel in epan_init
and epan_new, which reads /etc/resolv.conf and nsswitch.conf; c-ares opens a socket only for a
query, and none is made: the socket rule proves it.)
SPDX-License-Identifier: GPL-2.0-or-later
"""
import os
import re
import shutil
import signal
import subprocess
import tempfile

import harness
from harness import check

DNS_CAPTURE = os.path.join(harness.CAPTURES_DIR, "sv-dns-udp-a-aaaa-mx.pcap")
TCP_CAPTURE = os.path.join(harness.CAPTURES_DIR, "zeek-http-bro.org.pcap")
LUA = """
local f = io.open("%(marker)s", "a")
f:write("loaded\\n")
f:close()
local p = Proto("sharkapievil", "planted")
local mark = ProtoField.string("sharkapievil.mark", "mark")
p.fields = { mark }
function p.dissector(tvb, pinfo, tree) tree:add(p, tvb()):add(mark, "planted") end
register_postdissector(p)
"""
QUERIES = [
    ("dns/lookups", {}),
    ("stats/hierarchy", {}),
    ("stats/endpoints", {"protocol": "ip"}),
    ("packets/fields", {"fields": "frame.number,ip.src,ip.src_host,ip.dst_host,tcp.analysis.initial_rtt,dns.qry.name"}),
]

work = None


def plant(home):
    """Lua plugins in every personal plugin folder, preferences, disabled_protos, hosts."""
    markers = []
    for folder in (".local/lib/wireshark/plugins", ".config/wireshark/plugins", ".wireshark/plugins",
                   ".local/lib/wireshark/plugins/4.0", ".config/wireshark"):
        path = os.path.join(home, folder)
        os.makedirs(path, exist_ok=True)
        marker = os.path.join(work, "marker-%d" % len(markers))
        markers.append(marker)
        with open(os.path.join(path, "planted.lua" if not folder.endswith("wireshark") else "init.lua"), "w") as f:
            f.write(LUA % {"marker": marker})
    for config in (".config/wireshark", ".wireshark"):
        path = os.path.join(home, config)
        os.makedirs(path, exist_ok=True)
        with open(os.path.join(path, "preferences"), "w") as f:
            f.write("tcp.analyze_sequence_numbers: FALSE\nnameres.network_name: TRUE\nnameres.dns_pkt_addr_resolution: TRUE\n")
        with open(os.path.join(path, "disabled_protos"), "w") as f:
            f.write("dns\n")
        with open(os.path.join(path, "hosts"), "w") as f:
            f.write("".join("%s planted-host-%d\n" % (a, i) for i, a in enumerate(addresses())))
    return markers


def addresses():
    out = subprocess.run(["tshark", "-r", DNS_CAPTURE, "-T", "fields", "-e", "ip.src", "-e", "ip.dst"],
                         capture_output=True, text=True, env=harness.oracle_env()).stdout
    return sorted(set(out.split()))


def tshark(home, *args):
    env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=os.path.join(home, ".config"), LC_ALL="C", TZ="UTC")
    return subprocess.run(["tshark"] + list(args), capture_output=True, text=True, env=env).stdout


class HomeServer(harness.Server):
    """A server run with a chosen HOME, optionally under strace -f."""

    def __init__(self, home, strace_log=None, args=()):
        super().__init__(args=args)
        self.home = home
        self.strace_log = strace_log

    def start(self, timeout=60):
        cmd = [os.path.join(harness.BUILD_DIR, "sharkapi"), "serve", "--listen", "127.0.0.1:0",
               "--data-dir", self.data_dir] + self.args
        if self.strace_log:
            cmd = ["strace", "-f", "-qq", "-e", "trace=%network,openat,open", "-o", self.strace_log] + cmd
        env = dict(os.environ, HOME=self.home, XDG_CONFIG_HOME=os.path.join(self.home, ".config"))
        if self.strace_log and env.get("ASAN_OPTIONS"):
            # LeakSanitizer cannot run under ptrace: it would report a fatal error at exit.
            env["ASAN_OPTIONS"] += ":detect_leaks=0"
        self.proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env)
        harness.track_server_process(self.proc)
        for line in self.proc.stderr:
            self.log.append(line)
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)/", line)
            if m:
                self.port = int(m.group(1))
                import threading
                threading.Thread(target=self._drain, daemon=True).start()
                return self
        raise RuntimeError("server did not start: " + "".join(self.log))


    def stop(self, sig=signal.SIGTERM, timeout=30):
        # Under strace, self.proc is strace: a signal to it makes strace detach and leaves the
        # server running, so the server (strace's child) gets the signal and strace follows it.
        if self.strace_log and self.proc is not None and self.proc.poll() is None:
            try:
                with open("/proc/%d/task/%d/children" % (self.proc.pid, self.proc.pid)) as f:
                    for pid in f.read().split():
                        os.kill(int(pid), sig)
            except (OSError, ProcessLookupError):
                pass
        return super().stop(sig, timeout)


def answers(server):
    token = server.token()
    result = []
    for path in (DNS_CAPTURE, TCP_CAPTURE):
        capture_id = server.upload_put(token, path).json()["id"]
        check(server.wait_ready(token, capture_id) == "ready", "analysis of %s" % path)
        for route, params in QUERIES:
            r = server.v2(token, capture_id, route, **params)
            check(r.status == 200, "%s: %d %s" % (route, r.status, r.body[:200]))
            result.append(r.json()["data"])
        r = server.v2(token, capture_id, "packets/fields", fields="sharkapievil.mark")
        check(r.status == 400, "the planted Lua field exists: %d" % r.status)
    return result


def test_planted_lua_and_preferences_have_no_effect():
    planted_home = os.path.join(work, "planted-home")
    clean_home = os.path.join(work, "clean-home")
    os.makedirs(clean_home)
    markers = plant(planted_home)
    # The oracle: tshark with the planted home does load them, so the plants are live.
    dns_clean = tshark(clean_home, "-r", DNS_CAPTURE, "-Y", "dns")
    dns_planted = tshark(planted_home, "-r", DNS_CAPTURE, "-Y", "dns")
    check(dns_clean.strip() and not dns_planted.strip(), "tshark does not honour the planted disabled_protos")
    check(any(os.path.exists(m) for m in markers), "tshark did not load any planted Lua script")
    for m in markers:
        if os.path.exists(m):
            os.unlink(m)

    servers = [HomeServer(clean_home, args=["--workers", "1"]).start(),
               HomeServer(planted_home, args=["--workers", "1"]).start()]
    try:
        clean, planted = answers(servers[0]), answers(servers[1])
    finally:
        for s in servers:
            s.cleanup()
    check(not any(os.path.exists(m) for m in markers), "sharkapi loaded a planted Lua script")
    check(clean == planted, "answers differ with the planted home")
    lookups = clean[0]["lookups"]
    check(lookups, "no DNS lookups: DNS was disabled")
    rtts = [p["fields"].get("tcp.analysis.initial_rtt") for p in clean[7]["packets"]]
    check(any(rtts), "no tcp.analysis.initial_rtt: TCP analysis was off")


def test_no_network_and_no_name_resolution():
    home = os.path.join(work, "strace-home")
    os.makedirs(home)
    log = os.path.join(work, "strace.log")
    server = HomeServer(home, strace_log=log, args=["--workers", "2"]).start()
    try:
        data = answers(server)
    finally:
        server.cleanup()
    for block in (data[3], data[7]):
        for packet in block["packets"]:
            f = packet["fields"]
            if f.get("ip.src"):
                check(f.get("ip.src_host") == f.get("ip.src"), "a name was resolved: %s" % f)
    calls = open(log).read().splitlines()
    processes = len(set(line.split()[0] for line in calls))
    problems = []
    sockets = 0
    for line in calls:
        call = line.split(None, 1)[1] if " " in line else line
        if call.startswith("socket("):
            sockets += 1
            if "SOCK_DGRAM" in call or "AF_NETLINK" in call or "AF_PACKET" in call:
                problems.append(line)
        elif call.startswith("connect("):
            problems.append(line)
        elif call.startswith(("sendto(", "sendmsg(", "sendmmsg(")) and "sin_addr" in call:
            problems.append(line)
        elif call.startswith(("bind(",)) and "127.0.0.1" not in call:
            problems.append(line)
        elif call.startswith(("openat(", "open(")) and re.search(r'"/etc/(hosts|gai\.conf)"', call):
            problems.append(line)
    print("  strace: %d processes, %d calls, %d sockets made" % (processes, len(calls), sockets))
    check(processes >= 3, "strace did not follow the workers")
    check(not problems, "network or resolver activity:\n" + "\n".join(problems[:20]))


def main():
    global work
    work = tempfile.mkdtemp(prefix="sharkapi-isolation-")
    try:
        harness.run([test_planted_lua_and_preferences_have_no_effect, test_no_network_and_no_name_resolution])
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
