"""A real PostgreSQL server for the destination tests: ``initdb`` + ``pg_ctl`` in a temp dir.

The binaries come from Debian's ``postgresql`` package (``.ci/services.sh`` installs it). Without
them the tests skip locally but FAIL under CI (``CI=true``), so a missing install never hides.
Postgres refuses to run as root: as root the cluster belongs to the ``postgres`` user.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator

import pytest


def _bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``postgresql://...`` of a fresh server on 127.0.0.1 with an empty ``mp`` database."""
    initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
    if not (initdb and pg_ctl):
        message = "PostgreSQL binaries (initdb, pg_ctl) not found: run `bash .ci/services.sh`"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    root = tmp_path_factory.mktemp("pg")
    data, port = root / "data", _free_port()
    prefix: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        os.chmod(root, 0o755)
        for parent in list(root.parents)[:-1]:  # postgres must reach its folder
            os.chmod(parent, os.stat(parent).st_mode | 0o011)
        prefix = ["runuser", "-u", "postgres", "--"]
    (root / "pw").write_text("mp\n")
    os.chmod(root / "pw", 0o644)
    subprocess.run(
        [
            *prefix,
            initdb,
            "-D",
            str(data),
            "-U",
            "mp",
            "--pwfile",
            str(root / "pw"),
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "-E",
            "UTF8",
        ],
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -c listen_addresses=127.0.0.1 -k {root} -c fsync=off"
    subprocess.run(
        [*prefix, pg_ctl, "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start"],
        check=True,
        capture_output=True,
    )
    try:
        import psycopg2

        con = psycopg2.connect(
            host="127.0.0.1", port=port, user="mp", password="mp", dbname="postgres"
        )
        con.autocommit = True
        con.cursor().execute("CREATE DATABASE mp")
        con.close()
        yield f"postgresql://mp:mp@127.0.0.1:{port}/mp"
    finally:
        subprocess.run([*prefix, pg_ctl, "-D", str(data), "-m", "fast", "stop"], check=False)
