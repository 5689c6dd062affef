"""The waveform: peaks JSON in BBC audiowaveform's format, and a PNG preview drawn with Pillow.

The JSON is what peaks.js and wavesurfer load (`version: 2`, interleaved min/max pairs per
pixel, 8-bit), so players draw without decoding the audio themselves.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from pipelines.context import StepContext, StepResult, put_asset
from pipelines.media.errors import MediaRejected
from pipelines.media.probe import input_args, probe_of
from pipelines.media.runner import FFMPEG, run_ffmpeg

__all__ = ["waveform_step", "compute_peaks", "draw_waveform"]

SAMPLE_RATE = 16_000
# 512 samples at 16 kHz: 31 pixels a second, enough to zoom into a sentence while an hour's
# peaks stay near 600 KB of JSON.
SAMPLES_PER_PIXEL = 512
PNG_SIZE = (1800, 280)
PNG_COLOUR = (37, 99, 235, 255)
JSON_KEY = "waveform/peaks.json"
PNG_KEY = "waveform/waveform.png"
ROWS_PER_CHUNK = 8192


def compute_peaks(pcm: Path, samples_per_pixel: int = SAMPLES_PER_PIXEL) -> list[int]:
    """Min/max pairs per pixel from raw s16le mono, scaled so the loudest peak reaches 127.

    Scaling matches audiowaveform's `--amplitude-scale auto`: a quiet sermon still draws a
    readable shape. The file is memory-mapped and read in chunks, never whole.
    """
    size = pcm.stat().st_size // 2
    if size == 0:
        return []
    samples = np.memmap(pcm, dtype="<i2", mode="r", shape=(size,))
    mins: list[np.ndarray] = []
    maxs: list[np.ndarray] = []
    step = ROWS_PER_CHUNK * samples_per_pixel
    for start in range(0, size, step):
        block = np.asarray(samples[start : start + step], dtype=np.int32)
        pad = (-len(block)) % samples_per_pixel
        rows = np.pad(block, (0, pad), mode="edge").reshape(-1, samples_per_pixel)
        mins.append(rows.min(axis=1))
        maxs.append(rows.max(axis=1))
    low, high = np.concatenate(mins), np.concatenate(maxs)
    loudest = max(int(np.abs(low).max()), int(np.abs(high).max()), 1)
    scale = 127.0 / loudest
    pairs = np.empty(len(low) * 2, dtype=np.int32)
    pairs[0::2] = np.clip(np.round(low * scale), -128, 127)
    pairs[1::2] = np.clip(np.round(high * scale), -128, 127)
    return [int(v) for v in pairs]


def peaks_document(peaks: list[int]) -> dict[str, object]:
    return {
        "version": 2,
        "channels": 1,
        "sample_rate": SAMPLE_RATE,
        "samples_per_pixel": SAMPLES_PER_PIXEL,
        "bits": 8,
        "length": len(peaks) // 2,
        "data": peaks,
    }


def draw_waveform(peaks: list[int], target: Path, size: tuple[int, int] = PNG_SIZE) -> None:
    """A transparent PNG: one vertical line per column from the min/max of its pixels."""
    width, height = size
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    low = np.array(peaks[0::2], dtype=np.int32)
    high = np.array(peaks[1::2], dtype=np.int32)
    middle = height / 2
    if len(low):
        edges = np.linspace(0, len(low), num=width + 1).astype(int)
        for x in range(width):
            a, b = edges[x], max(edges[x + 1], edges[x] + 1)
            top = middle - high[a:b].max() / 128 * middle
            bottom = middle - low[a:b].min() / 128 * middle
            draw.line([(x, top), (x, max(bottom, top + 1))], fill=PNG_COLOUR)
    image.save(target, "PNG", optimize=True)


def waveform_step(ctx: StepContext) -> StepResult:
    """Decode the audio to 16 kHz mono once, then write peaks.json and waveform.png."""
    probe = probe_of(ctx)
    if probe.audio is None and probe.video is not None:
        return StepResult(data={"waveform": "none: the video has no sound"})
    if probe.audio is None:
        raise MediaRejected("the file has no audio to draw")
    ctx.work_dir.mkdir(parents=True, exist_ok=True)
    pcm = ctx.work_dir / "waveform.pcm"
    cmd = [FFMPEG, "-v", "error", *input_args(ctx.source, probe.demuxer)]
    cmd += ["-map", f"0:{probe.audio.index}", "-ac", "1", "-ar", str(SAMPLE_RATE)]
    cmd += ["-c:a", "pcm_s16le", "-f", "s16le", "-y", f"file:{pcm}"]
    stats = run_ffmpeg(
        cmd,
        timeout=ctx.settings.ffmpeg_timeout_s,
        cwd=ctx.work_dir,
        cancel=ctx.cancel,
        on_progress=lambda f: ctx.on_progress(0.9 * f),
        duration=probe.duration,
    )
    peaks = compute_peaks(pcm)
    pcm.unlink(missing_ok=True)
    json_path = ctx.work_dir / "peaks.json"
    json_path.write_text(json.dumps(peaks_document(peaks), separators=(",", ":")))
    png_path = ctx.work_dir / "waveform.png"
    draw_waveform(peaks, png_path)
    width, height = PNG_SIZE
    assets = [
        put_asset(ctx.outputs, "waveform_json", JSON_KEY, json_path),
        put_asset(
            ctx.outputs, "waveform_png", PNG_KEY, png_path, width=PNG_SIZE[0], height=PNG_SIZE[1]
        ),
    ]
    ctx.on_progress(1.0)
    return StepResult(
        assets=assets,
        data={"peaks_key": JSON_KEY, "png_key": PNG_KEY, "length": len(peaks) // 2},
        media_seconds=probe.duration,
        cpu_seconds=round(stats.cpu_seconds, 3),
    )
