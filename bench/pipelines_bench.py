"""Benchmark the media steps against hand-written bare ffmpeg commands making the same outputs.

Run: `make bench` (all benchmarks), `python -m bench pipelines`, or
`python bench/pipelines_bench.py [--workdir DIR] [--audio-minutes 60] [--video-minutes 5]`.
Sources are generated once into the work folder (default var/bench, or $CNT_BENCH_DIR).
Prints, side by side: wall and CPU seconds of our steps vs bare ffmpeg, the ladder's CPU vs one
ffmpeg per rung, the audio step's wall vs CPU/cores, time-to-first-playable (also for a long
video, $PIPELINES_BENCH_LONG_VIDEO_MINUTES, default 60) and the video MP3's share of the video
step's CPU. Not a test: figures depend on the machine.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import msgspec  # noqa: E402

from bench.sources import test_video  # noqa: E402
from pipelines.context import StepContext  # noqa: E402
from pipelines.media.audio import encode_audio_step  # noqa: E402
from pipelines.media.errors import StepCancelled  # noqa: E402
from pipelines.media.ladder import build_ladder, output_frame_rate  # noqa: E402
from pipelines.media.loudness import Loudness  # noqa: E402
from pipelines.media.probe import probe_media, probe_of, probe_step  # noqa: E402
from pipelines.media.video import encode_video_step, plan_encode, sound_command  # noqa: E402
from pipelines.storage import LocalStorage  # noqa: E402
from settings import load_settings  # noqa: E402

FF = ["ffmpeg", "-nostdin", "-v", "error", "-y"]


def timed(cmds: list[list[str]], parallel: bool = False) -> tuple[float, float]:
    """Wall and child CPU seconds of running `cmds` (one after another, or all at once)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    if parallel:
        procs = [subprocess.Popen(c) for c in cmds]
        for p in procs:
            if p.wait():
                raise SystemExit(f"failed: {p.args!r}")
    else:
        for c in cmds:
            subprocess.run(c, check=True)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def make_sermon(root: Path, minutes: int) -> Path:
    """A sermon-like MP3 of `minutes` (a voice-band tone that swells and fades over pink noise,
    128k stereo), made once into `root`: written under a partial name and renamed when whole,
    so an interrupted run never leaves a truncated source for the next one."""
    sermon = root / f"sermon-{minutes}m.mp3"
    if sermon.exists():
        return sermon
    root.mkdir(parents=True, exist_ok=True)
    partial = root / f"sermon-{minutes}m.partial.mp3"
    graph = "[0][1]amix=2,volume='0.6+0.4*sin(t*1.3)':eval=frame,aformat=channel_layouts=stereo"
    d = minutes * 60
    subprocess.run(
        [
            *FF,
            "-f",
            "lavfi",
            "-i",
            f"sine=f=180:r=44100:d={d}",
            "-f",
            "lavfi",
            "-i",
            f"anoisesrc=c=pink:r=44100:a=0.05:d={d}",
            "-filter_complex",
            graph,
            "-c:a",
            "libmp3lame",
            "-b:a",
            "128k",
            str(partial),
        ],
        check=True,
    )
    partial.replace(sermon)
    return sermon


def make_video(root: Path, minutes: int) -> Path:
    """A 1080p30 H.264 test picture with a tone, of `minutes`, made once into `root`."""
    return test_video(root / f"video-{minutes}m-1080p.mp4", minutes * 60, 1920, 1080)


def make_sources(root: Path, audio_min: int, video_min: int) -> tuple[Path, Path]:
    return make_sermon(root, audio_min), make_video(root, video_min)


def run_step(step, source: Path, out: Path, settings):  # type: ignore[no-untyped-def]
    ctx = StepContext(
        content_id="bench",
        generation=1,
        source=source,
        work_dir=out / "work",
        outputs=LocalStorage(out / "store"),
        settings=settings,
    )
    ctx.previous["probe"] = probe_step(ctx)
    start = time.monotonic()
    result = step(ctx)
    return time.monotonic() - start, result


