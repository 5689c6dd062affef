"""A story's text as it is read aloud: each word with the second the narrator says it, so the
page can highlight the text being read.

With the transcript's word timings, the story's own written text is kept (the creator's
spelling and paragraphs, not the recogniser's) and each of its words takes the time of the
transcript word it matches, walking both in order; a word the recogniser missed or misheard
has no time and is passed over by the highlight. When too few words match (a narration that
tells the story in other words), the transcript's own words are shown. Without word timings the
transcript's segments are highlighted one sentence at a time; without a transcript the text is
shown as written."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

# How far ahead in the transcript a story word is looked for: a few words a recogniser dropped
# or split are skipped, without letting a common word ("the") jump a whole sentence ahead.
LOOKAHEAD = 6
# Below this share of the story's words matched, the text read is not the text written.
MIN_MATCHED = 0.5

_NOT_LETTERS = re.compile(r"[^\w]+")


@dataclass
class Piece:
    text: str
    start: float | None = None
    end: float | None = None


@dataclass
class Reading:
    by: Literal["word", "sentence", "none"]
    paragraphs: list[list[Piece]] = field(default_factory=list)


def _key(word: str) -> str:
    return _NOT_LETTERS.sub("", word.lower())


def _timed(words: list[dict[str, Any]]) -> list[tuple[str, float, float]]:
    return [(str(w["word"]).strip(), float(w["start"]), float(w["end"])) for w in words]


def _aligned(text: str, words: list[tuple[str, float, float]]) -> tuple[list[list[Piece]], int]:
    keys = [_key(word) for word, _, _ in words]
    paragraphs: list[list[Piece]] = []
    matched = 0
    at = 0
    for block in re.split(r"\n\s*\n|\n", text.strip()):
        pieces: list[Piece] = []
        for token in block.split():
            key = _key(token)
            found = next(
                (k for k in range(at, min(at + LOOKAHEAD, len(keys))) if key and keys[k] == key),
                None,
            )
            if found is None:
                pieces.append(Piece(token))
                continue
            pieces.append(Piece(token, words[found][1], words[found][2]))
            matched += 1
            at = found + 1
        if pieces:
            paragraphs.append(pieces)
    return paragraphs, matched


def reading(text: str, words: list[dict[str, Any]], segments: list[dict[str, Any]]) -> Reading:
    timed = _timed(words)
    if timed:
        paragraphs, matched = _aligned(text, timed)
        total = sum(len(p) for p in paragraphs)
        if total and matched >= MIN_MATCHED * total:
            return Reading(by="word", paragraphs=paragraphs)
        return Reading(by="word", paragraphs=[[Piece(w, s, e) for w, s, e in timed]])
    if segments:
        sentences = [
            Piece(str(s["text"]).strip(), float(s["start"]), float(s["end"])) for s in segments
        ]
        return Reading(by="sentence", paragraphs=[sentences])
    blocks = [block.split() for block in re.split(r"\n\s*\n|\n", text.strip()) if block.strip()]
    return Reading(by="none", paragraphs=[[Piece(" ".join(block))] for block in blocks])
