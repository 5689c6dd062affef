"""Benchmark chunked encoding: a long 1080p video encoded by one worker, whole, against two worker
processes each pinned to its own core (`taskset`) sharing its chunks, then joined.

Each "worker" is a process running the real step function (`encode_video_step`) as a transcode
worker runs it (one encode at a time), taking the next chunk number from a queue they share (a
claim is a file made with O_EXCL, as a job row is claimed once); outputs go to one shared local
storage folder. The job core around a step (claim, success, the plan's advance) costs
milliseconds per step (bench/jobs_bench.py) and is left out. The baseline is the unchunked
step, pinned to one core. Two-worker wall runs from the workers' start to the join's end.

Prints the walls and the speedup (goal >= 1.8x), each chunk's wall and CPU, and the wall that
list scheduling of the measured chunk times predicts for N workers, with the limit: the first
chunk also encodes the sound, the MP3 and measures loudness, so it is the longest. The second
chunk is then encoded again alone (the other core idle): its wall alone against beside the other
worker says how much of any lost speedup is the machine's (vCPUs sharing a core, memory
bandwidth), and what N separate machines (which share no core) would see.

Knobs (env): CHUNKS_BENCH_MINUTES (20), CHUNKS_BENCH_HEIGHT (1080), CHUNKS_BENCH_CHUNK_S (120),
CHUNKS_BENCH_MIN_S (600: the chunking threshold), CNT_BENCH_DIR (var/bench). Needs 2 cores.
Run: `python -m bench chunks`. Not a test: figures depend on the machine, which should be idle.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import msgspec  # noqa: E402

from bench.sources import test_video  # noqa: E402
from pipelines.chunks import ChunkRule, chunk_count  # noqa: E402
from pipelines.context import StepContext, StepResult  # noqa: E402
from pipelines.media.probe import probe_step  # noqa: E402
from pipelines.media.video import encode_video_step  # noqa: E402
from pipelines.storage import LocalStorage  # noqa: E402
from settings import Settings, load_settings  # noqa: E402


def _settings(root: Path) -> Settings:
    return load_settings(
        None,
        data_dir=str(root / "var"),
        video_chunk_s=float(os.environ.get("CHUNKS_BENCH_CHUNK_S", "120")),
        video_chunk_min_s=float(os.environ.get("CHUNKS_BENCH_MIN_S", "600")),
    )


def make_video(root: Path, minutes: float, height: int) -> Path:
    width = height * 16 // 9 // 2 * 2
    return test_video(root / f"chunks-{minutes:g}m-{height}p.mp4", minutes * 60, width, height)


def _ctx(source: Path, out: Path, settings: Settings, name: str, **kw: object) -> StepContext:
    return StepContext(
        content_id="bench",
        generation=1,
        source=source,
        work_dir=out / "work" / name,
        outputs=LocalStorage(out / "store"),
        settings=settings,
        **kw,  # type: ignore[arg-type]
    )


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def worker(source: Path, out: Path, count: int) -> None:
    """One worker process: take the next unclaimed chunk, encode it, record it; until none."""
    settings = _settings(out.parent)
    probe = msgspec.json.decode((out / "probe.json").read_bytes(), type=StepResult)
    for number in range(1, count + 1):
        try:
            os.close(os.open(out / f"claim-{number}", os.O_CREAT | os.O_EXCL))
        except FileExistsError:
            continue
        started, cpu = time.monotonic(), _cpu()
        ctx = _ctx(source, out, settings, f"chunk-{number}", chunk=number)
        ctx.previous["probe"] = probe
        result = encode_video_step(ctx)
        wall = time.monotonic() - started
        (out / f"chunk-{number}.json").write_bytes(msgspec.json.encode(result))
        figures = {"wall": wall, "cpu": _cpu() - cpu, "worker": os.getpid()}
        (out / f"chunk-{number}.time.json").write_text(json.dumps(figures))


def whole(source: Path, out: Path) -> None:
    """The one-worker baseline: the step unchunked (as a video under the threshold runs)."""
    settings = msgspec.structs.replace(_settings(out.parent), video_chunk_min_s=1e9)
    probe = msgspec.json.decode((out / "probe.json").read_bytes(), type=StepResult)
    ctx = _ctx(source, out, settings, "whole")
    ctx.previous["probe"] = probe
    encode_video_step(ctx)


def alone(source: Path, out: Path, number: int) -> None:
    """One chunk encoded with nothing else running beside it (into a scratch folder)."""
    settings = _settings(out.parent)
    probe = msgspec.json.decode((out / "probe.json").read_bytes(), type=StepResult)
    ctx = _ctx(source, out / "alone", settings, f"chunk-{number}", chunk=number)
    ctx.previous["probe"] = probe
    encode_video_step(ctx)


def _pinned(core: int, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(["taskset", "-c", str(core), sys.executable, __file__, *args])


def schedule(chunk_walls: list[float], workers: int) -> float:
    """Wall of chunks taken in order by the first free of `workers` (what the queue does)."""
    free = [0.0] * workers
    for wall in chunk_walls:
        at = free.index(min(free))
        free[at] += wall
    return max(free)


def main(argv: list[str] | None = None) -> None:
    root = Path(os.environ.get("CNT_BENCH_DIR", "var/bench")).resolve()
    minutes = float(os.environ.get("CHUNKS_BENCH_MINUTES", "20"))
    height = int(os.environ.get("CHUNKS_BENCH_HEIGHT", "1080"))
    if (os.cpu_count() or 1) < 2:
        raise SystemExit("the chunks bench needs 2 cores")
    source = make_video(root, minutes, height)
    settings = _settings(root)
    count = chunk_count(minutes * 60, ChunkRule.from_settings(settings))
    if count < 2:
        raise SystemExit(f"a {minutes:g}-minute video is not chunked with these settings")
    runs = {"one": root / "chunks-one", "two": root / "chunks-two"}
    for out in runs.values():
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        probe_ctx = _ctx(source, out, settings, "probe")
        (out / "probe.json").write_bytes(msgspec.json.encode(probe_step(probe_ctx)))

    started, cpu = time.monotonic(), _cpu()
    if _pinned(0, "--whole", str(source), str(runs["one"])).wait():
        raise SystemExit("the one-worker encode failed")
    one_wall, one_cpu = time.monotonic() - started, _cpu() - cpu

    out = runs["two"]
    started = time.monotonic()
    workers = [_pinned(core, "--worker", str(source), str(out), str(count)) for core in (0, 1)]
    if any(w.wait() for w in workers):
        raise SystemExit("a chunk worker failed")
    chunks_done = time.monotonic() - started
    results = {
        n: msgspec.json.decode((out / f"chunk-{n}.json").read_bytes(), type=StepResult)
        for n in range(1, count + 1)
    }
    join_started = time.monotonic()
    encode_video_step(_ctx(source, out, settings, "join", chunks=results))
    join_wall = time.monotonic() - join_started
    two_wall = time.monotonic() - started
    times = [json.loads((out / f"chunk-{n}.time.json").read_text()) for n in range(1, count + 1)]
    started, cpu = time.monotonic(), _cpu()
    if _pinned(0, "--alone", str(source), str(out), "2").wait():
        raise SystemExit("the lone chunk failed")
    alone_wall, alone_cpu = time.monotonic() - started, _cpu() - cpu

    print(f"\n{minutes:g}-min {height}p video, {count} chunks of ~{settings.video_chunk_s:g} s, "
          f"x264 {settings.x264_preset}, ladder {settings.video_ladder}")  # fmt: skip
    print(f"one worker (whole, 1 core):        wall {one_wall:8.1f} s")
    print(
        f"two workers (chunks, 1 core each): wall {two_wall:8.1f} s "
        f"(chunks {chunks_done:.1f} s + join {join_wall:.2f} s) -> "
        f"{one_wall / two_wall:.2f}x faster (goal >= 1.8x)"
    )
    for n, t in enumerate(times, start=1):
        print(f"  chunk {n}: wall {t['wall']:7.1f} s  CPU {t['cpu']:7.1f} s  worker {t['worker']}")
    walls = [t["wall"] for t in times]
    print(f"  sum of chunk walls {sum(walls):.1f} s vs whole {one_wall:.1f} s (chunking overhead)")
    cpus = [t["cpu"] for t in times]
    print(
        f"  CPU: whole {one_cpu:.1f} s, chunks {sum(cpus):.1f} s "
        f"({100 * (sum(cpus) / one_cpu - 1):+.1f}% for cutting)"
    )
    print("  predicted for N workers (list scheduling of the measured chunk walls, and CPU):")
    for n in (1, 2, 4, 8, 16):
        by_wall = schedule(walls, n) + join_wall
        by_cpu = schedule(cpus, n)
        print(
            f"    {n:2} worker(s): wall {by_wall:7.1f} s -> {one_wall / by_wall:.2f}x;"
            f" CPU-bound {by_cpu:7.1f} s -> {one_cpu / by_cpu:.2f}x"
        )
    paired = times[1]
    slowdown = paired["wall"] / alone_wall
    print(
        f"  chunk 2 alone: wall {alone_wall:.1f} s CPU {alone_cpu:.1f} s; beside the other worker"
        f" wall {paired['wall']:.1f} s CPU {paired['cpu']:.1f} s -> this machine's two cores run"
        f" {slowdown:.2f}x slower together"
    )
    print("  N separate machines (chunk walls as alone):")
    for n in (2, 4, 8, 16):
        by_wall = schedule([w / slowdown for w in walls], n) + join_wall
        print(f"    {n:2}: wall {by_wall:7.1f} s -> {one_wall / by_wall:.2f}x")
    print(
        f"  limit: the longest chunk ({max(walls):.1f} s; the first encodes the sound too); "
        "more workers than chunks add nothing"
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]))
    elif len(sys.argv) > 1 and sys.argv[1] == "--alone":
        alone(Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]))
    elif len(sys.argv) > 1 and sys.argv[1] == "--whole":
        whole(Path(sys.argv[2]), Path(sys.argv[3]))
    else:
        main(sys.argv[1:])
