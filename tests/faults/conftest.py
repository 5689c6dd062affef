"""Dependencies this package's tests own and may stop: a private Redis (tests/jobs/test_chaos.py)
and a private PostgreSQL cluster, so an outage never reaches another test's database."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.conftest import free_port
from tests.jobs.conftest import wait_until
from tests.jobs.test_chaos import PrivateRedis

PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))), None)


class PrivatePostgres:
    """A PostgreSQL cluster of this test's own in a temporary folder, migrated, on a free port.

    PostgreSQL refuses to run as root: as root, the cluster runs as the `postgres` user."""

    def __init__(self) -> None:
        assert PG_BIN is not None
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="cnt-faults-pg-"))
        self.data = self.folder / "data"
        self.sync_url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/cnt"
        self.async_url = f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/cnt"
        os.chmod(self.folder, 0o777)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-N")

    def _run(self, program: str, *args: str) -> None:
        command = [str(PG_BIN / program), *args]  # type: ignore[operator]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.folder / "postgresql.log")  # not our pipes: run() would wait on them
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", log, "-w", "start")
        wait_until(self._answers, timeout=20, what="the private PostgreSQL to answer")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def _answers(self) -> bool:
        try:
            with psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/postgres"):
                return True
        except psycopg.OperationalError:
            return False

    def create_database(self) -> None:
        from models.migrate import upgrade

        with psycopg.connect(
            f"postgresql://postgres@127.0.0.1:{self.port}/postgres", autocommit=True
        ) as conn:
            conn.execute("CREATE DATABASE cnt")
        upgrade(self.sync_url)

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture()
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis()
    server.start()
    yield server
    server.stop()


@pytest.fixture()
def private_postgres() -> Iterator[PrivatePostgres]:
    if PG_BIN is None:
        pytest.skip("needs PostgreSQL's server programs (initdb, pg_ctl)")
    cluster = PrivatePostgres()
    cluster.start()
    cluster.create_database()
    yield cluster
    cluster.remove()
