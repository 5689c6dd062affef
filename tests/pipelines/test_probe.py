"""Probing: what an upload is, and refusals a person can read."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.media.errors import MediaRejected
from pipelines.media.probe import probe_media
from settings import load_settings

from .conftest import make


def test_mp3_with_cover_art_is_audio(tone_mp3_with_cover, settings):
    probe = probe_media(tone_mp3_with_cover, settings)
    assert probe.media_type == "audio"
    assert probe.cover_art_index is not None and probe.video is None
    assert probe.demuxer == "mp3" and abs(probe.duration - 3.0) < 0.2


def test_video_without_audio_is_video(odd_size_no_audio_mp4, settings):
    probe = probe_media(odd_size_no_audio_mp4, settings)
    assert probe.media_type == "video" and probe.audio is None
    assert probe.video is not None and (probe.video.width, probe.video.height) == (321, 241)


def test_rotated_phone_video_reports_its_upright_size(rotated_phone_mp4, settings):
    video = probe_media(rotated_phone_mp4, settings).video
    assert video is not None
    assert video.rotation in (90, 270)
    assert (video.display_width, video.display_height) == (180, 320)


def test_ten_bit_and_surround_and_variable_rate_are_described(
    hevc_10bit_mp4, surround_mkv, vfr_mp4, settings
):
    hevc = probe_media(hevc_10bit_mp4, settings).video
    assert hevc is not None and hevc.bit_depth == 10 and hevc.codec == "hevc"
    surround = probe_media(surround_mkv, settings)
    assert surround.demuxer == "matroska" and surround.audio is not None
    assert surround.audio.channels == 6
    vfr = probe_media(vfr_mp4, settings).video
    assert vfr is not None and vfr.variable_frame_rate


def test_narrowband_mono_is_described(mono_8k_wav, settings):
    audio = probe_media(mono_8k_wav, settings).audio
    assert audio is not None and (audio.sample_rate, audio.channels) == (8000, 1)


@pytest.mark.parametrize(
    ("override", "words"),
    [
        ({"media_max_duration_s": 1.0}, "minutes"),
        ({"media_max_width": 160, "media_max_height": 120}, "limit is 160x120"),
        ({"upload_max_bytes": 1000}, "MB"),
    ],
)
def test_over_the_limits_is_refused_saying_which(vertical_mp4, tmp_path, override, words):
    settings = load_settings(None, data_dir=str(tmp_path), **override)
    with pytest.raises(MediaRejected) as refused:
        probe_media(vertical_mp4, settings)
    assert words in str(refused.value)


def test_zero_bytes_is_refused_as_empty(tmp_path, settings):
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(MediaRejected, match="empty"):
        probe_media(empty, settings)


def test_text_named_mp3_is_refused(tmp_path, settings):
    text = tmp_path / "notes.mp3"
    text.write_text("Sermon notes: grace, mercy and peace.\n" * 50)
    with pytest.raises(MediaRejected):
        probe_media(text, settings)


def test_random_bytes_are_refused(tmp_path, settings):
    noise = tmp_path / "noise.m4a"
    noise.write_bytes(bytes((i * 7919 + 13) % 251 for i in range(200_000)))
    with pytest.raises(MediaRejected):
        probe_media(noise, settings)


def test_truncated_mp4_is_refused(vertical_mp4, tmp_path, settings):
    data = vertical_mp4.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(MediaRejected, match="truncated|damaged|read"):
        probe_media(cut, settings)


def test_truncated_mp4_with_index_first_is_refused(media, tmp_path, settings):
    faststart = make(
        media / "faststart.mp4", "-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=4",
        "-c:v", "libx264", "-preset", "ultrafast", "-movflags", "+faststart",
    )  # fmt: skip
    data = faststart.read_bytes()
    cut = tmp_path / "cut-faststart.mp4"
    cut.write_bytes(data[: len(data) // 3])
    with pytest.raises(MediaRejected, match="truncated|damaged"):
        probe_media(cut, settings)


def test_unsupported_container_is_refused_by_name(tmp_path, settings):
    # NUT is ffmpeg's own container: ffprobe reads it, no church's archive holds it.
    nut = make(tmp_path / "clip.nut", "-f", "lavfi", "-i", "testsrc2=s=160x120:d=1")
    with pytest.raises(MediaRejected, match="container"):
        probe_media(Path(nut), settings)
