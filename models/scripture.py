"""Scripture references ("John 3:16-18", "1 Cor 13", "Ps 23:1–6") as canonical verse ranges.

pythonbible does the parsing, the book names and abbreviations, and the chapter/verse bounds of
each book (so "John 3:40" is refused); we only normalise dashes and shape its answer.
"""

from __future__ import annotations

import re

import msgspec
import pythonbible

from models.errors import ScriptureError

# Typed references use en/em dashes and figure dashes as often as hyphens; pythonbible reads
# only "-", and silently drops the end of "Ps 23:1–6" otherwise.
_DASHES = re.compile("[\u2010-\u2015\u2212]")


class ScriptureRef(msgspec.Struct, frozen=True, kw_only=True):
    book: str
    chapter_start: int
    verse_start: int
    chapter_end: int
    verse_end: int
    text: str


def parse_reference(text: str) -> list[ScriptureRef]:
    """Every reference in `text` ("John 3:16, Rom 8:28" is two); ScriptureError if none."""
    cleaned = _DASHES.sub("-", text).strip()
    if not cleaned or len(cleaned) > 200:
        raise ScriptureError(
            f"{text!r} is not a scripture reference (write it like 'John 3:16-18')"
        )
    refs = pythonbible.get_references(cleaned)
    if not refs:
        raise ScriptureError(
            f"{text!r} is not a scripture reference: no book, chapter or verse of that name "
            "(write it like 'John 3:16-18', '1 Cor 13' or 'Ps 23:1-6')"
        )
    return [_shape(ref) for ref in refs]


def parse_references(texts: list[str]) -> list[ScriptureRef]:
    return [ref for text in texts for ref in parse_reference(text)]


def canonical_book(name: str) -> str | None:
    """The canonical title of a book named or abbreviated ("1 cor" → "1 Corinthians"), or None."""
    refs = pythonbible.get_references(f"{_DASHES.sub('-', name).strip()} 1")
    return refs[0].book.title if refs else None


def _shape(ref: pythonbible.NormalizedReference) -> ScriptureRef:
    if ref.end_book is not None and ref.end_book != ref.book:
        raise ScriptureError(
            "a reference stays within one book; list each book's passage on its own"
        )
    if ref.start_chapter is None or ref.end_chapter is None:
        raise ScriptureError(f"name a chapter of {ref.book.title} (like '{ref.book.title} 1')")
    # pythonbible reads "John 0:0" as chapter 0, verse 0: chapters and verses count from 1.
    if ref.start_chapter < 1 or ref.start_verse == 0 or ref.end_verse == 0:
        raise ScriptureError(
            f"{ref.book.title}: chapters and verses count from 1 (like '{ref.book.title} 1:1')"
        )
    # A whole chapter ("1 Cor 13") comes back without verses: it is verse 1 to the chapter's last.
    verse_start = ref.start_verse or 1
    verse_end = ref.end_verse or pythonbible.get_number_of_verses(ref.book, ref.end_chapter)
    return ScriptureRef(
        book=ref.book.title,
        chapter_start=ref.start_chapter,
        verse_start=verse_start,
        chapter_end=ref.end_chapter,
        verse_end=verse_end,
        text=pythonbible.format_single_reference(ref),
    )
