"""Audiograms read back: a video of the platform's shape with the cover, a waveform that moves
with the sound, and the captions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipelines.context import ContentMetadata
from pipelines.media.audiogram import render_audiogram
from pipelines.media.clips import ClipEdit, render_clip_step
from pipelines.media.probe import probe_media
from pipelines.media.trim import Cut

from .conftest import BEEP_S, RATE, ffprobe, make
from .test_clips import frame_at, top_level_boxes


@pytest.fixture(scope="session")
def beep_mp3_with_cover(media: Path, beep_wav: Path) -> Path:
    cover = make(media / "cover.png", "-f", "lavfi", "-i", "color=c=0xC03020:s=300x300:d=1",
                 "-frames:v", "1")  # fmt: skip
    return make(
        media / "beep.mp3", "-i", str(beep_wav), "-i", str(cover), "-map", "0", "-map", "1",
        "-c:a", "libmp3lame", "-c:v", "mjpeg", "-disposition:v", "attached_pic",
        "-id3v2_version", "3",
    )  # fmt: skip


def test_an_audiogram_shows_the_cover_and_a_waveform_that_moves(
    beep_mp3_with_cover, settings, tmp_path
) -> None:
    probe = probe_media(beep_mp3_with_cover, settings)
    out = tmp_path / "audiogram.mp4"
    edit = ClipEdit(aspect="1:1", captions=False)
    meta = ContentMetadata(title="The Good Shepherd", speaker="Pastor Ann Lee")
    # From 1 s to 3 s: silence for a second, then the beep.
    size, _ = render_audiogram(
        beep_mp3_with_cover, probe, Cut(start_s=1.0, end_s=3.0), edit, meta, out, settings,
        work_dir=tmp_path / "work",
    )  # fmt: skip
    assert size == (1080, 1080)
    video, audio = ffprobe(out)["streams"]
    assert (video["codec_name"], video["profile"], video["width"]) == ("h264", "High", 1080)
    assert audio["codec_name"] == "aac" and int(audio["sample_rate"]) == RATE
    boxes = top_level_boxes(out)
    assert boxes.index("moov") < boxes.index("mdat")
    quiet, loud = frame_at(out, 0.5), frame_at(out, BEEP_S - 1.0 + 0.5)
    band = slice(int(1080 * 0.62), int(1080 * 0.8))
    assert np.abs(loud[band] - quiet[band]).mean() > 5  # the wave swells with the beep
    # The cover (red) is on the picture.
    red = (quiet[..., 0] > 150) & (quiet[..., 1] < 90) & (quiet[..., 2] < 90)
    assert red.mean() > 0.1


def test_an_audio_clip_renders_as_an_audiogram_with_captions(make_ctx, beep_wav, out_root) -> None:
    cues = [{"start": 0.0, "end": 2.0, "text": "Grace and peace to you"}]
    with_captions = make_ctx(
        beep_wav, title="Grace", range_start_s=0.5, range_end_s=2.5,
        edit={"aspect": "9:16", "cues": cues},
    )  # fmt: skip
    result = render_clip_step(with_captions)
    (asset,) = result.assets
    assert (asset.width, asset.height) == (1080, 1920)
    captioned = frame_at(out_root / "clip.mp4", 1.0)
    plain_ctx = make_ctx(
        beep_wav, title="Grace", range_start_s=0.5, range_end_s=2.5,
        edit={"aspect": "9:16", "captions": False},
    )  # fmt: skip
    render_clip_step(plain_ctx)
    plain = frame_at(out_root / "clip.mp4", 1.0)
    lower = slice(int(1920 * 0.6), int(1920 * 0.8))
    assert np.abs(captioned[lower] - plain[lower]).mean() > 2