def first_playable(step, source: Path, out: Path, settings) -> float:  # type: ignore[no-untyped-def]
    """Seconds from the step's start to its master playlist in storage, the moment the step's
    own time_to_first_playable stops its clock (every variant has a segment). The encode is then
    cancelled: the rest of a 60-minute ladder says nothing about the first segment."""
    shutil.rmtree(out, ignore_errors=True)
    ctx = StepContext(
        content_id="bench",
        generation=1,
        source=source,
        work_dir=out / "work",
        outputs=LocalStorage(out / "store"),
        settings=settings,
    )
    ctx.previous["probe"] = probe_step(ctx)
    master = out / "store" / "hls" / "master.m3u8"
    seen: list[float] = []

    def watch() -> None:
        while not ctx.cancel.is_set():
            if master.exists():
                seen.append(time.monotonic() - start)
                ctx.cancel.set()
                return
            time.sleep(0.05)

    start = time.monotonic()
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        result = step(ctx)
    except StepCancelled:
        result = None
    ctx.cancel.set()
    watcher.join()
    if result is not None and result.time_to_first_playable is not None:
        return float(result.time_to_first_playable)  # finished before the watcher saw it
    if not seen:
        raise SystemExit(f"{source.name}: no master playlist was published")
    return seen[0]


def page_cache(path: Path, keep: bool) -> None:
    """Read `path` into the page cache (`keep`), or drop its pages from it. The loudness pass
    reads the whole source before the first playable: from disk, a 7 GB file's audio is
    scattered reads between video chunks, and the figure measures the disk."""
    with open(path, "rb") as f:
        if keep:
            while f.read(8 << 20):
                pass
        else:
            os.posix_fadvise(f.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)


def without_mp3(cmd: list[str]) -> list[str]:
    """The video step's ffmpeg command without its MP3: the default track's `asplit` into
    `[mp3src]` and its `[mp3]` chain taken out of the graph, and the MP3 output (the last one)
    dropped. Fails loudly if pipelines/media/video.py no longer builds the graph this way."""
    at = cmd.index("-filter_complex") + 1
    graph = cmd[at]
    split = re.search(r",asplit=2\[(t\d+)\]\[mp3src\]", graph)
    chain = ";[mp3src]aformat=channel_layouts=stereo[mp3]"
    if split is None or chain not in graph or "[mp3]" not in cmd:
        raise SystemExit("the video command's MP3 is no longer where this bench takes it out")
    graph = graph.replace(split.group(0), f"[{split.group(1)}]").replace(chain, "")
    return [*cmd[:at], graph, *cmd[at + 1 : len(cmd) - cmd[::-1].index("[mp3]") - 2]]


def mp3_alone(cmd: list[str]) -> list[str]:
    """The MP3 output of the video step's command on its own: the same input, the default
    track's same normalising chain, the same MP3 options; no picture decoded. An upper bound
    on the MP3's extra CPU (its decode and loudnorm are shared in the real command)."""
    at = cmd.index("-filter_complex") + 1
    split = re.search(r"[^;]*,asplit=2\[t\d+\]\[mp3src\]", cmd[at])
    if split is None:
        raise SystemExit("the video command's MP3 is no longer where this bench finds it")
    chain = re.sub(r",asplit=2.*$", ",aformat=channel_layouts=stereo[mp3]", split.group(0))
    return [*cmd[:at], chain, *cmd[len(cmd) - cmd[::-1].index("[mp3]") - 2 :]]


def mp3_cpu(source: Path, out: Path, settings, loudness: dict) -> tuple[float, float, float]:  # type: ignore[no-untyped-def]
    """CPU seconds of the video step's sound command (its audio renditions and MP3; the picture
    is another process) with and without its MP3 output, and of the MP3's output alone, on the
    same source in this run (the step's own command, from its own functions); with and without
    are run $PIPELINES_BENCH_MP3_ROUNDS times (default 1)."""
    ctx = StepContext(
        content_id="bench",
        generation=1,
        source=source,
        work_dir=out / "work",
        outputs=LocalStorage(out / "store"),
        settings=settings,
    )
    ctx.previous["probe"] = probe_step(ctx)
    probe = probe_of(ctx)
    plan = plan_encode(ctx, probe, still=False)
    measured = {int(k): msgspec.convert(v, Loudness) for k, v in loudness.items()}
    # A run's CPU wanders a little: with and without alternate, and the least of each is kept.
    rounds = int(os.environ.get("PIPELINES_BENCH_MP3_ROUNDS", "1"))
    cpus: dict[str, float] = {}
    for variant in [None, without_mp3] * rounds + [mp3_alone]:
        name = variant.__name__ if variant else "with_mp3"
        shutil.rmtree(out / name, ignore_errors=True)
        ctx.work_dir.mkdir(parents=True, exist_ok=True)
        cmd = sound_command(ctx, probe, plan, measured, out / name)
        cpu = timed([variant(cmd) if variant else cmd])[1]
        cpus[name] = min(cpus.get(name, cpu), cpu)
    return cpus["with_mp3"], cpus["without_mp3"], cpus["mp3_alone"]


