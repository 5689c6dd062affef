"""Opaque keyset cursors: the sort key and id of a page's last item, so pages never skip or repeat
when new sermons are published while a listener scrolls."""

from __future__ import annotations

import base64
import binascii

import msgspec

from models.errors import BadCursor


class Cursor(msgspec.Struct, array_like=True, frozen=True):
    key: float | str  # rank (search) or published_at ISO text (listing)
    id: str


def encode_cursor(key: float | str, content_id: str) -> str:
    return (
        base64.urlsafe_b64encode(msgspec.json.encode(Cursor(key, content_id))).decode().rstrip("=")
    )


def decode_cursor(text: str) -> Cursor:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        return msgspec.json.decode(raw, type=Cursor)
    except (binascii.Error, ValueError, msgspec.DecodeError):
        raise BadCursor("the cursor is not one this API gave out; start again without it") from None
