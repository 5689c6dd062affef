"""EBU R128 loudness: measure an upload (first pass) and the filter that normalises it (second).

The first pass is the one everything waits for (no segment can be published before the gain is
known), and loudnorm's own analysis runs at 192 kHz on one core: 60 s for a 60-minute sermon.
So we measure with the ebur128 meter on chunks in parallel and combine the chunks' 100 ms
momentary (400 ms block) and short-term (3 s) values ourselves with the BS.1770-4 gates and
EBU Tech 3342 LRA: about 6 s for the same hour on two cores. The second pass is loudnorm itself,
given those measurements (`linear=true`: a constant gain unless the ceiling would be crossed).

The first pass reads sample peaks (ebur128's own), not true peaks: its true-peak meter
oversamples every channel four times and cost three quarters of the pass (15 of 20 CPU seconds
for an hour), all of it before the first segment. The ceiling does not need it: the peak is
taken as the sample peak plus `INTERSAMPLE_MARGIN_DB`, which a band-limited 48 kHz signal's
inter-sample overs stay within (3 dB is a sine at a quarter of the rate, sampled at 45
degrees), and whenever that bound and the gain could cross the ceiling the gain goes through
the 192 kHz limiter, which holds true peaks whatever they are. A source with headroom is still
a plain constant gain.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable
from pathlib import Path

import msgspec

from pipelines.media.channels import (
    ChannelLevels,
    channel_meters,
    combine_levels,
    loudness_shift_db,
    parse_channel_levels,
    repair_filter,
)
from pipelines.media.probe import AudioInfo, Probe, input_args
from pipelines.media.runner import FFMPEG, Cancel, RunStats, run_ffmpeg, run_parallel
from settings import Settings

__all__ = ["Loudness", "measure_loudness", "normalise_filter", "combine_loudness", "SILENT_LUFS"]

ABSOLUTE_GATE = -70.0
# Below this the upload is silence or hum: raising it to -16 LUFS would only amplify noise.
SILENT_LUFS = -60.0
LRA_TARGET = 11.0
# AAC and MP3 at 128k decode over the peaks they were given: about 1 dB on speech, and 1.6 dB
# measured on 2 ms clicks held at the limit (how much depends on where a click falls in a codec
# frame, so shifting the sound by 5 ms moved one test file from 1.0 to 1.6).
CODEC_HEADROOM_DB = 2.0
LIMITER_RATE = 192_000
LIMITER_ATTACK_MS = 5
MIN_CHUNK_S = 120.0
# Digital silence (-inf) stored as this, so the figures stay plain JSON numbers.
SILENCE_FLOOR_DB = -120.0
# How far a true peak may stand over the highest sample (see the module's docstring).
INTERSAMPLE_MARGIN_DB = 3.0
_PEAK = re.compile(r"Peak:\s*(-?[\d.]+|-inf)\s*dBFS")
_FRAME = re.compile(
    r"t:\s*([\d.]+)\s+TARGET:.*?M:\s*(-?[\d.]+|-?inf|nan)\s+S:\s*(-?[\d.]+|-?inf|nan)"
)


class Loudness(msgspec.Struct, kw_only=True):
    """Measured figures, named as loudnorm prints them, so they can be stored on the content.
    `input_tp` is the bound the true peak stays under (`input_peak`, the highest sample, plus
    `INTERSAMPLE_MARGIN_DB`); `output_tp`, when loudnorm reports it, is measured."""

    input_i: float
    input_tp: float
    input_lra: float
    input_thresh: float
    target_i: float
    target_tp: float
    output_i: float | None = None
    output_tp: float | None = None
    normalised: bool = True
    # Each source channel's RMS level (dBFS) and the fix for a dead one ("" when none).
    channels_db: list[float] = msgspec.field(default_factory=list)
    repair: str = ""
    input_peak: float | None = None


def _mean_db(values: list[float]) -> float:
    energy = sum(10 ** (v / 10) for v in values) / len(values)
    return 10 * math.log10(energy)


def combine_loudness(
    momentary: list[float], short_term: list[float], sample_peak: float, settings: Settings
) -> Loudness:
    """Integrated loudness, its relative gate and loudness range from 100 ms-spaced values;
    the true peak bounded from the sample peak."""
    above = [m for m in momentary if m > ABSOLUTE_GATE]
    if not above:
        integrated, threshold = ABSOLUTE_GATE, ABSOLUTE_GATE - 10
    else:
        threshold = _mean_db(above) - 10
        gated = [m for m in above if m > threshold]
        integrated = _mean_db(gated) if gated else ABSOLUTE_GATE
    lra = 0.0
    short = [s for s in short_term if s > ABSOLUTE_GATE]
    if short:
        gate = _mean_db(short) - 20
        ranked = sorted(s for s in short if s > gate)
        if len(ranked) > 1:
            lra = ranked[round(0.95 * (len(ranked) - 1))] - ranked[round(0.10 * (len(ranked) - 1))]
    return Loudness(
        input_i=round(integrated, 2),
        input_tp=round(sample_peak + INTERSAMPLE_MARGIN_DB, 2),
        input_peak=round(sample_peak, 2),
        input_lra=round(lra, 2),
        input_thresh=round(threshold, 2),
        target_i=settings.loudness_target_lufs,
        target_tp=settings.loudness_true_peak_db,
        normalised=integrated > SILENT_LUFS,
    )


def _parse_meter_log(
    text: str, skip_momentary: float, skip_short: float
) -> tuple[list[float], list[float]]:
    momentary: list[float] = []
    short_term: list[float] = []
    for match in _FRAME.finditer(text):
        t = float(match.group(1))
        m, s = float(match.group(2)), float(match.group(3))
        # The meter pads its first blocks with silence; a chunk's head is measured by the chunk
        # before it, so its padded blocks are dropped rather than counted twice.
        if t >= skip_momentary and math.isfinite(m):
            momentary.append(m)
        if t >= skip_short and math.isfinite(s):
            short_term.append(s)
    return momentary, short_term


def measure_loudness(
    source: Path,
    probe: Probe,
    settings: Settings,
    *,
    work_dir: Path,
    cancel: Cancel | None = None,
    chunks: int | None = None,
    track: AudioInfo | None = None,
) -> tuple[Loudness, list[RunStats]]:
    """First pass: measure an audio track (the default one unless `track` is given) on `chunks`
    cores in parallel, with each channel's level beside it."""
    audio = track or probe.audio
    assert audio is not None
    count = chunks or max(1, min(os.cpu_count() or 1, int(probe.duration // MIN_CHUNK_S) or 1, 4))
    span = probe.duration / count
    jobs: list[Callable[[Cancel], RunStats]] = []
    logs: list[Path] = []
    for i in range(count):
        # Each chunk after the first starts 3 s early so its short-term window is whole at the seam.
        lead = 3.0 if i else 0.0
        start, length = i * span - lead, span + lead
        log = work_dir / f"loudness-{audio.index}-{i}.log"
        logs.append(log)
        cmd = [FFMPEG, "-v", "verbose"]
        if start > 0:
            cmd += ["-ss", f"{start:.3f}"]
        # On the input: the level meters' sinks would read on past an output's -t.
        if i < count - 1:
            cmd += ["-t", f"{length:.3f}"]
        cmd += input_args(source, probe.demuxer)
        cmd += ["-filter_complex", _meter_graph(audio), "-map", "[meter]", "-f", "null", "-"]
        jobs.append(_runner(cmd, settings, work_dir, log))
    stats = run_parallel(jobs, cancel=cancel)
    momentary: list[float] = []
    short_term: list[float] = []
    peak = -99.0
    channels: list[tuple[list[float], float]] = []
    for i, log in enumerate(logs):
        text = log.read_text(errors="replace")
        m, s = _parse_meter_log(text, 3.0 if i else 0.4, 3.0)
        momentary += m
        short_term += s
        peak = max([peak, *(float(p) for p in _PEAK.findall(text) if p != "-inf")])
        channels.append((parse_channel_levels(text), span))
    loudness = combine_loudness(momentary, short_term, peak, settings)
    return with_channels(loudness, combine_levels(channels)), stats


def _meter_graph(audio: AudioInfo) -> str:
    """The track into the loudness meter (with its sample peak) and each channel's level meter."""
    return (
        f"[0:{audio.index}]asplit=2[loud][levels];"
        f"[loud]ebur128=peak=sample:framelog=verbose[meter];"
        f"{channel_meters('levels', max(1, audio.channels))}"
    )


def with_channels(loudness: Loudness, levels: ChannelLevels) -> Loudness:
    """The figures as the repaired stereo will measure: a dead channel filled from the live one
    adds its energy, so the integrated level and its gate rise by the same amount."""
    shift = loudness_shift_db(levels)
    loudness.channels_db = [round(max(v, SILENCE_FLOOR_DB), 2) for v in levels.rms_db]
    loudness.repair = repair_filter(levels)
    if shift and loudness.normalised:
        loudness.input_i = round(loudness.input_i + shift, 2)
        loudness.input_thresh = round(loudness.input_thresh + shift, 2)
    return loudness


def _runner(
    cmd: list[str], settings: Settings, work_dir: Path, log: Path
) -> Callable[[Cancel], RunStats]:
    def run(cancel: Cancel) -> RunStats:
        return run_ffmpeg(
            cmd, timeout=settings.ffmpeg_timeout_s, cwd=work_dir, cancel=cancel, stderr_path=log
        )

    return run


def normalise_filter(loudness: Loudness, sample_rate: int) -> str:
    """The second pass: the gain to the target, the true peak kept under the ceiling, back to a
    normal sample rate.

    When the constant gain keeps the peaks under the ceiling, loudnorm applies it (`linear=true`,
    given the first pass's figures). When it would not (a quiet recording with a few loud
    transients), loudnorm would fall back to its dynamic mode, which misses the target by 9 LU
    and lets true peaks through (measured: -25 LUFS, +1.1 dBTP in the MP3); instead the gain is
    applied and a limiter holds the peaks at 192 kHz, where sample peaks are true peaks within
    a tenth of a dB. Lossy encoders add their own overshoot, so both aim `CODEC_HEADROOM_DB`
    under the ceiling. Silence is left alone (its measured -70 LUFS would ask for +54 dB of gain
    on the noise floor).
    """
    if not loudness.normalised:
        return f"{loudness.repair}aresample={sample_rate}"
    ceiling = loudness.target_tp - CODEC_HEADROOM_DB
    gain = loudness.target_i - loudness.input_i
    if loudness.input_tp + gain > ceiling:
        limit = 10 ** (ceiling / 20)
        # The limiter looks ahead by its attack: its output comes that late (5 ms, a sixth of a
        # frame out of sync with the picture), so that much is cut from its start and its
        # timestamps moved back by as much.
        delay = round(LIMITER_ATTACK_MS * LIMITER_RATE / 1000)
        return (
            f"{loudness.repair}volume={gain:.2f}dB,aresample={LIMITER_RATE},"
            f"alimiter=limit={limit:.4f}:attack={LIMITER_ATTACK_MS}:release=50:level=disabled,"
            f"atrim=start_sample={delay},asetpts=PTS-{delay}/(SR*TB),aresample={sample_rate}"
        )
    return (
        f"{loudness.repair}loudnorm=I={loudness.target_i}:TP={ceiling}:LRA={LRA_TARGET}"
        f":measured_I={_within(loudness.input_i, -99, 0)}"
        f":measured_TP={_within(loudness.input_tp, -99, 99)}"
        f":measured_LRA={_within(loudness.input_lra, 0, 99)}"
        f":measured_thresh={_within(loudness.input_thresh, -99, 0)}"
        f":offset=0:linear=true:print_format=json,aresample={sample_rate}"
    )


def _within(value: float, low: float, high: float) -> float:
    """loudnorm refuses a figure outside its option's range (a clipped square wave measures
    +0.4 LUFS): clamped, the gain it asks for is at least as much of a cut as it should be."""
    return min(max(value, low), high)


def parse_loudnorm_json(log: str) -> dict[str, float]:
    """The figures loudnorm prints at the end of the second pass (`output_i`, `output_tp`, ...)."""
    start = log.rfind("{")
    end = log.rfind("}")
    if start < 0 or end < start:
        return {}
    try:
        raw = msgspec.json.decode(log[start : end + 1].encode())
    except msgspec.DecodeError:
        return {}
    out: dict[str, float] = {}
    for key, value in raw.items():
        try:
            out[key] = float(value)
        except (TypeError, ValueError):
            continue
    return out
