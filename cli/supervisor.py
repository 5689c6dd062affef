"""The embedded platform's process supervisor (`cnt run`): the Procfile's processes, each
started again when it exits, all stopped together.

honcho stops the whole stack when one process exits, and Dramatiq's master exits when one of
its worker children dies (a SIGKILL from the OOM killer): the platform was left half-alive with
nobody to notice. Here a process that exits is started again after a short delay that grows
while it keeps failing (1 s, 2 s, 4 s ... 30 s) and starts over once it has run a while.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import IO

import msgspec

# honcho's numbering, which the Procfile's `${PORT:-...}` defaults were written against.
BASE_PORT = 5000
PORT_STEP = 100
FIRST_DELAY_S = 1.0
MAX_DELAY_S = 30.0
# A process that ran this long before exiting was healthy: its next restart is quick again.
HEALTHY_AFTER_S = 30.0
STOP_TIMEOUT_S = 20.0


class ProcessLine(msgspec.Struct, frozen=True):
    name: str
    command: str


def read_procfile(path: Path) -> list[ProcessLine]:
    """`name: command` lines; blank lines and comments are skipped."""
    lines = []
    for raw in path.read_text().splitlines():
        if not raw.strip() or raw.lstrip().startswith("#") or ":" not in raw:
            continue
        name, command = raw.split(":", 1)
        lines.append(ProcessLine(name.strip(), command.strip()))
    return lines


class _Supervised:
    """One Procfile process: its current child and how often it failed in a row."""

    def __init__(self, line: ProcessLine, env: Mapping[str, str], out: IO[str]) -> None:
        self.line = line
        self.env = dict(env)
        self.out = out
        self.child: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0
        self.delay = FIRST_DELAY_S
        self.restart_at: float | None = None

    def start(self) -> None:
        # Its own session: a stop reaches the shell and everything it started.
        self.child = subprocess.Popen(
            ["/bin/sh", "-c", self.line.command],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.started_at = time.monotonic()
        self.restart_at = None
        threading.Thread(target=self._relay, args=(self.child,), daemon=True).start()
        self._say(f"started with pid {self.child.pid}")

    def _relay(self, child: subprocess.Popen[bytes]) -> None:
        assert child.stdout is not None
        for raw in child.stdout:
            self._say(raw.decode(errors="replace").rstrip())

    def _say(self, text: str) -> None:
        self.out.write(f"{time.strftime('%H:%M:%S')} {self.line.name:<16} | {text}\n")
        self.out.flush()

    def check(self, now: float) -> None:
        """Start the process again when it has exited and its delay has passed."""
        if self.child is None:
            return
        if self.restart_at is None:
            code = self.child.poll()
            if code is None:
                return
            ran = now - self.started_at
            self.signal_group(signal.SIGKILL)  # what it left behind would run twice
            if ran >= HEALTHY_AFTER_S:
                self.delay = FIRST_DELAY_S
            self._say(f"exited with status {code}; starting it again in {self.delay:.0f} s")
            self.restart_at = now + self.delay
            self.delay = min(self.delay * 2, MAX_DELAY_S)
        elif now >= self.restart_at:
            self.start()

    def signal_group(self, signum: int) -> None:
        """Signal the child's whole group, also what outlived its shell."""
        if self.child is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.child.pid, signum)

    def wait(self, deadline: float) -> bool:
        if self.child is None:
            return True
        try:
            self.child.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            return False
        return True


class Supervisor:
    """Runs `lines`, each with its own PORT, restarting any that exits, until `stop()`."""

    def __init__(
        self, lines: list[ProcessLine], env: Mapping[str, str], out: IO[str] = sys.stdout
    ) -> None:
        self.processes = [
            _Supervised(line, {**env, "PORT": str(BASE_PORT + PORT_STEP * i)}, out)
            for i, line in enumerate(lines)
        ]
        self._stopping = threading.Event()

    def start(self) -> None:
        for process in self.processes:
            process.start()

    def watch(self, poll_s: float = 0.5) -> None:
        """Restart what exits until `stop()` is called (from a signal handler or a thread)."""
        while not self._stopping.wait(poll_s):
            now = time.monotonic()
            for process in self.processes:
                process.check(now)

    def stop(self) -> None:
        """SIGTERM every process group, wait for them, SIGKILL what is left."""
        self._stopping.set()
        for process in self.processes:
            process.signal_group(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for process in self.processes:
            if not process.wait(deadline):
                process.signal_group(signal.SIGKILL)
                process.wait(time.monotonic() + 5)
        for process in self.processes:
            process.signal_group(signal.SIGKILL)
