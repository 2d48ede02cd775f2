"""npm_tools.py: test-only tools from the npm registry, installed into the build dir on first use.

Nothing from npm is needed to build. The tools are pinned in tests/npm: package.json names exact
versions and package-lock.json fixes every transitive package with its integrity hash; `npm ci`
installs exactly that tree into BUILD_DIR/npm-tools/node_modules (the OpenAPI validator, Ajv,
jsdom to render the /docs page, and playwright-core for the browser walk-through). A tree
installed from another lock is replaced; tests running side by side take turns (a file lock).
To move a pin: edit tests/npm/package.json, run `npm install --package-lock-only` in tests/npm,
and commit both files.
SPDX-License-Identifier: GPL-2.0-or-later
"""
import fcntl
import json
import os
import shutil
import subprocess

from harness import BUILD_DIR

LOCK_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "npm")
TOOLS_DIR = os.path.join(os.path.abspath(BUILD_DIR), "npm-tools")
FILES = ("package.json", "package-lock.json")


def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


def pinned():
    """{package: exact version} as tests/npm/package.json pins them."""
    with open(os.path.join(LOCK_DIR, "package.json")) as f:
        return json.load(f)["dependencies"]


def _installed_matches():
    """True when TOOLS_DIR holds a complete npm ci of the committed lock."""
    if any(_read(os.path.join(TOOLS_DIR, name)) != _read(os.path.join(LOCK_DIR, name)) for name in FILES):
        return False
    if not os.path.exists(os.path.join(TOOLS_DIR, "node_modules", ".package-lock.json")):
        return False
    for package, version in pinned().items():
        manifest = _read(os.path.join(TOOLS_DIR, "node_modules", package, "package.json"))
        if manifest is None or json.loads(manifest).get("version") != version:
            return False
    return True


def ensure():
    """Returns the tools dir (its node_modules as the lock says), installing it when needed."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        raise RuntimeError("node and npm are needed (scripts/install-deps.sh --test installs them)")
    os.makedirs(TOOLS_DIR, exist_ok=True)
    with open(os.path.join(TOOLS_DIR, ".install-lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _installed_matches():
            for name in FILES:
                shutil.copyfile(os.path.join(LOCK_DIR, name), os.path.join(TOOLS_DIR, name))
            subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=TOOLS_DIR, check=True)
            if not _installed_matches():
                raise RuntimeError("npm ci in %s did not install the pinned versions %s" % (TOOLS_DIR, pinned()))
    return TOOLS_DIR
