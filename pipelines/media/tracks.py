"""A video's audio tracks as HLS audio renditions: which is the default, their folder names,
their LANGUAGE (BCP 47) and NAME, from the tags the recorder or editor wrote.

An interpreter's translation recorded as a second track is common in churches; each track
becomes one rendition of the master's audio group, the default one (the stream marked default,
else the first) listed first and downloaded as the MP3.
"""

from __future__ import annotations

import msgspec

from pipelines.media.probe import AudioInfo

__all__ = ["Track", "language_tag", "tracks_of"]

# ISO 639-2 (bibliographic and terminology codes, as containers write them) to the two-letter
# code BCP 47 asks for, with the name a listener picks from; languages a congregation is
# likely to hear. Any other well-formed code is passed on as it is (BCP 47 accepts three-letter
# primary tags that have no two-letter form).
LANGUAGES: dict[str, tuple[str, str]] = {
    "eng": ("en", "English"),
    "spa": ("es", "Español"),
    "por": ("pt", "Português"),
    "fre": ("fr", "Français"),
    "fra": ("fr", "Français"),
    "ger": ("de", "Deutsch"),
    "deu": ("de", "Deutsch"),
    "ita": ("it", "Italiano"),
    "dut": ("nl", "Nederlands"),
    "nld": ("nl", "Nederlands"),
    "kor": ("ko", "한국어"),
    "chi": ("zh", "中文"),
    "zho": ("zh", "中文"),
    "jpn": ("ja", "日本語"),
    "rus": ("ru", "Русский"),
    "ukr": ("uk", "Українська"),
    "pol": ("pl", "Polski"),
    "rum": ("ro", "Română"),
    "ron": ("ro", "Română"),
    "ara": ("ar", "العربية"),
    "heb": ("he", "עברית"),
    "hin": ("hi", "हिन्दी"),
    "swa": ("sw", "Kiswahili"),
    "tgl": ("tl", "Tagalog"),
    "vie": ("vi", "Tiếng Việt"),
    "ind": ("id", "Bahasa Indonesia"),
    "amh": ("am", "አማርኛ"),
    "yor": ("yo", "Yorùbá"),
    "ibo": ("ig", "Igbo"),
    "hau": ("ha", "Hausa"),
    "fil": ("fil", "Filipino"),
}
NAMES = {code: name for code, name in LANGUAGES.values()}
DEFAULT_FOLDER = "audio"


class Track(msgspec.Struct, kw_only=True, frozen=True):
    """One audio rendition of a video: the source stream it is made from and how it is listed."""

    stream: int  # the source's stream index
    folder: str  # "audio" for the default, "audio_2", "audio_3"... for the others
    language: str  # BCP 47 ("en", "es"), "und" when nobody said
    name: str  # what a player's language menu shows
    default: bool = False


def language_tag(raw: str) -> str:
    """A container's language tag as BCP 47: "eng" -> "en"; "und" when empty or unreadable."""
    code = raw.strip().lower().replace("_", "-")
    if code in LANGUAGES:
        return LANGUAGES[code][0]
    primary = code.split("-", 1)[0]
    if primary.isascii() and primary.isalpha() and 2 <= len(primary) <= 3 and primary != "und":
        return code
    return "und"


def _name(audio: AudioInfo, language: str, number: int) -> str:
    if audio.title.strip():
        return audio.title.strip()
    return NAMES.get(language.split("-", 1)[0], f"Track {number}")


def tracks_of(audios: list[AudioInfo], content_language: str) -> list[Track]:
    """Renditions for `audios` (the probe's order: default first). An untagged default track is
    in the content's own language; untagged others are undetermined."""
    tracks: list[Track] = []
    names: set[str] = set()
    for number, audio in enumerate(audios, start=1):
        language = language_tag(audio.language)
        if language == "und" and number == 1:
            language = language_tag(content_language)
        name = _name(audio, language, number)
        # NAME must differ within a group (RFC 8216 4.3.4.1.1): two untitled English tracks.
        name = name if name not in names else f"{name} ({number})"
        names.add(name)
        tracks.append(
            Track(
                stream=audio.index,
                folder=DEFAULT_FOLDER if number == 1 else f"{DEFAULT_FOLDER}_{number}",
                language=language,
                name=name,
                default=number == 1,
            )
        )
    return tracks
