"""The audio encode and waveform, read back: loudness, durations, tags, peaks, publish."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image

from pipelines.media.audio import encode_audio_step
from pipelines.media.master import publish_step
from pipelines.media.probe import probe_step
from pipelines.media.waveform import waveform_step

from .conftest import ffprobe, integrated_loudness


def encode(make_ctx, source: Path, **metadata: str):
    ctx = make_ctx(source, **metadata)
    ctx.previous["probe"] = probe_step(ctx)
    return ctx, encode_audio_step(ctx)


def test_mp3_with_cover_is_audio_and_normalised_to_minus_16(
    make_ctx, tone_mp3_with_cover, out_root
):
    ctx, result = encode(
        make_ctx, tone_mp3_with_cover, title="Grace", speaker="Ann", series="Romans"
    )
    assert ctx.previous["probe"].data["media_type"] == "audio"
    loudness = result.data["loudness"]
    assert loudness["input_i"] < -30  # the fixture is a quiet tone
    for key in ("input_i", "input_tp", "input_lra", "input_thresh", "output_i"):
        assert key in loudness
    assert abs(integrated_loudness(out_root / "hls/audio_128k/index.m3u8") + 16) <= 1
    assert abs(integrated_loudness(out_root / "download/audio.mp3") + 16) <= 1


def test_mp3_download_carries_id3_tags_and_cover(make_ctx, tone_mp3_with_cover, out_root):
    encode(make_ctx, tone_mp3_with_cover, title="Grace", speaker="Ann", series="Romans")
    info = ffprobe(out_root / "download/audio.mp3")
    tags = info["format"]["tags"]
    assert (tags["title"], tags["artist"], tags["album"]) == ("Grace", "Ann", "Romans")
    covers = [s for s in info["streams"] if s["disposition"]["attached_pic"]]
    assert len(covers) == 1 and covers[0]["codec_name"] == "mjpeg"


def test_hls_rungs_play_to_the_end_as_vod(make_ctx, tone_mp3_with_cover, out_root):
    _, result = encode(make_ctx, tone_mp3_with_cover)
    for name, channels in (("audio_128k", 2), ("audio_64k", 1)):
        playlist = out_root / "hls" / name / "index.m3u8"
        text = playlist.read_text()
        assert "#EXT-X-PLAYLIST-TYPE:VOD" in text and "#EXT-X-ENDLIST" in text
        info = ffprobe(playlist, "-protocol_whitelist", "file")
        assert info["streams"][0]["codec_name"] == "aac"
        assert info["streams"][0]["channels"] == channels
        assert abs(float(info["format"]["duration"]) - 3.0) <= 1.0
    assert result.time_to_first_playable is not None and result.cpu_seconds > 0


def test_narrowband_mono_plays_as_stereo_at_target_loudness(make_ctx, mono_8k_wav, out_root):
    encode(make_ctx, mono_8k_wav)
    info = ffprobe(out_root / "hls/audio_128k/index.m3u8", "-protocol_whitelist", "file")
    assert info["streams"][0]["channels"] == 2
    assert abs(integrated_loudness(out_root / "hls/audio_128k/index.m3u8") + 16) <= 1


def test_silence_is_not_amplified(make_ctx, silence_m4a, out_root):
    _, result = encode(make_ctx, silence_m4a)
    assert result.data["loudness"]["normalised"] is False
    assert integrated_loudness(out_root / "download/audio.mp3") <= -60


def test_waveform_is_audiowaveform_json_and_a_png(make_ctx, tone_mp3_with_cover, out_root):
    ctx = make_ctx(tone_mp3_with_cover)
    ctx.previous["probe"] = probe_step(ctx)
    waveform_step(ctx)
    peaks = json.loads((out_root / "waveform/peaks.json").read_text())
    assert peaks["version"] == 2 and peaks["channels"] == 1 and peaks["bits"] == 8
    assert len(peaks["data"]) == 2 * peaks["length"]
    seconds = peaks["length"] * peaks["samples_per_pixel"] / peaks["sample_rate"]
    assert abs(seconds - 3.0) < 0.2
    assert max(peaks["data"]) == 127 and min(peaks["data"]) <= -120
    with Image.open(out_root / "waveform/waveform.png") as image:
        assert image.format == "PNG" and image.size == (1800, 280)


def test_publish_writes_the_master_last_and_lists_every_asset(
    make_ctx, tone_mp3_with_cover, out_root
):
    ctx, encoded = encode(make_ctx, tone_mp3_with_cover)
    ctx.previous["encode_audio"] = encoded
    ctx.previous["waveform"] = waveform_step(ctx)
    first = publish_step(ctx)
    master = (out_root / "hls/master.m3u8").read_text()
    again = publish_step(ctx)
    assert (out_root / "hls/master.m3u8").read_text() == master
    assert first.assets == again.assets
    assert first.assets[-1].kind == "hls_master"
    kinds = [a.kind for a in first.assets]
    assert kinds.count("hls_variant") == 2 and "mp3" in kinds and "waveform_json" in kinds
    info = ffprobe(out_root / "hls/master.m3u8", "-protocol_whitelist", "file")
    assert abs(float(info["format"]["duration"]) - 3.0) <= 1.0
    assert 'CODECS="mp4a.40.2"' in master and "AVERAGE-BANDWIDTH=" in master
