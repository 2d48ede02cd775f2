"""test_packaging.py: builds the Debian package with CPack and checks what is in it.

- `cpack -G DEB` in the build dir makes one .deb; its control data names the package, its
  library dependencies (dpkg-shlibdeps), the maintainer scripts and the config as a conffile;
- the file list holds the server, the worker, the man page, the config, the unit, the copyright;
- the layout is consistent: the worker path compiled into the server is the packaged worker, the
  unit starts the packaged binary with the packaged config as the user postinst creates, its
  state directory is the config's data-dir, it is hardened (systemd-analyze security rates it),
  the maintainer scripts parse, the man page renders without warnings and names every command;
- the packaged binaries run: the packaged server, with the packaged config and worker, accepts
  an upload and analyses it.
SPDX-License-Identifier: GPL-2.0-or-later
"""
import configparser
import glob
import gzip
import os
import re
import shutil
import subprocess
import tempfile

from harness import BUILD_DIR, CAPTURES_DIR, Server, check, run

work = tempfile.mkdtemp(prefix="sharkapi-package-")
deb = None
root = os.path.join(work, "root")
prefix = "/usr"


def cache_value(name):
    with open(os.path.join(BUILD_DIR, "CMakeCache.txt")) as f:
        for line in f:
            if line.startswith(name + ":"):
                return line.split("=", 1)[1].strip()
    return None


def rooted(path):
    return os.path.join(root, path.lstrip("/"))


def test_cpack_builds_the_package():
    global deb, prefix
    prefix = cache_value("CMAKE_INSTALL_PREFIX") or "/usr"
    out = subprocess.run(["cpack", "-G", "DEB", "-B", os.path.join(work, "out")], cwd=BUILD_DIR,
                         capture_output=True, text=True)
    check(out.returncode == 0, "cpack failed:\n%s%s" % (out.stdout, out.stderr))
    debs = glob.glob(os.path.join(work, "out", "*.deb"))
    check(len(debs) == 1, "expected one .deb, got %s" % debs)
    deb = debs[0]
    subprocess.run(["dpkg-deb", "-x", deb, root], check=True)


def test_control_data():
    info = subprocess.run(["dpkg-deb", "-I", deb], check=True, capture_output=True, text=True).stdout
    fields = dict(re.findall(r"^ ([A-Za-z-]+): (.*)$", info, re.M))
    check(fields.get("Package") == "sharkapi", "Package: %r" % fields.get("Package"))
    version = subprocess.run([os.path.join(BUILD_DIR, "sharkapi"), "--version"], capture_output=True,
                             text=True).stdout.split("\n")[0].split()[-1]
    check(fields.get("Version") == version, "Version %r, binary says %r" % (fields.get("Version"), version))
    depends = fields.get("Depends", "")
    for library in ("libwireshark", "libwiretap", "libsoup-3.0", "libglib2.0", "libsqlite3", "libpq5", "passwd"):
        check(library in depends, "Depends lacks %s: %s" % (library, depends))
    for script in ("postinst", "prerm", "postrm"):
        check(re.search(r"^\s+\d+ bytes,\s+\d+ lines\s+\*\s+%s\s" % script, info, re.M), "%s missing or not executable" % script)
    conffiles = subprocess.run(["dpkg-deb", "-I", deb, "conffiles"], check=True, capture_output=True, text=True).stdout
    sysconfdir = "/etc" if prefix == "/usr" else prefix + "/etc"
    check(conffiles.split() == [sysconfdir + "/sharkapi/sharkapi.conf"], "conffiles: %r" % conffiles)


def test_file_list():
    listing = subprocess.run(["dpkg-deb", "-c", deb], check=True, capture_output=True, text=True).stdout
    entries = {line.split()[-1].lstrip("."): line.split()[0] for line in listing.splitlines()}
    sysconfdir = "/etc" if prefix == "/usr" else prefix + "/etc"
    wanted = {
        prefix + "/bin/sharkapi": "-rwxr-xr-x",
        prefix + "/lib/sharkapi/sharkapi-worker": "-rwxr-xr-x",
        prefix + "/share/man/man1/sharkapi.1.gz": "-rw-r--r--",
        prefix + "/lib/systemd/system/sharkapi.service": "-rw-r--r--",
        prefix + "/share/doc/sharkapi/copyright": "-rw-r--r--",
        sysconfdir + "/sharkapi/sharkapi.conf": "-rw-r--r--",
    }
    for path, mode in wanted.items():
        check(entries.get(path) == mode, "%s: %r in the package" % (path, entries.get(path)))
    print("package files:\n  " + "\n  ".join(sorted(p for p, m in entries.items() if not m.startswith("d"))))


