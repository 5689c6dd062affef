"""The `captions` step: WebVTT and SRT from the transcript's word timings, built to caption norms,
and the WebVTT added to the HLS master as a SUBTITLES rendition (pipelines.media.hls.build_master).

Norms (BBC and Netflix timed-text guidelines, as most broadcasters use them): at most 42
characters a line and 2 lines a cue; a cue on screen 1 to 7 seconds; a cue ends at a sentence
end where it can, else at a clause end, and a new speaker starts a new cue with a label.

Libraries: webvtt-py writes both formats (timestamps, cue blocks, SRT numbering, stripping the
WebVTT voice tag from SRT) and reads them back in the tests. deepgram-captions was tried first:
its converters group a fixed number of words per cue on one line (8 by default) and cannot
honour a character limit, two lines or a duration window, and our words come from either
provider already normalised, so the cue building below is ours.
"""

from __future__ import annotations

import html
import io
import posixpath
import re
from dataclasses import dataclass, field

import msgspec
import webvtt

from pipelines.context import AssetOut, StepContext, StepResult
from pipelines.media.added_track import added_tracks_in, master_with_tracks
from pipelines.media.hls import Subtitle, Variant
from pipelines.transcription import Word
from pipelines.transcription.subtitles import language_name, subtitles_playlist

MASTER_KEY = "hls/master.m3u8"
ENCODE_STEPS = ("encode_audio", "encode_video")

_SENTENCE_END = re.compile(r"[.?!…][\"'”’)\]]*$")
_CLAUSE_END = re.compile(r"[,;:—–][\"'”’)\]]*$")


@dataclass(frozen=True)
class CaptionRules:
    max_line_chars: int = 42
    max_lines: int = 2
    min_cue_s: float = 1.0
    max_cue_s: float = 7.0
    # A pause this long ends a cue: text should not hang on screen over silence.
    pause_s: float = 1.5
    # A clause end is a break only if the cue before it holds this share of the text.
    min_clause_share: float = 0.3


@dataclass
class Cue:
    start: float
    end: float
    lines: list[str]
    speaker: int | None = None
    label: str = ""  # "[Speaker 2]" on the first cue of a speaker's turn, when diarised
    words: list[Word] = field(default_factory=list)


def ends_sentence(word: str) -> bool:
    return bool(_SENTENCE_END.search(word))


def ends_clause(word: str) -> bool:
    return bool(_CLAUSE_END.search(word))


def split_lines(tokens: list[str], rules: CaptionRules) -> list[str] | None:
    """The tokens as at most `max_lines` lines of at most `max_line_chars`, or None if they do
    not fit. Two lines break after a clause where possible, else as evenly as possible, the
    bottom line the longer one (it reads better and covers less of the picture)."""
    limit = rules.max_line_chars
    whole = " ".join(tokens)
    if len(whole) <= limit:
        return [whole]
    if rules.max_lines < 2:
        return None
    best: tuple[float, list[str]] | None = None
    for k in range(1, len(tokens)):
        top, bottom = " ".join(tokens[:k]), " ".join(tokens[k:])
        if len(top) > limit or len(bottom) > limit:
            continue
        score = abs(len(top) - len(bottom)) + (2 if len(top) > len(bottom) else 0)
        if ends_sentence(tokens[k - 1]) or ends_clause(tokens[k - 1]):
            score -= 12
        if best is None or score < best[0]:
            best = (score, [top, bottom])
    return best[1] if best else None


def _hard_wrap(tokens: list[str], limit: int) -> list[str]:
    """Last resort for a single token longer than a line (a URL): cut it."""
    text = " ".join(tokens)
    return [text[i : i + limit] for i in range(0, len(text), limit)]


def build_cues(words: list[Word], rules: CaptionRules | None = None) -> list[Cue]:
    """Group words into cues to the rules above, then time them (see `_retime`)."""
    rules = rules or CaptionRules()
    diarised = any(w.speaker is not None for w in words)
    cues: list[Cue] = []
    current: list[Word] = []

    def label_for(group: list[Word]) -> str:
        speaker = group[0].speaker
        if not diarised or speaker is None or (cues and cues[-1].speaker == speaker):
            return ""
        return f"[Speaker {speaker + 1}]"  # people count speakers from one

    def fits(group: list[Word]) -> bool:
        label = label_for(group)
        tokens = ([label] if label else []) + [w.word for w in group]
        too_long = group[-1].end - group[0].start > rules.max_cue_s
        return not too_long and split_lines(tokens, rules) is not None

    def close(count: int) -> None:
        group = current[:count]
        del current[:count]
        label = label_for(group)
        tokens = ([label] if label else []) + [w.word for w in group]
        lines = split_lines(tokens, rules) or _hard_wrap(tokens, rules.max_line_chars)
        cues.append(Cue(group[0].start, group[-1].end, lines, group[0].speaker, label, group))

    for word in words:
        if current:
            turn = diarised and word.speaker != current[0].speaker
            if turn or word.start - current[-1].end > rules.pause_s:
                close(len(current))
            elif not fits([*current, word]):
                close(_best_break(current, rules))
                if current and not fits([*current, word]):
                    close(len(current))
        current.append(word)
        if ends_sentence(word.word) and word.end - current[0].start >= rules.min_cue_s:
            close(len(current))
    if current:
        close(len(current))
    _retime(cues, rules)
    return cues


