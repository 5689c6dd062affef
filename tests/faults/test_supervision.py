"""`cnt run` supervises what it starts: a worker or the clock that dies (SIGKILL, as the OOM
killer does) is started again, the rest keeps running, and a stop leaves no process behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import RUN_ID
from tests.jobs.conftest import ROOT, wait_until

pytestmark = pytest.mark.chaos


def _processes() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, command line) for every process."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
            fields = dict(
                line.split(":\t", 1)
                for line in (entry / "status").read_text().splitlines()
                if ":\t" in line
            )
        except OSError:
            continue
        if fields.get("State", "").startswith("Z"):
            continue
        found[int(entry.name)] = (int(fields["PPid"]), cmdline)
    return found


def _descendants(root: int) -> dict[int, str]:
    table = _processes()
    found: dict[int, str] = {}
    frontier = [root]
    while frontier:
        parent = frontier.pop()
        for pid, (ppid, cmdline) in table.items():
            if ppid == parent and pid not in found:
                found[pid] = cmdline
                frontier.append(pid)
    return found


def _one(root: int, marker: str) -> int | None:
    """The pid of the one descendant running `marker` (the outermost when nested)."""
    tree = _descendants(root)
    pids = [pid for pid, cmdline in tree.items() if marker in cmdline and "sh -c" not in cmdline]
    return min(pids) if pids else None


def test_cnt_run_restarts_a_killed_clock_and_worker_and_stops_everything(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "BROKER_NAMESPACE": f"cnt-test-{RUN_ID}-supervise",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    run = subprocess.Popen(
        [sys.executable, "-c", "from cli import main; main()", "run"]
        + ["--processes", "clock,worker-io", "--no-sample"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        clock = wait_until(lambda: _one(run.pid, "cnt clock"), timeout=60, what="the clock")
        worker = wait_until(lambda: _one(run.pid, "dramatiq"), timeout=60, what="the worker")
        assert isinstance(clock, int) and isinstance(worker, int)
        os.kill(clock, signal.SIGKILL)
        # Dramatiq's own behaviour: one dead worker child takes its master down with it.
        # The master forks its children a while after it starts: wait for them.
        children = wait_until(
            lambda: [pid for pid, (ppid, _) in _processes().items() if ppid == worker],
            timeout=60,
            what="the worker's children",
        )
        assert isinstance(children, list)
        for child in children:
            os.kill(child, signal.SIGKILL)
        wait_until(
            lambda: (_one(run.pid, "cnt clock") or clock) != clock, timeout=60, what="a new clock"
        )
        wait_until(
            lambda: (_one(run.pid, "dramatiq") or worker) != worker,
            timeout=120,  # the master first stops its other children, as Dramatiq does
            what="a new worker",
        )
        assert run.poll() is None, "cnt run stopped when one of its processes died"
        started = _descendants(run.pid)
    finally:
        run.send_signal(signal.SIGINT)
        run.wait(timeout=60)
    time.sleep(0.5)
    alive = set(started) & set(_processes())
    assert alive == set(), [started[pid] for pid in alive]