def unit_settings():
    unit = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    unit.optionxform = str
    with open(rooted(prefix + "/lib/systemd/system/sharkapi.service")) as f:
        unit.read_string(f.read())
    return unit


def test_layout_is_consistent():
    with open(rooted(prefix + "/bin/sharkapi"), "rb") as f:
        binary = f.read()
    worker = prefix + "/lib/sharkapi/sharkapi-worker"
    check((worker + "\0").encode() in binary, "the server does not look for its worker at %s" % worker)
    check(os.access(rooted(worker), os.X_OK), "no executable worker at %s" % worker)

    service = unit_settings()["Service"]
    exec_start = service["ExecStart"].split()
    check(exec_start[0] == prefix + "/bin/sharkapi" and exec_start[1] == "serve", "ExecStart: %r" % exec_start)
    config_path = exec_start[exec_start.index("--config") + 1]
    check(os.path.isfile(rooted(config_path)), "ExecStart names a config the package lacks: %s" % config_path)
    check(service["User"] == "sharkapi", "the unit's user")
    config = configparser.ConfigParser(interpolation=None)
    config.read(rooted(config_path))
    check(config["sharkapi"]["data-dir"] == "/var/lib/" + service["StateDirectory"], "data-dir is not the state dir")
    for key, value in {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes",
                       "PrivateTmp": "yes", "StateDirectory": "sharkapi"}.items():
        check(service.get(key) == value, "unit %s=%r" % (key, service.get(key)))
    check("AF_INET" in service.get("RestrictAddressFamilies", ""), "RestrictAddressFamilies")

    control = os.path.join(work, "control")
    subprocess.run(["dpkg-deb", "-e", deb, control], check=True)
    with open(os.path.join(control, "postinst")) as f:
        postinst = re.sub(r"\\\n\s*", " ", f.read())
    check(re.search(r"useradd .*\b%s$" % service["User"], postinst, re.M)
          and "/var/lib/" + service["StateDirectory"] in postinst,
          "postinst does not create the unit's user and data dir")
    for script in ("postinst", "prerm", "postrm"):
        check(subprocess.run(["sh", "-n", os.path.join(control, script)]).returncode == 0, "%s does not parse" % script)

    if shutil.which("systemd-analyze"):
        out = subprocess.run(["systemd-analyze", "security", "--offline=yes", "--root=" + root, "sharkapi.service"],
                             capture_output=True, text=True).stdout
        m = re.search(r"Overall exposure level for sharkapi.service: ([0-9.]+)", out)
        check(m and float(m.group(1)) <= 2.0, "systemd-analyze security: %s" % (m.group(0) if m else out[-400:]))
        print(m.group(0))


def test_man_page():
    with gzip.open(rooted(prefix + "/share/man/man1/sharkapi.1.gz"), "rt") as f:
        page = f.read()
    check(page.startswith(".\\\"") and ".TH SHARKAPI 1" in page and "@" not in page.replace("=@", ""),
          "man page header or an unreplaced @VARIABLE@")
    usage = subprocess.run([os.path.join(BUILD_DIR, "sharkapi"), "--help"], capture_output=True, text=True).stdout
    commands = re.findall(r"^  ([a-z]+(?: [a-z]+)?)\b", usage, re.M)
    for command in commands:
        name = command.split()[0]
        check(re.search(r"^\.B(?:R|I)? sharkapi %s" % name, page, re.M), "man page lacks %s" % name)
    if shutil.which("groff"):
        out = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z"], input=page, capture_output=True, text=True)
        check(out.returncode == 0 and out.stderr == "", "groff warnings: %s" % out.stderr)


def test_packaged_server_runs():
    """The packaged server with the packaged config (data-dir and listen overridden) and worker."""
    config = rooted(("/etc" if prefix == "/usr" else prefix + "/etc") + "/sharkapi/sharkapi.conf")
    server = Server(args=["--config", config, "--worker-path", rooted(prefix + "/lib/sharkapi/sharkapi-worker"),
                          "--workers", "1"])
    import harness
    saved = harness.BUILD_DIR
    harness.BUILD_DIR = rooted(prefix + "/bin")
    try:
        server.start()
        token = server.token()
        capture_id = server.upload_put(token, os.path.join(CAPTURES_DIR, "sv-dns-udp-a-aaaa-mx.pcap")).json()["id"]
        check(server.wait_ready(token, capture_id) == "ready", "the packaged worker did not analyse the capture")
        check(server.request("GET", "/docs").status == 200, "/docs")
    finally:
        harness.BUILD_DIR = saved
        server.cleanup()


if __name__ == "__main__":
    try:
        run([test_cpack_builds_the_package, test_control_data, test_file_list, test_layout_is_consistent,
             test_man_page, test_packaged_server_runs])
    finally:
        shutil.rmtree(work, ignore_errors=True)
