"""postgres_fixture.py: a real PostgreSQL server for the tests, in a temporary directory.

initdb and pg_ctl (Debian's postgresql package, /usr/lib/postgresql/<version>/bin) make a cluster
in a fresh directory that listens only on a Unix socket in that directory (listen_addresses=''),
so nothing is reachable from the network and nothing clashes with another test's server.
Readiness is awaited by polling pg_isready, never by sleeping a fixed time. As root, the cluster
runs as the postgres user (PostgreSQL refuses to run as root). Durability settings are off: the
data is thrown away with the directory.
SPDX-License-Identifier: GPL-2.0-or-later
"""
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time

SUPERUSER = "sharkapi"


def find_bin_dir():
    """The newest installed server's bin dir, or None when PostgreSQL is not installed."""
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.path.exists(os.path.join(candidate, "initdb")):
            return candidate
    found = shutil.which("initdb")
    return os.path.dirname(found) if found else None


def literal(value):
    """A value as an SQL literal (for psql, which takes no bound parameters here)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def bind(sql, params):
    """'... ? ...' with params -> literal SQL; ? inside quotes is left alone."""
    out, quote, values = [], None, list(params or ())
    for ch in sql:
        if quote:
            if ch == quote:
                quote = None
            out.append(ch)
        elif ch in "'\"":
            quote = ch
            out.append(ch)
        elif ch == "?":
            out.append(literal(values.pop(0)))
        else:
            out.append(ch)
    if values:
        raise ValueError("more parameters than placeholders")
    return "".join(out)


class Postgres:
    def __init__(self):
        self.bin_dir = find_bin_dir()
        if self.bin_dir is None:
            raise RuntimeError("PostgreSQL server binaries not found (install the postgresql package)")
        self.dir = tempfile.mkdtemp(prefix="sharkapi-pg-")
        self.data = os.path.join(self.dir, "data")
        self.log_path = os.path.join(self.dir, "server.log")
        self.run_as = None
        if os.geteuid() == 0:
            name = "postgres"
            try:
                pwd.getpwnam(name)
            except KeyError:
                name = "nobody"
            self.run_as = name
            entry = pwd.getpwnam(name)
            os.chown(self.dir, entry.pw_uid, entry.pw_gid)
        os.chmod(self.dir, 0o755)
        self.databases = 0
        self._init()

    def _command(self, program, *args):
        cmd = [os.path.join(self.bin_dir, program)] + list(args)
        if self.run_as:
            cmd = ["runuser", "-u", self.run_as, "--"] + cmd
        return cmd

    def _init(self):
        subprocess.run(self._command("initdb", "-D", self.data, "-U", SUPERUSER, "--auth=trust",
                                     "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"),
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        with open(os.path.join(self.data, "postgresql.conf"), "a") as conf:
            conf.write("listen_addresses = ''\n"
                       "unix_socket_directories = '%s'\n"
                       "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                       "max_connections = 200\nshared_buffers = 32MB\n" % self.dir)

    @property
    def host(self):
        return self.dir

    def start(self, timeout=60):
        # -W: pg_ctl returns at once; readiness is polled below.
        subprocess.run(self._command("pg_ctl", "-D", self.data, "-l", self.log_path, "-W", "start"),
                       check=True, stdout=subprocess.DEVNULL)
        deadline = time.time() + timeout
        while time.time() < deadline:
            ready = subprocess.run([os.path.join(self.bin_dir, "pg_isready"), "-q", "-h", self.dir,
                                    "-U", SUPERUSER, "-d", "postgres", "-t", "2"])
            if ready.returncode == 0:
                return self
            time.sleep(0.05)
        raise RuntimeError("PostgreSQL did not become ready:\n" + self.log())

    def stop(self, mode="fast"):
        """Stops the server (pg_ctl waits until it is down)."""
        subprocess.run(self._command("pg_ctl", "-D", self.data, "-m", mode, "-w", "stop"),
                       check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def is_running(self):
        return subprocess.run(self._command("pg_ctl", "-D", self.data, "status"),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0

    def cleanup(self):
        self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)

    def log(self):
        try:
            with open(self.log_path) as f:
                return f.read()
        except OSError:
            return ""

    def url(self, dbname):
        return "postgresql://%s@/%s?host=%s" % (SUPERUSER, dbname, self.dir)

    def create_database(self, prefix="sharkapi"):
        """A new empty database; returns its URL."""
        self.databases += 1
        name = "%s_%d_%d" % (prefix, os.getpid(), self.databases)
        self.query(self.url("postgres"), "CREATE DATABASE %s" % name)
        return self.url(name)

    def query(self, url, sql, params=None):
        """Runs SQL through psql; returns the rows as lists of strings (NULL as '')."""
        # On stdin: a statement may be longer than an argument may be.
        result = subprocess.run([os.path.join(self.bin_dir, "psql"), "-X", "-q", "-A", "-t", "-F", "\x1f",
                                 "-v", "ON_ERROR_STOP=1", "-d", url, "-f", "-"],
                                input=bind(sql, params), check=True, capture_output=True, text=True)
        return [line.split("\x1f") for line in result.stdout.splitlines() if line != ""]
