"""Long audio for size-limited providers: a compact speech track, cut at silences, merged back.

OpenAI takes uploads up to 25 MB. A mono 16 kHz MP3 at 32 kb/s is 14.4 MB an hour and loses
nothing a speech model uses, so most sermons go up in one piece; longer ones are cut where
someone pauses (silencedetect), so no word straddles a cut. Where no pause falls in range the
cut is hard and both neighbours read PAD_S past it; on merging, a word belongs to the chunk its
midpoint falls in, so a word at a cut is kept exactly once.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

from pipelines.media.errors import MediaRejected
from pipelines.media.probe import FORMAT_WHITELIST, input_args
from pipelines.media.runner import FFMPEG, Cancel, run_ffmpeg, run_ffprobe
from pipelines.transcription import Segment, Transcript, Word

PROBE_TIMEOUT_S = 30.0
SPEECH_BITRATE = "32k"
SPEECH_RATE = "16000"
# Pauses this long and this quiet are where a speaker draws breath between phrases.
SILENCE_DB = -35
SILENCE_MIN_S = 0.3
# Read this far past a hard cut on both sides so the word under the cut is whole in one chunk.
PAD_S = 2.0
# Leave room for the MP3 header and bitrate wobble under the provider's limit.
SIZE_MARGIN = 0.9


@dataclass(frozen=True)
class Chunk:
    """[start, end) is the span this chunk owns; [read_start, read_end] is what is uploaded."""

    index: int
    start: float
    end: float
    read_start: float
    read_end: float

    @property
    def read_duration(self) -> float:
        return self.read_end - self.read_start


def _own_mp3(path: Path) -> list[str]:
    """Input args for a track this module wrote: still named, still local-file only."""
    return ["-protocol_whitelist", "file", "-f", "mp3", "-i", f"file:{path.resolve()}"]


def encode_speech_track(
    source: Path, dest: Path, *, demuxer: str | None, timeout: float, cancel: Cancel | None = None
) -> Path:
    """The source's audio as a compact mono 16 kHz MP3: what speech models are trained on.

    `demuxer` is the probe's; without one (a provider run alone) the allowlist still keeps
    playlist and concat demuxers out."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    if demuxer:
        source_args = input_args(source, demuxer)
    else:
        source_args = ["-protocol_whitelist", "file", "-format_whitelist", FORMAT_WHITELIST]
        source_args += ["-i", f"file:{source.resolve()}"]
    run_ffmpeg(
        [FFMPEG, "-y", *source_args, "-map", "0:a:0", "-vn", "-ac", "1", "-ar", SPEECH_RATE,
         "-c:a", "libmp3lame", "-b:a", SPEECH_BITRATE, "-f", "mp3", str(dest)],
        timeout=timeout, cwd=dest.parent, cancel=cancel,
    )  # fmt: skip
    return dest


def audio_duration(path: Path, *, cancel: Cancel | None = None) -> float:
    stats = run_ffprobe(
        ["-v", "error", "-protocol_whitelist", "file", "-f", "mp3", "-show_entries",
         "format=duration", "-of", "default=nw=1:nk=1", f"file:{path.resolve()}"],
        timeout=PROBE_TIMEOUT_S, cwd=path.parent, cancel=cancel,
    )  # fmt: skip
    try:
        return float(stats.stdout.decode().strip())
    except ValueError:
        raise MediaRejected("the audio track has no duration") from None


_SILENCE = re.compile(r"silence_(start|end): (-?[0-9.]+)")


def detect_silences(
    track: Path, *, timeout: float, cancel: Cancel | None = None
) -> list[tuple[float, float]]:
    """(start, end) of each pause, from ffmpeg's silencedetect filter log."""
    log = track.with_suffix(".silences.log")
    run_ffmpeg(
        [FFMPEG, *_own_mp3(track),
         "-af", f"silencedetect=noise={SILENCE_DB}dB:d={SILENCE_MIN_S}", "-f", "null", "-"],
        timeout=timeout, cwd=track.parent, cancel=cancel, stderr_path=log,
    )  # fmt: skip
    silences: list[tuple[float, float]] = []
    start: float | None = None
    for kind, value in _SILENCE.findall(log.read_text(errors="replace")):
        if kind == "start":
            start = max(float(value), 0.0)
        elif start is not None:
            silences.append((start, float(value)))
            start = None
    return silences