def bare_audio(src: Path, out: Path, loud: dict) -> list[list[str]]:
    """What an engineer would type: loudnorm's own two passes, then one ffmpeg for all outputs."""
    out.mkdir(parents=True, exist_ok=True)
    for n in ("a128", "a64"):
        (out / n).mkdir(exist_ok=True)
    hls = ["-f", "hls", "-hls_time", "6", "-hls_playlist_type", "vod", "-hls_segment_type", "fmp4"]
    norm = (
        f"loudnorm=I=-16:TP=-1.5:LRA=11:measured_I={loud['input_i']}:measured_TP="
        f"{loud['input_tp']}:measured_LRA={loud['input_lra']}:measured_thresh="
        f"{loud['input_thresh']}:linear=true,aresample=44100"
    )
    return [
        [
            *FF,
            "-i",
            str(src),
            "-af",
            "loudnorm=I=-16:TP=-1.5:LRA=11:print_format=json",
            "-f",
            "null",
            "-",
        ],
        [
            *FF,
            "-i",
            str(src),
            "-filter_complex",
            f"[0:a]{norm},asplit=3[a][b][c]",
            "-map",
            "[a]",
            "-c:a",
            "aac",
            "-b:a",
            "128k",
            "-ac",
            "2",
            *hls,
            "-hls_segment_filename",
            str(out / "a128/s%05d.m4s"),
            str(out / "a128/index.m3u8"),
            "-map",
            "[b]",
            "-c:a",
            "aac",
            "-b:a",
            "64k",
            "-ac",
            "1",
            *hls,
            "-hls_segment_filename",
            str(out / "a64/s%05d.m4s"),
            str(out / "a64/index.m3u8"),
            "-map",
            "[c]",
            "-c:a",
            "libmp3lame",
            "-b:a",
            "128k",
            str(out / "audio.mp3"),
        ],
    ]


def bare_video(
    src: Path, out: Path, rungs, fps: float, per_rung: bool, preset: str
) -> list[list[str]]:  # type: ignore[no-untyped-def]
    gop = str(round(fps * 6))
    hls = ["-f", "hls", "-hls_time", "6", "-hls_playlist_type", "vod", "-hls_segment_type", "fmp4"]
    enc = [
        "-c:v",
        "libx264",
        "-preset",
        preset,
        "-g",
        gop,
        "-keyint_min",
        gop,
        "-sc_threshold",
        "0",
    ]
    out.mkdir(parents=True, exist_ok=True)
    outputs = []
    for r in rungs:
        (out / r.name).mkdir(exist_ok=True)
        outputs.append(
            [
                "-b:v",
                str(r.bitrate),
                "-maxrate",
                str(r.maxrate),
                "-bufsize",
                str(r.bufsize),
                *enc,
                *hls,
                "-hls_segment_filename",
                str(out / r.name / "s%05d.m4s"),
                str(out / r.name / "index.m3u8"),
            ]
        )
    (out / "audio").mkdir(exist_ok=True)
    audio = [
        "-map",
        "0:a",
        "-c:a",
        "aac",
        "-b:a",
        "128k",
        "-ac",
        "2",
        *hls,
        "-hls_segment_filename",
        str(out / "audio/s%05d.m4s"),
        str(out / "audio/index.m3u8"),
    ]
    if per_rung:
        cmds = [
            [
                *FF,
                "-i",
                str(src),
                "-map",
                "0:v",
                "-vf",
                f"fps={fps},scale={r.width}:{r.height},format=yuv420p",
                *o,
            ]
            for r, o in zip(rungs, outputs, strict=True)
        ]
        return [*cmds, [*FF, "-i", str(src), *audio]]
    graph = f"[0:v]fps={fps},format=yuv420p,split={len(rungs)}" + "".join(
        f"[s{i}]" for i in range(len(rungs))
    )
    graph += "".join(f";[s{i}]scale={r.width}:{r.height}[v{i}]" for i, r in enumerate(rungs))
    cmd = [*FF, "-i", str(src), "-filter_complex", graph]
    for i, o in enumerate(outputs):
        cmd += ["-map", f"[v{i}]", *o]
    return [[*cmd, *audio]]


