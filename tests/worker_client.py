#!/usr/bin/env python3
"""worker_client.py: a tiny client for sharkapi-worker (include/worker-protocol.h).

Spawns the worker, reads its HELLO, sends requests (one JSON object per line) and collects the
frames of each answer. Python 3 standard library only.

As a program:  worker_client.py [WORKER] '{"job":"check_filter","filter":"tcp"}' ...
prints HELLO and each answer's frames. WORKER defaults to $SHARKAPI_WORKER.
SPDX-License-Identifier: GPL-2.0-or-later
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

HELLO, PROGRESS, DATA, END, ERROR = b"H", b"P", b"D", b"E", b"X"
HEADER_SIZE = 5
MAX_PAYLOAD = 16 * 1024 * 1024


class ProtocolError(Exception):
    pass


class Answer:
    """The frames answering one request."""

    def __init__(self):
        self.progress = []      # floats, in order
        self.data = bytearray()  # DATA payloads joined
        self.data_frames = 0
        self.end = None          # END object, or None
        self.error = None        # ERROR object, or None

    @property
    def ok(self):
        return self.end is not None

    def json(self):
        return json.loads(self.data.decode("utf-8"))

    def ndjson(self):
        return [json.loads(line) for line in self.data.decode("utf-8").splitlines() if line]


class WorkerClient:
    def __init__(self, worker=None, home=None):
        worker = worker or os.environ.get("SHARKAPI_WORKER")
        if not worker:
            raise ValueError("no worker: pass its path or set SHARKAPI_WORKER")
        self._home = None
        if home is None:
            self._home = tempfile.TemporaryDirectory(prefix="sharkapi-worker-home-")
            home = self._home.name
        env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=os.path.join(home, ".config"),
                   LC_ALL="C", TZ="UTC")
        self.stderr = tempfile.TemporaryFile()
        self.process = subprocess.Popen([worker], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=self.stderr, env=env)
        kind, payload = self._read_frame()
        if kind != HELLO:
            raise ProtocolError("first frame is %r, not HELLO" % kind)
        self.hello = json.loads(payload)

    def _read_exact(self, size):
        chunks = []
        while size > 0:
            chunk = self.process.stdout.read(size)
            if not chunk:
                raise ProtocolError("worker closed its output (exit %s): %s"
                                    % (self.process.poll(), self.stderr_text()[-2000:]))
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)

    def _read_frame(self):
        header = self._read_exact(HEADER_SIZE)
        kind = header[:1]
        (length,) = struct.unpack(">I", header[1:])
        if kind not in (HELLO, PROGRESS, DATA, END, ERROR) or length > MAX_PAYLOAD:
            raise ProtocolError("bad frame header %r" % header)
        return kind, self._read_exact(length)

    def request(self, obj):
        """Sends one request and returns its Answer (after END or ERROR)."""
        line = obj if isinstance(obj, str) else json.dumps(obj)
        self.process.stdin.write(line.encode("utf-8") + b"\n")
        self.process.stdin.flush()
        answer = Answer()
        while True:
            kind, payload = self._read_frame()
            if kind == PROGRESS:
                answer.progress.append(float(payload))
            elif kind == DATA:
                answer.data += payload
                answer.data_frames += 1
            elif kind == END:
                answer.end = json.loads(payload)
                return answer
            elif kind == ERROR:
                answer.error = json.loads(payload)
                return answer
            else:
                raise ProtocolError("unexpected frame %r in an answer" % kind)

    def stderr_text(self):
        self.stderr.seek(0)
        return self.stderr.read().decode("utf-8", "replace")

    def close(self):
        """Closes stdin and returns the worker's exit status."""
        if self.process.stdin:
            self.process.stdin.close()
        status = self.process.wait(timeout=60)
        self.process.stdout.close()
        self.stderr.close()
        if self._home is not None:
            self._home.cleanup()
        return status

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.process.poll() is None:
            try:
                self.close()
            except Exception:
                self.process.kill()
                self.process.wait()


def main(argv):
    args = argv[1:]
    worker = None
    if args and not args[0].lstrip().startswith("{"):
        worker = args.pop(0)
    with WorkerClient(worker) as client:
        print("HELLO", json.dumps(client.hello))
        for request in args:
            answer = client.request(request)
            if answer.progress:
                print("PROGRESS", " ".join("%.2f" % p for p in answer.progress))
            if answer.data:
                print("DATA (%d frames, %d bytes)" % (answer.data_frames, len(answer.data)))
                print(answer.data.decode("utf-8", "replace"))
            print("END" if answer.ok else "ERROR", json.dumps(answer.end if answer.ok else answer.error))
        return client.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
