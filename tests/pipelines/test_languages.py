"""More than one language: each audio track becomes a normalised rendition of the master's
audio group with its LANGUAGE and NAME, one default, and the MP3 is of the default track."""

from __future__ import annotations

import array
import re
import subprocess
from pathlib import Path

import pytest

from pipelines.media.added_track import add_audio_track_step
from pipelines.media.probe import probe_step
from pipelines.media.video import encode_video_step

from .conftest import ffprobe, integrated_loudness, make


@pytest.fixture(scope="session")
def interpreted_mkv(media: Path) -> Path:
    """The preacher (a quiet 300 Hz tone, English) and the interpreter (a louder 600 Hz tone,
    Spanish, titled), as an editor exports a service with its translation."""
    return make(
        media / "interpreted.mkv", "-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=3",
        "-f", "lavfi", "-i", "sine=f=300:d=3", "-f", "lavfi", "-i", "sine=f=600:d=3",
        "-filter_complex", "[1]volume=-24dB[en];[2]volume=-6dB[es]",
        "-map", "0", "-map", "[en]", "-map", "[es]",
        "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac",
        "-metadata:s:a:0", "language=eng", "-metadata:s:a:1", "language=spa",
        "-metadata:s:a:1", "title=Español (intérprete)",
    )  # fmt: skip


def media_tags(master: str) -> list[dict[str, str]]:
    found = []
    for line in master.splitlines():
        if line.startswith("#EXT-X-MEDIA:"):
            found.append(
                {m[0]: m[1].strip('"') for m in re.findall(r'([A-Z-]+)=("[^"]*"|[^,]*)', line)}
            )
    return found


def dominant_hz(path: Path) -> float:
    """The tone's frequency, from zero crossings of the decoded first channel."""
    raw = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-protocol_whitelist", "file", "-i", str(path),
         "-map", "0:a:0", "-ac", "1", "-ar", "48000", "-t", "2", "-f", "s16le", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    samples = array.array("h", raw)[4800:]
    crossings = sum(1 for a, b in zip(samples, samples[1:], strict=False) if a < 0 <= b)
    return crossings / (len(samples) / 48000)


def test_two_tracks_become_two_named_renditions_one_default(make_ctx, interpreted_mkv, out_root):
    ctx = make_ctx(interpreted_mkv, language="en")
    ctx.previous["probe"] = probe_step(ctx)
    result = encode_video_step(ctx)
    master = (out_root / "hls/master.m3u8").read_text()
    audio = [t for t in media_tags(master) if t["TYPE"] == "AUDIO"]
    assert [(t["LANGUAGE"], t["NAME"], t["DEFAULT"]) for t in audio] == [
        ("en", "English", "YES"),
        ("es", "Español (intérprete)", "NO"),
    ]
    for tag in audio:
        playlist = out_root / "hls" / tag["URI"]
        assert abs(integrated_loudness(playlist) + 16) <= 1, tag  # each one normalised
    assert dominant_hz(out_root / "hls" / audio[0]["URI"]) == pytest.approx(300, rel=0.05)
    assert dominant_hz(out_root / "hls" / audio[1]["URI"]) == pytest.approx(600, rel=0.05)
    # Every video variant plays with the group; the audio-only variant is the default track.
    infs = [line for line in master.splitlines() if line.startswith("#EXT-X-STREAM-INF")]
    assert all('AUDIO="audio"' in line for line in infs if "RESOLUTION=" in line)
    # The download is the default (English) track, normalised too.
    mp3 = out_root / "download/audio.mp3"
    assert dominant_hz(mp3) == pytest.approx(300, rel=0.05)
    assert abs(integrated_loudness(mp3) + 16) <= 1
    assert ffprobe(mp3)["streams"][0]["codec_name"] == "mp3"
    kinds = sorted({a.kind for a in result.assets})
    assert kinds == ["audio_rendition", "hls_iframe", "hls_variant", "mp3"]


def test_an_interpreters_recording_added_later_joins_the_audio_group(
    make_ctx, vertical_mp4, media, out_root
):
    ctx = make_ctx(vertical_mp4, language="en")
    ctx.previous["probe"] = probe_step(ctx)
    ctx.previous["encode_video"] = encode_video_step(ctx)
    # Recorded on a phone in the booth: shorter than the service, a different tone.
    recording = make(
        media / "interpreter.m4a", "-f", "lavfi", "-i", "sine=f=600:d=2", "-af", "volume=-20dB",
        "-c:a", "aac",
    )  # fmt: skip
    added = make_ctx(recording, language="spa")
    added.previous = ctx.previous
    result = add_audio_track_step(added)
    audio = [t for t in media_tags((out_root / "hls/master.m3u8").read_text())]
    assert [(t["LANGUAGE"], t["NAME"], t["DEFAULT"]) for t in audio] == [
        ("en", "English", "YES"),
        ("es", "Español", "NO"),
    ]
    playlist = out_root / "hls" / audio[1]["URI"]
    info = ffprobe(playlist, "-protocol_whitelist", "file")
    assert float(info["format"]["duration"]) == pytest.approx(3.0, abs=0.1)  # as long as the video
    assert float(info["streams"][0]["start_time"]) == pytest.approx(0.0, abs=0.001)
    assert dominant_hz(playlist) == pytest.approx(600, rel=0.05)
    assert abs(integrated_loudness(playlist) + 16) <= 1.5
    assert result.assets[0].language == "es"
