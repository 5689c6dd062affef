"""Speech or music, second by second, from the audio alone: the evidence the sermon suggestion
uses when there is no transcript.

ffmpeg measures the loudness of every 100 ms (`astats`, printed by `ametadata`) of a 16 kHz mono
decode; `classify_seconds` (pure) then labels each second. Speech comes in syllables and pauses,
so its 100 ms loudness swings by many decibels within a second; sung or played music holds its
level. A second under -50 dBFS is quiet whatever it is.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from pipelines.context import StepContext, StepResult
from pipelines.media.probe import Probe, input_args, probe_of
from pipelines.media.runner import FFMPEG, Cancel, run_ffmpeg
from settings import Settings

__all__ = ["classify_seconds", "loudness_windows", "speech_profile", "speech_profile_step"]

Label = Literal["speech", "music", "quiet"]
WINDOWS_PER_S = 10
QUIET_DB = -50.0
# How far the loudest 100 ms of a second rises above the second's median, in dB, above which
# it is talk. Measured: espeak-ng speech 3.0-13.4 dB a second (median 6.5); a held chord under
# a melody 0.1-0.2 dB. Live music with drums swings more: the majority vote below and the
# suggestion's joining of short gaps absorb single seconds taken for the other.
SPEECH_SPREAD_DB = 4.0
# Each second takes the label most of the 5 seconds around it have.
SMOOTHING_S = 2
LEVELS_FILE = "levels.txt"


def classify_seconds(levels_db: Sequence[float]) -> list[Label]:
    """One label per whole second of 100 ms loudness levels (dBFS, -inf for digital silence)."""
    raw = _raw_labels(levels_db)
    smoothed: list[Label] = []
    for i in range(len(raw)):
        around = raw[max(0, i - SMOOTHING_S) : i + SMOOTHING_S + 1]
        smoothed.append(max(("speech", "music", "quiet"), key=around.count))  # type: ignore[arg-type]
    return smoothed


def _raw_labels(levels_db: Sequence[float]) -> list[Label]:
    labels: list[Label] = []
    for start in range(0, len(levels_db) - WINDOWS_PER_S + 1, WINDOWS_PER_S):
        second = [max(level, -120.0) for level in levels_db[start : start + WINDOWS_PER_S]]
        loud = [level for level in second if level > QUIET_DB]
        if len(loud) < WINDOWS_PER_S // 3:
            labels.append("quiet")
        # Pauses between words count: a quiet window next to loud ones is a swing too.
        elif max(second) - statistics.median(second) > SPEECH_SPREAD_DB:
            labels.append("speech")
        else:
            labels.append("music")
    return labels


def _parse_levels(text: str) -> list[float]:
    levels = []
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key.endswith("RMS_level"):
            try:
                levels.append(float(value))
            except ValueError:
                levels.append(float("-inf"))
    return levels


def loudness_windows(
    source: Path, probe: Probe, settings: Settings, work_dir: Path, cancel: Cancel | None = None
) -> list[float]:
    """The loudness of each 100 ms of the source's audio, in dBFS."""
    assert probe.audio is not None
    work_dir.mkdir(parents=True, exist_ok=True)
    window = 16000 // WINDOWS_PER_S
    chain = (
        f"aformat=channel_layouts=mono,aresample=16000,asetnsamples=n={window}:p=0,"
        "astats=metadata=1:reset=1:measure_perchannel=none,"
        f"ametadata=mode=print:key=lavfi.astats.Overall.RMS_level:file={LEVELS_FILE}"
    )
    cmd = [FFMPEG, "-v", "error", *input_args(source, probe.demuxer)]
    cmd += ["-map", f"0:{probe.audio.index}", "-af", chain, "-f", "null", "-"]
    run_ffmpeg(cmd, timeout=settings.ffmpeg_timeout_s, cwd=work_dir, cancel=cancel)
    return _parse_levels((work_dir / LEVELS_FILE).read_text())


def speech_profile(
    source: Path, probe: Probe, settings: Settings, work_dir: Path, cancel: Cancel | None = None
) -> list[Label]:
    """A label a second for the whole source."""
    if probe.audio is None:
        return []
    return classify_seconds(loudness_windows(source, probe, settings, work_dir, cancel))


def speech_profile_step(ctx: StepContext) -> StepResult:
    """The source's speech profile, kept on the job for the sermon suggestion."""
    probe = probe_of(ctx)
    profile = speech_profile(ctx.source, probe, ctx.settings, ctx.work_dir, ctx.cancel)
    return StepResult(data={"speech_profile": profile}, media_seconds=probe.duration)
