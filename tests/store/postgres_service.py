"""A real PostgreSQL for the store's tests: Debian's server binaries, a cluster made in a
temporary folder, listening on a free loopback port, removed when the tests end.

PostgreSQL refuses to run as root, so as root the cluster belongs to Debian's
``postgres`` account; as anyone else it is their own.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from os1.cli.workers import ends_with_its_parent
from server.serving import free_port


def _binaries() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
    assert found, "PostgreSQL is missing: run `make setup` (it installs Debian's postgresql)"
    return Path(found[-1]).parent


class PostgresServer:
    def __init__(self) -> None:
        bin_dir = _binaries()
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="os1-pg-"))
        self._owner: dict[str, str] = {}
        if os.geteuid() == 0:
            self._owner = {"user": "postgres", "group": "postgres"}
            shutil.chown(self.folder, "postgres", "postgres")
        subprocess.run(
            [str(bin_dir / "initdb"), "-D", str(self.folder / "data"), "-U", "os1",
             "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=self.folder,
            **self._owner,  # type: ignore[arg-type]
        )  # fmt: skip
        self.start()

    def start(self) -> None:
        """Start the server (again, after ``pause``: same port, same data)."""
        # The server itself is the child (not a runuser around it), so it ends with the
        # tests even when they are killed: subprocess changes the user before preexec_fn.
        self.process = subprocess.Popen(
            [str(_binaries() / "postgres"), "-D", str(self.folder / "data"), "-p", str(self.port),
             "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self.folder}",
             "-c", "max_connections=200", "-c", "shared_buffers=64MB"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self.folder,
            preexec_fn=ends_with_its_parent,
            **self._owner,  # type: ignore[arg-type]
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while True:
            try:
                psycopg.connect(self.url("postgres"), connect_timeout=2).close()
                break
            except psycopg.OperationalError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("postgres did not start") from None
                time.sleep(0.1)

    def url(self, database: str) -> str:
        return f"postgresql://os1@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """The URL of a new, empty database."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def pause(self) -> None:
        """Shut the server down ("fast": every connection is cut), keeping its data."""
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self) -> None:
        self.pause()
        with contextlib.suppress(OSError):
            shutil.rmtree(self.folder)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = PostgresServer()
    yield server
    server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """A new, empty PostgreSQL database for the test."""
    return postgres_server.new_database()