def main(argv: list[str] | None = None) -> None:
    """`python -m bench` calls this with no arguments; the defaults are the issue's sizes."""
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--workdir", type=Path, default=Path(os.environ.get("CNT_BENCH_DIR", "var/bench"))
    )
    parser.add_argument("--audio-minutes", type=int, default=60)
    parser.add_argument("--video-minutes", type=int, default=5)
    args = parser.parse_args(argv or [])
    root = args.workdir.resolve()
    root.mkdir(parents=True, exist_ok=True)
    settings = load_settings(None, data_dir=str(root / "var"))
    sermon, video = make_sources(root, args.audio_minutes, args.video_minutes)
    cores = os.cpu_count() or 1
    rows = []

    wall, audio = run_step(encode_audio_step, sermon, root / "ours-audio", settings)
    bare_wall, bare_cpu = timed(bare_audio(sermon, root / "bare-audio", audio.data["loudness"]))
    rows.append(
        ("audio step (loudness+2 AAC rungs+MP3)", wall, audio.cpu_seconds, bare_wall, bare_cpu)
    )

    vwall, vres = run_step(encode_video_step, video, root / "ours-video", settings)
    probe = vres.data["rungs"]
    pv = probe_media(video, settings)
    assert pv.video is not None
    rungs = build_ladder(pv.video, settings.ladder_heights)
    fps = output_frame_rate(pv.video)
    one_wall, one_cpu = timed(
        bare_video(
            video, root / "bare-video", rungs, fps, per_rung=False, preset=settings.x264_preset
        )
    )
    per_wall, per_cpu = timed(
        bare_video(
            video, root / "per-rung", rungs, fps, per_rung=True, preset=settings.x264_preset
        ),
        parallel=True,
    )
    rows.append(("video ladder (one process)", vwall, vres.cpu_seconds, one_wall, one_cpu))
    with_mp3, no_mp3, mp3_only = mp3_cpu(video, root / "mp3-share", settings, vres.data["loudness"])
    long_minutes = int(os.environ.get("PIPELINES_BENCH_LONG_VIDEO_MINUTES", "60"))
    long_video = make_video(root, long_minutes)
    page_cache(long_video, keep=False)
    cold_ttfp = first_playable(encode_video_step, long_video, root / "ours-long-video", settings)
    page_cache(long_video, keep=True)
    long_ttfp = first_playable(encode_video_step, long_video, root / "ours-long-video", settings)

    print(f"\ncores={cores} x264 preset={settings.x264_preset} rungs={[r['name'] for r in probe]}")
    print(
        f"{'':42} {'ours wall':>10} {'ours CPU':>10} {'bare wall':>10} {'bare CPU':>10}"
        f" {'wall ratio':>10}"
    )
    for name, w, c, bw, bc in rows:
        print(f"{name:42} {w:10.1f} {c:10.1f} {bw:10.1f} {bc:10.1f} {w / bw:10.2f}")
    print(
        f"\nvideo ladder CPU s: one decode split {vres.cpu_seconds:.1f} vs one ffmpeg per rung "
        f"{per_cpu:.1f} (wall {per_wall:.1f}) -> {per_cpu / vres.cpu_seconds:.2f}x fewer"
        " (goal >= 1.2)"
    )
    ideal = audio.cpu_seconds / cores
    print(
        f"audio step wall {wall:.1f} s vs CPU/cores {ideal:.1f} s -> {wall / ideal:.2f}"
        " (goal <= 1.15)"
    )
    print(f"audio wall vs bare: {wall / bare_wall:.2f} (goal <= 1.10)")
    print(
        f"time to first playable, {args.audio_minutes}-min sermon: "
        f"{audio.time_to_first_playable:.1f} s "
        f"(goal <= 10); {args.video_minutes}-min video: {vres.time_to_first_playable:.1f} s"
    )
    print(
        f"time to first playable, {long_minutes}-min 1080p video: {long_ttfp:.1f} s (goal <= 10)"
        f" with the source in the page cache, as a worker's download leaves it; {cold_ttfp:.1f} s"
        " read from disk"
    )
    extra = with_mp3 - no_mp3
    print(
        f"MP3 download for video: sound process CPU {with_mp3:.1f} s with, {no_mp3:.1f} s "
        "without -> "
        f"{extra:+.1f} s = {100 * extra / vres.cpu_seconds:.1f}% of the video step's "
        f"{vres.cpu_seconds:.1f} CPU s (goal <= 5%); the MP3's own ffmpeg (same input and "
        f"filters): {mp3_only:.1f} s = {100 * mp3_only / vres.cpu_seconds:.1f}% (upper bound)"
    )
    print(f"loudness: {audio.data['loudness']}")


if __name__ == "__main__":
    main(sys.argv[1:])