def plan_chunks(
    duration: float, size_bytes: int, max_bytes: int, silences: list[tuple[float, float]]
) -> list[Chunk]:
    """Cut points so each upload stays under `max_bytes`; pure, so it is tested without ffmpeg.

    The track is constant bitrate, so bytes are proportional to seconds. Each cut is the latest
    pause midpoint in the second half of the allowed span, else a hard cut with padding.
    """
    if size_bytes <= max_bytes or duration <= 0:
        return [Chunk(0, 0.0, duration, 0.0, duration)]
    bytes_per_s = size_bytes / duration
    budget_s = max_bytes * SIZE_MARGIN / bytes_per_s - 2 * PAD_S
    if budget_s <= 1.0:
        raise MediaRejected("the provider's upload limit is too small to cut this audio into")
    pauses = sorted((a + b) / 2 for a, b in silences)
    cuts: list[tuple[float, bool]] = []  # (time, hard)
    start = 0.0
    while duration - start > budget_s:
        latest = start + budget_s
        in_range = [p for p in pauses if start + budget_s / 2 < p <= latest]
        cut, hard = (in_range[-1], False) if in_range else (latest, True)
        cuts.append((cut, hard))
        start = cut
    chunks: list[Chunk] = []
    edges = [(0.0, False), *cuts, (duration, False)]
    for index, ((start, hard_before), (end, hard_after)) in enumerate(
        zip(edges, edges[1:], strict=False)
    ):
        read_start = max(start - PAD_S, 0.0) if hard_before else start
        read_end = min(end + PAD_S, duration) if hard_after else end
        chunks.append(Chunk(index, start, end, read_start, read_end))
    return chunks


def cut_chunk(
    track: Path, chunk: Chunk, dest: Path, *, timeout: float, cancel: Cancel | None = None
) -> Path:
    """One chunk as its own MP3; re-encoded so it starts exactly at read_start (a frame-exact
    stream copy would be off by up to a frame, and offsets are added to every word)."""
    seek = ["-ss", f"{chunk.read_start:.3f}", "-t", f"{chunk.read_duration:.3f}"]
    run_ffmpeg(
        [FFMPEG, "-y", *seek, *_own_mp3(track), "-ac", "1", "-ar", SPEECH_RATE,
         "-c:a", "libmp3lame", "-b:a", SPEECH_BITRATE, "-f", "mp3", str(dest)],
        timeout=timeout, cwd=dest.parent, cancel=cancel,
    )  # fmt: skip
    return dest


def merge_chunks(
    parts: list[tuple[Chunk, Transcript]], *, provider: str, language: str
) -> Transcript:
    """One transcript from per-chunk ones: times moved by each chunk's read start, and each word
    and segment kept only in the chunk that owns its midpoint."""
    words: list[Word] = []
    segments: list[Segment] = []
    texts: list[str] = []
    ordered = sorted(parts, key=lambda p: p[0].index)
    for position, (chunk, part) in enumerate(ordered):
        shifted = part.shifted(chunk.read_start)
        end = math.inf if position == len(ordered) - 1 else chunk.end
        words.extend(w for w in shifted.words if chunk.start <= _mid(w.start, w.end) < end)
        kept = [
            _trim_padding(s, shifted.words, chunk.start, end)
            for s in shifted.segments
            if chunk.start <= _mid(s.start, s.end) < end
        ]
        segments.extend(s for s in kept if s.text)
        if shifted.segments:
            texts.extend(s.text for s in kept if s.text)
        elif part.text.strip():
            texts.append(part.text.strip())
    return Transcript(
        provider=provider,
        language=language,
        text=" ".join(texts),
        segments=segments,
        words=words,
    )


def _mid(start: float, end: float) -> float:
    return (start + end) / 2


def _trim_padding(segment: Segment, words: list[Word], start: float, end: float) -> Segment:
    """A segment that runs into the padding read past a hard cut loses the words heard there
    (the neighbour owns them). Words, not characters, are counted: segment text keeps its
    punctuation, which whisper's word list drops."""
    inside = [w for w in words if segment.start <= _mid(w.start, w.end) <= segment.end]
    lead = sum(1 for w in inside if _mid(w.start, w.end) < start)
    trail = sum(1 for w in inside if _mid(w.start, w.end) >= end)
    tokens = segment.text.split()
    if lead or trail:
        tokens = tokens[lead : len(tokens) - trail]
    return Segment(
        start=max(segment.start, start),
        end=min(segment.end, end),
        text=" ".join(tokens),
        speaker=segment.speaker,
    )
