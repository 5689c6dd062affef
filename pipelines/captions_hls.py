"""Captions in HLS (RFC 8216 §4.4.6.1): a one-segment subtitles playlist and a SUBTITLES group
added to an existing master playlist, idempotently so a retried step leaves the same master."""

from __future__ import annotations

import math
import re

GROUP_ID = "subs"

# Names players show in their captions menu; anything else shows its language code.
_LANGUAGE_NAMES = {
    "en": "English",
    "es": "Español",
    "fr": "Français",
    "de": "Deutsch",
    "pt": "Português",
    "it": "Italiano",
    "nl": "Nederlands",
    "ko": "한국어",
    "zh": "中文",
    "ja": "日本語",
    "sw": "Kiswahili",
    "yo": "Yorùbá",
    "ru": "Русский",
    "uk": "Українська",
    "pl": "Polski",
}
_SUBTITLES_MEDIA = re.compile(r"^#EXT-X-MEDIA:(?=.*TYPE=SUBTITLES)(?=.*LANGUAGE=\"([^\"]*)\")")


def language_name(language: str) -> str:
    return _LANGUAGE_NAMES.get(language.split("-")[0].lower(), language)


def subtitles_playlist(vtt_uri: str, duration: float) -> str:
    """The whole WebVTT file as one segment: a sermon's captions are small, and one segment means
    one request and no cue split across segment edges."""
    target = max(math.ceil(duration), 1)
    return "\n".join(
        [
            "#EXTM3U",
            "#EXT-X-VERSION:3",
            f"#EXT-X-TARGETDURATION:{target}",
            "#EXT-X-MEDIA-SEQUENCE:0",
            "#EXT-X-PLAYLIST-TYPE:VOD",
            f"#EXTINF:{max(duration, 0.001):.3f},",
            vtt_uri,
            "#EXT-X-ENDLIST",
            "",
        ]
    )


def add_subtitles_to_master(master_text: str, uri: str, language: str, name: str) -> str:
    """The master with one SUBTITLES rendition for `language` (replacing an older one for the same
    language) and every variant stream (EXT-X-STREAM-INF) pointing at the group."""
    media = (
        f'#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="{GROUP_ID}",NAME="{name}",LANGUAGE="{language}",'
        f'DEFAULT=NO,AUTOSELECT=YES,FORCED=NO,URI="{uri}"'
    )
    lines = [
        line
        for line in master_text.splitlines()
        if not ((m := _SUBTITLES_MEDIA.match(line)) and m.group(1) == language)
    ]
    out: list[str] = []
    inserted = False
    for line in lines:
        if line.startswith("#EXT-X-STREAM-INF:") and not inserted:
            out.append(media)
            inserted = True
        if line.startswith("#EXT-X-STREAM-INF:") and "SUBTITLES=" not in line:
            line = f'{line},SUBTITLES="{GROUP_ID}"'
        out.append(line)
    if not inserted:
        out.append(media)
    # Keep the EXT-X-MEDIA lines together: move ours after the last existing one.
    return _group_media(out, media) + "\n"


def _group_media(lines: list[str], media: str) -> str:
    lines = [line for line in lines if line != media]
    last_media = max(
        (i for i, line in enumerate(lines) if line.startswith("#EXT-X-MEDIA:")), default=-1
    )
    first_stream = next(
        (i for i, line in enumerate(lines) if line.startswith("#EXT-X-STREAM-INF:")), len(lines)
    )
    at = last_media + 1 if 0 <= last_media < first_stream else first_stream
    lines.insert(at, media)
    return "\n".join(lines)
