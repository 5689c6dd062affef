"""The one place an ffmpeg or ffprobe process is started, watched, timed out and killed.

Every process runs in its own session (so a kill reaches its children), in the step's work
folder, with stdin closed. Its CPU time is read from `wait4` for that one child, which stays right
when several steps run processes in parallel threads of one worker (RUSAGE_CHILDREN would not).
"""

from __future__ import annotations

import collections
import contextlib
import os
import resource
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Protocol

import msgspec

from pipelines.media.errors import FFmpegFailed, FFmpegKilled, StepCancelled, StepTimedOut

__all__ = [
    "RunStats",
    "Cancel",
    "AnyCancel",
    "Hold",
    "run_ffmpeg",
    "run_ffprobe",
    "run_parallel",
]

FFMPEG = os.environ.get("CNT_FFMPEG", "ffmpeg")
FFPROBE = os.environ.get("CNT_FFPROBE", "ffprobe")
# Progress reaches the job row and an event channel; four updates a second is plenty.
PROGRESS_INTERVAL_S = 0.25
POLL_S = 0.05
TAIL_LINES = 40
# A process that must not slow the one a listener waits for (the sound beside the picture):
# nice 10 weighs a tenth of a normal process.
BACKGROUND_NICE = 10
# Each process is in its own session, so a worker killed outright (kill -9, the OOM killer) left
# its encodes running as orphans beside the retried attempt, and one stopped by a `hold` would
# wait for ever. Started through setpriv (util-linux), each is killed when the thread that
# started it dies; the retry's own sweep of the attempt's folder stays as the fallback.
DIES_WITH_WORKER = ["setpriv", "--pdeathsig", "KILL"] if shutil.which("setpriv") else []


class RunStats(msgspec.Struct, kw_only=True):
    cpu_seconds: float
    wall_seconds: float
    stderr_tail: str = ""
    stdout: bytes = b""
    # The last output time ffmpeg reported: how much media the run actually produced.
    media_seconds: float = 0.0


class Cancel(Protocol):
    def is_set(self) -> bool: ...


class Hold(Protocol):
    """Set while a process must wait its turn: it is stopped, and continued once cleared."""

    def is_set(self) -> bool: ...


class AnyCancel:
    """Set when any of its events is: a step's cancel, or a sibling process that failed."""

    def __init__(self, *events: Cancel) -> None:
        self.events = events

    def is_set(self) -> bool:
        return any(event.is_set() for event in self.events)


class _Progress:
    """Reads ffmpeg's `-progress pipe:1` key=value blocks; keeps the latest media time."""

    def __init__(self) -> None:
        self.out_time_s = 0.0
        self.ended = False

    def feed(self, stream: IO[bytes]) -> None:
        for raw in stream:
            key, _, value = raw.decode(errors="replace").strip().partition("=")
            if key == "out_time_us" and value.strip().lstrip("-").isdigit():
                self.out_time_s = max(self.out_time_s, int(value) / 1e6)
            elif key == "progress" and value == "end":
                self.ended = True


def _drain(
    stream: IO[bytes],
    tail: collections.deque[str],
    sink: list[bytes] | None,
    log: IO[bytes] | None = None,
) -> None:
    """Drain a pipe in a thread: an undrained stderr fills and deadlocks ffmpeg."""
    for raw in stream:
        if sink is not None:
            sink.append(raw)
            continue
        if log is not None:
            log.write(raw)
        tail.append(raw.decode(errors="replace").rstrip())


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


def _run(
    cmd: Sequence[str],
    *,
    timeout: float,
    cwd: Path,
    cancel: Cancel | None,
    on_progress: Callable[[float], None] | None,
    duration: float | None,
    capture_stdout: bool,
    stderr_path: Path | None = None,
    background: bool = False,
    hold: Hold | None = None,
) -> RunStats:
    cwd.mkdir(parents=True, exist_ok=True)
    log = open(stderr_path, "wb") if stderr_path is not None else None  # noqa: SIM115
    started = time.monotonic()
    # `nice` (coreutils) sets the priority before ffmpeg starts its threads, which inherit it.
    niced = ["nice", "-n", str(BACKGROUND_NICE)] if background else []
    proc = subprocess.Popen(
        [*DIES_WITH_WORKER, *niced, *cmd],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        env={**os.environ, "AV_LOG_FORCE_NOCOLOR": "1"},
    )
    assert proc.stdout is not None and proc.stderr is not None
    if background:
        _lower_autogroup(proc.pid)
    tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)
    out: list[bytes] = []
    progress = _Progress()
    readers = [threading.Thread(target=_drain, args=(proc.stderr, tail, None, log), daemon=True)]
    if capture_stdout:
        readers.append(threading.Thread(target=_drain, args=(proc.stdout, tail, out), daemon=True))
    else:
        readers.append(threading.Thread(target=progress.feed, args=(proc.stdout,), daemon=True))
    for reader in readers:
        reader.start()
    try:
        status, usage = _watch(
            proc, started, timeout, cancel, progress, on_progress, duration, hold, Path(cmd[0]).name
        )
    except BaseException:
        # Dramatiq's TimeLimitExceeded and Shutdown arrive asynchronously in this thread: the
        # process group must not outlive the step that owned it.
        _kill_group(proc)
        with contextlib.suppress(ChildProcessError):
            os.wait4(proc.pid, 0)
        raise
    finally:
        for reader in readers:
            reader.join(timeout=5)
        if log is not None:
            log.close()
    cpu = usage.ru_utime + usage.ru_stime
    stats = RunStats(
        cpu_seconds=cpu,
        wall_seconds=time.monotonic() - started,
        stderr_tail="\n".join(tail),
        stdout=b"".join(out),
        media_seconds=progress.out_time_s,
    )
    _raise_for_status(Path(cmd[0]).name, status, stats.stderr_tail)
    if on_progress is not None:
        on_progress(1.0)
    return stats


