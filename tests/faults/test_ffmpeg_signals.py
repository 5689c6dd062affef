"""An ffmpeg killed by a signal the runner did not send (the OOM killer's SIGKILL, a SIGSEGV) is
the machine's fault, not the file's: the runner says so with a transient error, and a sermon
whose encode is killed that way is retried and still becomes ready."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pipelines.media.errors import FFmpegFailed, FFmpegKilled, StepCancelled, StepTimedOut
from pipelines.media.runner import run_ffmpeg
from settings import get_settings
from tests.conftest import Accounts, wait_for_status
from tests.jobs.conftest import job_row, make_video, upload, wait_until


def slow_encode(seconds: int = 600) -> list[str]:
    return [
        "ffmpeg", "-v", "error", "-f", "lavfi", "-i", f"testsrc2=s=640x360:r=30:d={seconds}",
        "-c:v", "libx264", "-preset", "ultrafast", "-f", "null", "-",
    ]  # fmt: skip


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def ffmpeg_under(folder: Path) -> list[int]:
    """The ffmpeg processes whose working directory is inside `folder` (read from /proc)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cwd = Path(os.readlink(f"/proc/{pid}/cwd"))
            name = Path(f"/proc/{pid}/comm").read_text().strip()
        except OSError:
            continue
        if name == "ffmpeg" and cwd.is_relative_to(folder):
            found.append(int(pid))
    return found


def _run_and_signal(tmp_path: Path, signum: int) -> BaseException:
    caught: list[BaseException] = []

    def run() -> None:
        try:
            run_ffmpeg(slow_encode(), timeout=120, cwd=tmp_path)
        except BaseException as exc:  # noqa: BLE001 - handed to the test's thread
            caught.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    pids = wait_until(lambda: ffmpeg_under(tmp_path), timeout=20, what="ffmpeg to start")
    assert isinstance(pids, list)
    os.kill(pids[0], signum)
    thread.join(timeout=30)
    assert caught, "the run ended without an error"
    return caught[0]


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGSEGV])
def test_an_ffmpeg_killed_by_a_signal_is_a_transient_failure(tmp_path: Path, signum: int) -> None:
    error = _run_and_signal(tmp_path, signum)
    assert isinstance(error, FFmpegKilled), repr(error)
    assert error.transient
    assert signal.Signals(signum).name in str(error)


def test_an_ffmpeg_that_exits_non_zero_stays_a_permanent_failure(tmp_path: Path) -> None:
    with pytest.raises(FFmpegFailed) as failed:
        run_ffmpeg(
            ["ffmpeg", "-v", "error", "-i", str(tmp_path / "missing.mp4"), "-f", "null", "-"],
            timeout=30,
            cwd=tmp_path,
        )
    assert not isinstance(failed.value, FFmpegKilled) and not failed.value.transient


@pytest.mark.parametrize(
    ("stop", "expected"),
    [
        (lambda event: {"cancel": event}, StepCancelled),
        (lambda event: {"timeout": 0.5}, StepTimedOut),
    ],
)
def test_the_runners_own_kills_keep_their_meaning(
    tmp_path: Path, stop: Callable[[threading.Event], dict[str, object]], expected: type
) -> None:
    cancel = threading.Event()
    threading.Timer(0.5, cancel.set).start()
    options: dict[str, object] = {"timeout": 60, **stop(cancel)}
    with pytest.raises(expected):
        run_ffmpeg(slow_encode(), cwd=tmp_path, **options)  # type: ignore[arg-type]
    assert ffmpeg_under(tmp_path) == []


def test_a_sermon_whose_encode_is_sigkilled_is_retried_and_becomes_ready(
    client: Any, accounts: Accounts, worker: object, media_dir: Path
) -> None:
    headers = accounts.auth(accounts.make("creator"))
    content_id = upload(client, headers, make_video(media_dir / "killed-encode.mp4", 8.0))
    work = get_settings().work_path

    def encoding() -> list[int]:
        # A job's attempts work under WORK_DIR/<job id>/: only the picture's ffmpeg is killed,
        # the longest (the loudness pass and the sound may be ending as they are found).
        job = job_row(content_id, "encode_video")
        if job is None or job.status != "running":
            return []
        return [pid for pid in ffmpeg_under(work / job.id) if b"libx264" in _cmdline(pid)]

    pids = wait_until(encoding, timeout=60, what="the encode's ffmpeg")
    assert isinstance(pids, list)
    os.kill(pids[0], signal.SIGKILL)  # what the OOM killer does

    ready = wait_for_status(client, content_id, headers, {"ready", "failed"}, timeout=120)
    assert ready["status"] == "ready", ready
    encode = job_row(content_id, "encode_video")
    assert encode.status == "succeeded" and encode.attempts == 2, encode.error
