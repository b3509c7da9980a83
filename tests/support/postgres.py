"""A throwaway PostgreSQL server for tests: initdb + pg_ctl in a temporary folder, on a free
localhost port, trusted local logins, stopped (and its folder removed) afterwards.

PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user that
Debian's package creates (through `runuser`), in a folder that user owns.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

INSTALL_HINT = "PostgreSQL is not installed (sudo apt-get install postgresql)"
USER = "explorer"  # the superuser initdb creates; trusted, so no password


def bin_dir() -> Path | None:
    """The folder of initdb and pg_ctl: on PATH, else Debian's /usr/lib/postgresql/*/bin."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    return Path(versions[-1]).parent if versions else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_server_user(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", "postgres", "--", *argv]


class PostgresServer:
    """One running server; `url(database)` gives a SQLAlchemy URL for one of its databases."""

    def __init__(self, folder: Path, port: int, binaries: Path):
        self.folder, self.port, self.binaries = folder, port, binaries
        self.data = folder / "data"
        self._created = 0

    def run(self, tool: str, *args: str) -> subprocess.CompletedProcess:
        argv = _as_server_user([str(self.binaries / tool), *args])
        return subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)

    def start(self) -> None:
        made = self.run("initdb", "-D", str(self.data), "-U", USER, "--auth=trust", "-E", "UTF8")
        if made.returncode:
            raise RuntimeError(f"initdb failed:\n{made.stdout}\n{made.stderr}")
        self.resume()

    def resume(self) -> None:
        """Start the server on its folder (again, after `stop`)."""
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c full_page_writes=off -c synchronous_commit=off"
        )
        log = str(self.folder / "server.log")
        started = self.run("pg_ctl", "start", "-w", "-t", "30", "-D", str(self.data), "-l", log,
                           "-o", options)  # fmt: skip
        if started.returncode:
            raise RuntimeError(f"pg_ctl start failed:\n{started.stderr}\n{self.log()}")

    def stop(self) -> None:
        # "fast", not "immediate": with synchronous_commit off an immediate stop may lose the
        # last commits, and a test that stops and resumes the server needs them.
        self.run("pg_ctl", "stop", "-D", str(self.data), "-m", "fast", "-w")

    def log(self) -> str:
        path = self.folder / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{USER}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh, empty database; returns its URL."""
        import psycopg

        self._created += 1
        name = f"test_{os.getpid()}_{self._created}"
        with psycopg.connect(self.url().replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


@contextmanager
def running_server() -> Iterator[PostgresServer]:
    """Start a server in a fresh temporary folder; stop it and remove the folder afterwards."""
    binaries = bin_dir()
    if binaries is None:
        raise FileNotFoundError(INSTALL_HINT)
    owner = None
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            raise RuntimeError(
                "PostgreSQL will not run as root and there is no postgres user: run the tests "
                "as another user, or install Debian's postgresql package (it creates one)"
            ) from None
    folder = Path(tempfile.mkdtemp(prefix="explorer-pg-"))
    if owner is not None:
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    server = PostgresServer(folder, free_port(), binaries)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