def _lower_autogroup(pid: int) -> None:
    """With the kernel's autogroups on (the usual default), each session shares the CPU as one
    group whatever its processes' nice values, and every process here has its own session: the
    group's own nice is what weighs. A kernel without them has no such file."""
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/autogroup").write_text(str(BACKGROUND_NICE))


def _raise_for_status(name: str, status: int, log_tail: str) -> None:
    """A signal death here is one this runner did not send (its own kills for a cancel or a
    time limit raise before the status is read): the OOM killer, a crash. That is the machine's
    doing, not the file's, so it is transient; a non-zero exit is ffmpeg refusing the media."""
    if os.WIFSIGNALED(status):
        killer = signal.Signals(os.WTERMSIG(status)).name
        raise FFmpegKilled(f"{name} was killed by {killer}", log_tail=log_tail)
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise FFmpegFailed(f"{name} exited with status {code}", log_tail=log_tail)


def _watch(
    proc: subprocess.Popen[bytes],
    started: float,
    timeout: float,
    cancel: Cancel | None,
    progress: _Progress,
    on_progress: Callable[[float], None] | None,
    duration: float | None,
    hold: Hold | None = None,
    name: str = "ffmpeg",
) -> tuple[int, resource.struct_rusage]:
    """Poll the child with wait4 (which also gives its CPU time); report and enforce limits;
    stop and continue it as `hold` says (a kill reaches a stopped process all the same)."""
    reported_at, reported = 0.0, -1.0
    held = False
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid == proc.pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return status, usage
        now = time.monotonic()
        if cancel is not None and cancel.is_set():
            _kill_group(proc)
            os.wait4(proc.pid, 0)
            proc.returncode = -9
            raise StepCancelled("the step was cancelled")
        if now - started > timeout:
            _kill_group(proc)
            os.wait4(proc.pid, 0)
            proc.returncode = -9
            raise StepTimedOut(f"{name} ran past {timeout:.0f} s")
        if hold is not None and hold.is_set() != held:
            held = not held
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGSTOP if held else signal.SIGCONT)
        if on_progress is not None and duration and now - reported_at >= PROGRESS_INTERVAL_S:
            fraction = min(progress.out_time_s / duration, 0.999)
            if fraction > reported:
                on_progress(fraction)
                reported_at, reported = now, fraction
        time.sleep(POLL_S)


def run_ffmpeg(
    cmd: Sequence[str],
    *,
    timeout: float,
    cwd: Path,
    cancel: Cancel | None = None,
    on_progress: Callable[[float], None] | None = None,
    duration: float | None = None,
    stderr_path: Path | None = None,
    background: bool = False,
    hold: Hold | None = None,
) -> RunStats:
    """Run one ffmpeg command line (a list, never a shell string) to completion.

    Progress is read from `-progress pipe:1`, which this adds; `on_progress` gets 0..1 at most
    four times a second, on the calling thread. `stderr_path` keeps the whole log when a caller
    parses it (the loudness meters print there). A `background` process runs at a low CPU
    priority; one given a `hold` is stopped while it is set. Raises StepTimedOut, StepCancelled
    (the process group is killed first), FFmpegKilled (a signal this runner did not send) or
    FFmpegFailed with the stderr tail.
    """
    argv = list(cmd)
    if Path(argv[0]).name == "ffmpeg" or argv[0] == FFMPEG:
        argv = [argv[0], "-nostdin", "-hide_banner", "-nostats", "-progress", "pipe:1", *argv[1:]]
    return _run(
        argv,
        timeout=timeout,
        cwd=cwd,
        cancel=cancel,
        on_progress=on_progress,
        duration=duration,
        capture_stdout=False,
        stderr_path=stderr_path,
        background=background,
        hold=hold,
    )


def run_ffprobe(
    args: Sequence[str], *, timeout: float, cwd: Path, cancel: Cancel | None = None
) -> RunStats:
    """Run ffprobe with `args` and keep its stdout (the JSON) on the result."""
    return _run(
        [FFPROBE, "-hide_banner", *args],
        timeout=timeout,
        cwd=cwd,
        cancel=cancel,
        on_progress=None,
        duration=None,
        capture_stdout=True,
    )


def run_parallel(
    jobs: Sequence[Callable[[Cancel], RunStats]], *, cancel: Cancel | None = None
) -> list[RunStats]:
    """Run several process-running callables at once; the first failure stops the others.

    Each job receives the cancel it must pass on to run_ffmpeg. The first error raised is the
    one re-raised, so a sibling's "cancelled" never hides the real cause.
    """
    failed = threading.Event()
    shared = AnyCancel(failed, *([cancel] if cancel is not None else []))
    results: list[RunStats | None] = [None] * len(jobs)
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work(i: int) -> None:
        try:
            results[i] = jobs[i](shared)
        except BaseException as exc:  # noqa: BLE001 - re-raised below on the caller's thread
            with lock:
                errors.append(exc)
            failed.set()

    threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        first = next((e for e in errors if not isinstance(e, StepCancelled)), errors[0])
        raise first
    return [r for r in results if r is not None]
