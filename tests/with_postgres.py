"""with_postgres.py: runs a command with SHARKAPI_TEST_DATABASE set to an empty database of a
PostgreSQL server started for it (tests/postgres_fixture.py) and stopped after it, for the unit
tests that take it (test-store). Exits with the command's status; 77 (skipped) without
PostgreSQL's server installed.
SPDX-License-Identifier: GPL-2.0-or-later
"""
import os
import subprocess
import sys

import postgres_fixture


def main():
    if postgres_fixture.find_bin_dir() is None:
        print("PostgreSQL's server (initdb, pg_ctl) is not installed: skipped")
        return 77
    pg = postgres_fixture.Postgres().start()
    try:
        url = pg.create_database("unit")
        return subprocess.run(sys.argv[1:], env=dict(os.environ, SHARKAPI_TEST_DATABASE=url)).returncode
    finally:
        pg.cleanup()


if __name__ == "__main__":
    sys.exit(main())
