"""The process runner: time limits, cancellation, progress, CPU figures."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from pipelines.media.errors import FFmpegFailed, StepCancelled, StepTimedOut
from pipelines.media.runner import run_ffmpeg

MARK = "cnt-runner-test"


def slow_encode(out: Path, seconds: int = 600) -> list[str]:
    """A long lavfi encode, tagged so its process can be found in /proc."""
    return [
        "ffmpeg", "-v", "error", "-f", "lavfi", "-i", f"testsrc2=s=640x360:r=30:d={seconds}",
        "-metadata", f"comment={MARK}", "-c:v", "libx264", "-preset", "ultrafast",
        "-f", "null", "-",
    ]  # fmt: skip


def running_marked() -> list[int]:
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if MARK.encode() in cmdline:
            found.append(int(pid))
    return found


def started_ffmpeg() -> list[int]:
    """The marked processes that are ffmpeg itself (not yet the setpriv or nice before it)."""
    found = []
    for pid in running_marked():
        with contextlib.suppress(OSError):
            if Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].endswith(b"ffmpeg"):
                found.append(pid)
    return found


def test_a_run_past_its_time_limit_is_killed(tmp_path):
    with pytest.raises(StepTimedOut):
        run_ffmpeg(slow_encode(tmp_path), timeout=0.5, cwd=tmp_path)
    assert running_marked() == []


def test_a_cancelled_run_is_killed_with_its_group(tmp_path):
    cancel = threading.Event()
    threading.Timer(0.5, cancel.set).start()
    with pytest.raises(StepCancelled):
        run_ffmpeg(slow_encode(tmp_path), timeout=60, cwd=tmp_path, cancel=cancel)
    assert running_marked() == []


def test_progress_rises_to_one_and_cpu_is_counted(tmp_path):
    seen: list[float] = []
    stats = run_ffmpeg(
        slow_encode(tmp_path, seconds=6), timeout=120, cwd=tmp_path, on_progress=seen.append,
        duration=6.0,
    )  # fmt: skip
    assert seen and seen[-1] == 1.0
    assert all(0 <= a <= b <= 1 for a, b in zip(seen, seen[1:], strict=False))
    assert stats.cpu_seconds > 0 and stats.media_seconds == pytest.approx(6.0, abs=0.5)


def test_a_failing_run_keeps_the_end_of_its_log(tmp_path):
    with pytest.raises(FFmpegFailed) as failed:
        missing = str(tmp_path / "missing.mp4")
        run_ffmpeg(
            ["ffmpeg", "-v", "error", "-i", missing, "-f", "null", "-"], timeout=30, cwd=tmp_path
        )
    assert "missing.mp4" in failed.value.log_tail


def test_progress_is_reported_a_few_times_a_second_at_most(tmp_path):
    calls: list[float] = []
    started = time.monotonic()
    run_ffmpeg(slow_encode(tmp_path, seconds=10), timeout=120, cwd=tmp_path,
               on_progress=lambda f: calls.append(time.monotonic()), duration=10.0)  # fmt: skip
    wall = time.monotonic() - started
    assert len(calls) <= wall * 4 + 2


class _TimeLimit(Exception):
    """Stands in for Dramatiq's TimeLimitExceeded, which lands in whatever Python code runs next."""


def test_an_exception_raised_while_watching_kills_the_process_group(tmp_path: Path) -> None:
    def explode(_: float) -> None:
        raise _TimeLimit

    with pytest.raises(_TimeLimit):
        run_ffmpeg(
            [*slow_encode(tmp_path / "x"), "-progress", "pipe:1"],
            timeout=120,
            cwd=tmp_path,
            on_progress=explode,
            duration=600,
        )
    assert running_marked() == []


def _state_and_cpu(pid: int) -> tuple[str, int]:
    """The process's state letter and its user + system CPU ticks, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return fields[0], int(fields[11]) + int(fields[12])


def test_a_held_run_is_stopped_until_the_hold_clears_then_finishes(tmp_path: Path) -> None:
    hold = threading.Event()
    hold.set()
    seen: list[tuple[str, int]] = []

    def look_then_release() -> None:
        deadline = time.monotonic() + 10
        while not running_marked() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)  # the watcher polls every 50 ms
        pid = running_marked()[0]
        seen.append(_state_and_cpu(pid))
        time.sleep(0.5)
        seen.append(_state_and_cpu(pid))
        hold.clear()

    looker = threading.Thread(target=look_then_release)
    looker.start()
    stats = run_ffmpeg(slow_encode(tmp_path, seconds=4), timeout=60, cwd=tmp_path, hold=hold)
    looker.join()
    # Stopped ("T") and using no CPU while held; continued and run to its end once released.
    assert [state for state, _ in seen] == ["T", "T"]
    assert seen[0][1] == seen[1][1]
    assert stats.media_seconds == pytest.approx(4.0, abs=0.1)
    assert running_marked() == []


def test_a_held_run_is_still_killed_when_cancelled(tmp_path: Path) -> None:
    hold, cancel = threading.Event(), threading.Event()
    hold.set()
    threading.Timer(0.5, cancel.set).start()
    with pytest.raises(StepCancelled):
        run_ffmpeg(slow_encode(tmp_path), timeout=60, cwd=tmp_path, cancel=cancel, hold=hold)
    assert running_marked() == []


def test_a_background_run_is_niced_with_its_autogroup(tmp_path: Path) -> None:
    seen: list[tuple[int, str]] = []

    def look() -> None:
        deadline = time.monotonic() + 10
        while not started_ffmpeg() and time.monotonic() < deadline:
            time.sleep(0.02)
        pid = started_ffmpeg()[0]
        nice = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])
        autogroup = (
            Path(f"/proc/{pid}/autogroup").read_text()
            if Path(f"/proc/{pid}/autogroup").exists()
            else ""
        )
        seen.append((nice, autogroup))

    looker = threading.Thread(target=look)
    looker.start()
    run_ffmpeg(slow_encode(tmp_path, seconds=2), timeout=60, cwd=tmp_path, background=True)
    looker.join()
    nice, autogroup = seen[0]
    assert nice == 10
    assert autogroup == "" or autogroup.rstrip().endswith("nice 10")


def test_a_worker_killed_outright_takes_its_ffmpeg_with_it(tmp_path: Path) -> None:
    """kill -9 of the process running a step (the OOM killer's way): its ffmpeg, in a session
    of its own, is killed with it instead of encoding on as an orphan."""
    script = (
        "import sys; from pathlib import Path; from pipelines.media.runner import run_ffmpeg; "
        "from tests.pipelines.test_runner import slow_encode; "
        "run_ffmpeg(slow_encode(Path(sys.argv[1])), timeout=600, cwd=Path(sys.argv[1]))"
    )
    worker = subprocess.Popen([sys.executable, "-c", script, str(tmp_path)])
    deadline = time.monotonic() + 20
    while not started_ffmpeg() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert started_ffmpeg(), "the encode did not start"
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    deadline = time.monotonic() + 5
    while running_marked() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert running_marked() == []
