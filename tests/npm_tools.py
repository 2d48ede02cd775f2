"""npm_tools.py: test-only tools from the npm registry, installed into the build dir on first use.

Nothing from npm is committed or needed to build: the OpenAPI test installs its validator here
(BUILD_DIR/npm-tools/node_modules) the first time it runs: the validator, Ajv, and jsdom to
render the /docs page.
SPDX-License-Identifier: GPL-2.0-or-later
"""
import os
import shutil
import subprocess

from harness import BUILD_DIR

TOOLS_DIR = os.path.join(BUILD_DIR, "npm-tools")
PACKAGES = ["@seriousme/openapi-schema-validator@^2.11.0", "ajv@^8.17.1", "jsdom@^24.1.0"]


def ensure():
    """Returns the tools dir after installing the packages that are missing."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        raise RuntimeError("node and npm are needed (scripts/install-deps.sh --test installs them)")
    wanted = [os.path.join(TOOLS_DIR, "node_modules", "@seriousme", "openapi-schema-validator"),
              os.path.join(TOOLS_DIR, "node_modules", "ajv"), os.path.join(TOOLS_DIR, "node_modules", "jsdom")]
    if not all(os.path.isdir(path) for path in wanted):
        os.makedirs(TOOLS_DIR, exist_ok=True)
        subprocess.run(["npm", "install", "--prefix", TOOLS_DIR, "--no-audit", "--no-fund", "--silent"] + PACKAGES,
                       check=True)
    return TOOLS_DIR
