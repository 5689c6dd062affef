"""Captions in HLS (RFC 8216 §4.4.6.1): the one-segment subtitles playlist for a WebVTT file and
the name players show for its language. The master's SUBTITLES group is pipelines.media.hls's."""

from __future__ import annotations

import math

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
