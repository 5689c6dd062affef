"""Trims read back with ffmpeg: the first frame is the one asked for, the beep lands on its
sample, the duration is a whole number of frames and samples, and bad ranges are refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.media.errors import RangeRefused, StepCancelled
from pipelines.media.probe import probe_media
from pipelines.media.trim import Cut, cut, plan_cut, trim_step

from .conftest import BEEP_S, FLASH_FRAME, FPS, RATE, ffprobe, frame_brightness, onset, samples


def _frames(path: Path) -> int:
    info = ffprobe(path, "-count_frames", "-select_streams", "v:0")
    return int(info["streams"][0]["nb_read_frames"])


def test_a_video_cut_starts_on_the_asked_frame_and_lasts_whole_frames(
    flash_mp4, settings, tmp_path
) -> None:
    probe = probe_media(flash_mp4, settings)
    out = tmp_path / "cut.mkv"
    # 1.6 s is frame 40: the flash (frame 50) must be the output's frame 10, and the beep
    # (2.0 s) must start 0.4 s in, to the sample.
    plan, _ = cut(flash_mp4, probe, Cut(start_s=1.6, end_s=4.2), out, settings, work_dir=tmp_path)
    assert not plan.copy_video  # x264's B-frames: the start is not a clean keyframe
    brightness = frame_brightness(out)
    assert len(brightness) == 65 == plan.frames  # (4.2 - 1.6) * 25
    assert brightness.index(max(brightness)) == FLASH_FRAME - 40
    assert max(brightness) > 200 and brightness[0] < 100
    audio = samples(out)
    assert len(audio) == round(2.6 * RATE)  # exact: 124,800 samples
    # Where the source's own decode finds the beep, less the samples before the cut.
    assert onset(audio) == onset(samples(flash_mp4)) - round(1.6 * RATE)


def test_a_cut_that_starts_on_the_flash_shows_it_first(flash_mp4, settings, tmp_path) -> None:
    probe = probe_media(flash_mp4, settings)
    out = tmp_path / "cut.mkv"
    cut(flash_mp4, probe, Cut(start_s=2.0, end_s=3.0), out, settings, work_dir=tmp_path)
    brightness = frame_brightness(out)
    assert brightness[0] > 200 and len(brightness) == FPS


def test_a_cut_on_a_keyframe_copies_the_video_and_keeps_its_frames(
    keyframed_mp4, settings, tmp_path
) -> None:
    probe = probe_media(keyframed_mp4, settings)
    out = tmp_path / "cut.mkv"
    plan, _ = cut(
        keyframed_mp4, probe, Cut(start_s=2.0, end_s=4.0), out, settings, work_dir=tmp_path
    )
    assert plan.copy_video
    assert ffprobe(out)["streams"][0]["codec_name"] == "h264"
    brightness = frame_brightness(out)
    assert len(brightness) == 2 * FPS and brightness[0] > 200
    assert len(samples(out)) == 2 * RATE


def test_an_audio_cut_is_sample_exact(beep_wav, settings, tmp_path) -> None:
    probe = probe_media(beep_wav, settings)
    out = tmp_path / "cut.flac"
    plan, _ = cut(
        beep_wav, probe, Cut(start_s=1.23456, end_s=3.5), out, settings, work_dir=tmp_path
    )
    first = round(1.23456 * RATE)
    assert plan.samples == round(3.5 * RATE) - first
    audio = samples(out)
    assert len(audio) == plan.samples
    assert onset(audio) == onset(samples(beep_wav)) - first
    assert abs(onset(audio) - (round(BEEP_S * RATE) - first)) <= 1  # sin(0) is silent


def test_the_range_snaps_to_the_frame_grid(flash_mp4, settings) -> None:
    probe = probe_media(flash_mp4, settings)
    plan = plan_cut(probe, Cut(start_s=1.013, end_s=2.029))  # frames 25.3 and 50.7
    assert (plan.start_s, plan.frames, plan.duration_s) == (1.0, 26, 1.04)
    assert plan.samples == round(1.04 * RATE)


@pytest.mark.parametrize(
    ("start", "end", "words"),
    [
        (3.0, 2.0, "ends"),
        (-1.0, 2.0, "before the media"),
        (1.0, 60.0, "long"),
        (1.0, 1.2, "shorter"),
        (float("nan"), 2.0, "numbers"),
    ],
)
def test_ranges_the_media_cannot_give_are_refused(flash_mp4, settings, start, end, words) -> None:
    probe = probe_media(flash_mp4, settings)
    with pytest.raises(RangeRefused, match=words):
        plan_cut(probe, Cut(start_s=start, end_s=end))


def test_the_trim_step_stores_the_cut_as_the_generations_source(
    make_ctx, flash_mp4, out_root
) -> None:
    ctx = make_ctx(flash_mp4, range_start_s=1.0, range_end_s=3.0)
    seen: list[float] = []
    ctx.on_progress = seen.append
    result = trim_step(ctx)
    key = result.data["source_key"]
    assert key == "source/trimmed.mkv" and (out_root / key).is_file()
    assert result.data["duration"] == 2.0 and seen[-1] == 1.0
    assert _frames(out_root / key) == 2 * FPS
    # The cut probes as a source the rest of the plan accepts.
    assert probe_media(out_root / key, ctx.settings).duration == pytest.approx(2.0, abs=0.05)


def test_without_a_range_the_trim_step_leaves_the_upload_as_the_source(make_ctx, flash_mp4) -> None:
    result = trim_step(make_ctx(flash_mp4))
    assert result.data["source_key"] is None


def test_a_cancelled_trim_stops_its_ffmpeg(make_ctx, flash_mp4) -> None:
    ctx = make_ctx(flash_mp4, range_start_s=1.0, range_end_s=3.0)
    ctx.cancel.set()
    with pytest.raises(StepCancelled):
        trim_step(ctx)


@pytest.mark.parametrize("kind", ["video", "audio"])
def test_the_rest_of_the_plan_runs_on_the_cut(
    make_ctx, flash_mp4, beep_wav, out_root, kind
) -> None:
    from pipelines.media.audio import encode_audio_step
    from pipelines.media.probe import probe_step
    from pipelines.media.video import encode_video_step

    source = flash_mp4 if kind == "video" else beep_wav
    trimmed = trim_step(make_ctx(source, range_start_s=1.0, range_end_s=4.0))
    # What the worker does next: the generation's later steps read the cut as their source.
    ctx = make_ctx(out_root / trimmed.data["source_key"])
    ctx.previous["trim"] = trimmed
    ctx.previous["probe"] = probe = probe_step(ctx)
    assert probe.data["media_type"] == kind and probe.data["duration"] == pytest.approx(
        3.0, abs=0.03
    )
    result = (encode_video_step if kind == "video" else encode_audio_step)(ctx)
    master = out_root / "hls" / "master.m3u8"
    assert any(a.kind == "hls_master" for a in result.assets) or master.is_file()
    played = ffprobe(master, "-protocol_whitelist", "file")
    assert float(played["format"]["duration"]) == pytest.approx(3.0, abs=0.1)