def _best_break(group: list[Word], rules: CaptionRules) -> int:
    """How many words of a full cue to keep: up to its last sentence end (if that stays up long
    enough to read), else its last clause end if that keeps enough of the text, else all."""
    for index in range(len(group) - 1, 0, -1):
        head_s = group[index - 1].end - group[0].start
        if ends_sentence(group[index - 1].word) and head_s >= rules.min_cue_s:
            return index
    total = sum(len(w.word) + 1 for w in group)
    for index in range(len(group) - 1, 0, -1):
        head = sum(len(w.word) + 1 for w in group[:index])
        if ends_clause(group[index - 1].word) and head >= rules.min_clause_share * total:
            return index
    return len(group)


def _retime(cues: list[Cue], rules: CaptionRules) -> None:
    """Each cue stays at least min_cue_s (a shorter flash cannot be read): it is held into the
    gap after it, and where the next cue follows at once, that cue starts a little later. Cues
    never overlap, and none stays past max_cue_s."""
    previous_end = 0.0
    for cue in cues:
        cue.start = max(cue.start, previous_end)
        cue.end = max(cue.end, cue.start + rules.min_cue_s)
        cue.end = min(cue.end, cue.start + rules.max_cue_s)
        previous_end = cue.end


def _timestamp(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def to_webvtt(cues: list[Cue]) -> str:
    """WebVTT; a diarised cue carries a voice span (`<v Speaker 1>`) players can style."""
    captions = []
    for cue in cues:
        lines = [html.escape(line, quote=False) for line in cue.lines]
        if cue.speaker is not None:
            lines[0] = f"<v Speaker {cue.speaker + 1}>{lines[0]}"
        captions.append(webvtt.Caption(_timestamp(cue.start), _timestamp(cue.end), lines))
    return webvtt.WebVTT(captions=captions).content


def to_srt(cues: list[Cue]) -> str:
    """SubRip: the same cues, plain text (SRT has no voice span; the visible label remains)."""
    captions = [webvtt.Caption(_timestamp(c.start), _timestamp(c.end), list(c.lines)) for c in cues]
    buffer = io.StringIO()
    webvtt.WebVTT(captions=captions).write(buffer, format="srt")
    return buffer.getvalue()


def captions_step(ctx: StepContext) -> StepResult:
    """Captions from the `transcribe` result. No transcript (no provider is set) is a skip, said
    on the job; a transcript with no words (a silent recording) a success with nothing to add."""
    previous = ctx.previous.get("transcribe")
    if previous is None:
        return StepResult(skipped="there is no transcript to caption")
    raw_words = previous.data.get("words", [])
    words = msgspec.convert(raw_words, list[Word])
    if not words:
        return StepResult()
    language = str(previous.data.get("language") or ctx.metadata.language) if previous else "en"
    cues = build_cues(words)
    vtt_key, srt_key = f"captions/{language}.vtt", f"captions/{language}.srt"
    vtt_size = ctx.outputs.put_bytes(vtt_key, to_webvtt(cues).encode())
    srt_size = ctx.outputs.put_bytes(srt_key, to_srt(cues).encode())
    assets = [
        AssetOut(
            kind="captions", key=vtt_key, mime_type="text/vtt", bytes=vtt_size, language=language
        ),
        AssetOut(
            kind="captions",
            key=srt_key,
            mime_type="application/x-subrip",
            bytes=srt_size,
            language=language,
        ),
    ]
    playlist_key = f"captions/{language}.m3u8"
    duration = _media_duration(ctx, cues)
    ctx.outputs.put_bytes(playlist_key, subtitles_playlist(f"{language}.vtt", duration).encode())
    master_key = _master_key(ctx)
    subtitle = Subtitle(
        uri=posixpath.relpath(playlist_key, posixpath.dirname(master_key)),
        language=language,
        name=language_name(language),
    )
    republished = _republish_master(ctx, master_key, subtitle)
    # Caption objects sit under the generation, cached as immutable: a retried step that wrote
    # different cues must drop them from the CDN too, not only the master.
    invalidate = [master_key] if republished else []
    invalidate += [playlist_key, vtt_key, srt_key]
    return StepResult(
        assets=assets,
        data={
            "subtitles": [msgspec.to_builtins(subtitle)],  # publish keeps them on a re-publish
            "invalidate": invalidate,
            "cues": len(cues),
        },
    )


def _media_duration(ctx: StepContext, cues: list[Cue]) -> float:
    probe = ctx.previous.get("probe")
    duration = float(probe.data.get("duration") or 0.0) if probe else 0.0
    return max(duration, cues[-1].end if cues else 0.0)


def _master_key(ctx: StepContext) -> str:
    for step in ("publish", *ENCODE_STEPS):
        result = ctx.previous.get(step)
        if result is not None and result.data.get("master_key"):
            return str(result.data["master_key"])
    return MASTER_KEY


def _republish_master(ctx: StepContext, master_key: str, subtitle: Subtitle) -> bool:
    """Write the master again, from the encode's variants, with the SUBTITLES group. Only once
    the generation is published (otherwise publish writes it, with `data["subtitles"]`)."""
    encode = next((ctx.previous[s] for s in ENCODE_STEPS if s in ctx.previous), None)
    if "publish" not in ctx.previous or encode is None or not encode.data.get("variants"):
        return False
    variants = msgspec.convert(encode.data["variants"], list[Variant])
    # Audio tracks added to the generation since stay in it.
    _, master = master_with_tracks(variants, added_tracks_in(ctx.previous), [subtitle])
    ctx.outputs.put_bytes(master_key, master.encode(), live=False)
    return True


__all__ = [
    "CaptionRules",
    "Cue",
    "build_cues",
    "captions_step",
    "split_lines",
    "to_srt",
    "to_webvtt",
]
