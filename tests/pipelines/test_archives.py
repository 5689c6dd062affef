"""Archive recordings a church has: each container is read by its named demuxer, processed
end to end, and read back; anything else is still refused."""

from __future__ import annotations

import subprocess

import pytest

from pipelines.media.audio import encode_audio_step
from pipelines.media.errors import MediaRejected
from pipelines.media.probe import probe_media, probe_step
from pipelines.media.video import encode_video_step

from .conftest import decodes_to_the_end, ffprobe, make

LAVFI_TONE = ["-f", "lavfi", "-i", "sine=f=440:sample_rate=48000:d=3"]

# name: (file name, ffmpeg output options, the demuxer we must name)
AUDIO_ARCHIVES: dict[str, tuple[str, list[str], str]] = {
    "windows media audio": ("talk.wma", ["-c:a", "wmav2"], "asf"),
    "apple aiff": ("talk.aiff", ["-c:a", "pcm_s16be"], "aiff"),
    "apple lossless": ("talk.m4a", ["-c:a", "alac"], "mov"),
    "opus voice memo": ("memo.opus", ["-c:a", "libopus", "-b:a", "24k"], "ogg"),
    "3gp voice memo": ("memo.3gp", ["-c:a", "aac", "-ar", "16000", "-ac", "1"], "mov"),
}


def encoders() -> str:
    return subprocess.run(
        ["ffmpeg", "-hide_banner", "-encoders"], capture_output=True, text=True, check=True
    ).stdout


@pytest.mark.parametrize("kind", sorted(AUDIO_ARCHIVES))
def test_archive_audio_is_accepted_and_plays_to_the_end(make_ctx, media, out_root, kind):
    name, options, demuxer = AUDIO_ARCHIVES[kind]
    source = make(media / name, *LAVFI_TONE, *options)
    ctx = make_ctx(source)
    ctx.previous["probe"] = probe_step(ctx)
    assert ctx.previous["probe"].data["probe"]["demuxer"] == demuxer
    encode_audio_step(ctx)
    playlist = out_root / "hls/audio_128k/index.m3u8"
    assert abs(decodes_to_the_end(playlist) - 3.0) <= 0.2
    mp3 = ffprobe(out_root / "download/audio.mp3")
    assert abs(float(mp3["format"]["duration"]) - 3.0) <= 0.2


def test_amr_voice_memo_is_named_by_its_demuxer(media, settings):
    if " amr_nb " not in encoders() and " libopencore_amrnb " not in encoders():
        pytest.skip("this ffmpeg has no AMR encoder to make a sample with (it decodes AMR)")
    source = make(media / "memo.amr", *LAVFI_TONE, "-ar", "8000", "-ac", "1")
    assert probe_media(source, settings).demuxer == "amr"


@pytest.mark.parametrize("muxer", ["au", "voc"])
def test_containers_outside_the_allowlist_are_still_refused(media, settings, muxer):
    source = make(media / f"tone.{muxer}", *LAVFI_TONE, "-f", muxer)
    assert subprocess.run(["ffprobe", "-v", "error", str(source)]).returncode == 0  # readable
    with pytest.raises(MediaRejected, match="not in a container we accept"):
        probe_media(source, settings)


VIDEO_ARCHIVES: dict[str, tuple[str, list[str], str]] = {
    "windows media video": ("service.wmv", ["-c:v", "wmv2", "-c:a", "wmav2"], "asf"),
    "dvd vob": ("VTS_01_1.vob", ["-c:v", "mpeg2video", "-c:a", "mp2", "-f", "vob"], "mpeg"),
    "mpeg-1": ("service.mpg", ["-c:v", "mpeg1video", "-c:a", "mp2"], "mpeg"),
    "avi": ("service.avi", ["-c:v", "mpeg4", "-c:a", "libmp3lame"], "avi"),
    "3gp phone video": (
        "phone.3gp",
        ["-c:v", "h263", "-s", "176x144", "-c:a", "aac", "-ar", "16000", "-ac", "1"],
        "mov",
    ),
}


@pytest.mark.parametrize("kind", sorted(VIDEO_ARCHIVES))
def test_archive_video_is_accepted_and_plays_to_the_end(make_ctx, media, out_root, kind):
    name, options, demuxer = VIDEO_ARCHIVES[kind]
    source = make(
        media / name, "-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=3", *LAVFI_TONE,
        *options, "-shortest",
    )  # fmt: skip
    ctx = make_ctx(source)
    ctx.previous["probe"] = probe_step(ctx)
    assert ctx.previous["probe"].data["probe"]["demuxer"] == demuxer
    result = encode_video_step(ctx)
    for variant in result.data["variants"]:
        if not variant.get("iframes_only"):
            played = decodes_to_the_end(out_root / "hls" / variant["uri"])
            assert abs(played - 3.0) <= 0.2, (kind, variant["uri"], played)
