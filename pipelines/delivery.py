"""CDN URLs of stored objects, as listeners fetch them."""

from __future__ import annotations

from urllib.parse import quote

from settings import Settings


def public_url(settings: Settings, key: str) -> str:
    return f"{settings.cdn_url}/{quote(key)}"
