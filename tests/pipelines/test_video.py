"""The video ladder, read back with ffprobe: sizes, formats, durations and the master."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.media.hls import playlist_segments
from pipelines.media.probe import probe_step
from pipelines.media.video import encode_video_step

from .conftest import decodes_to_the_end, ffprobe


def encode(make_ctx, source: Path):
    ctx = make_ctx(source)
    ctx.previous["probe"] = probe_step(ctx)
    return ctx, encode_video_step(ctx)


def variant_streams(out_root: Path, name: str) -> tuple[dict, float]:
    info = ffprobe(out_root / "hls" / name / "index.m3u8", "-protocol_whitelist", "file")
    return info["streams"][0], float(info["format"]["duration"])


def test_rotated_phone_video_is_upright_and_never_upscaled(make_ctx, rotated_phone_mp4, out_root):
    _, result = encode(make_ctx, rotated_phone_mp4)
    folders = [v["uri"].split("/")[0] for v in result.data["variants"] if not v.get("iframes_only")]
    assert folders == ["144p", "audio"]  # 180 wide once upright: no 240p or 360p rung
    stream, duration = variant_streams(out_root, "144p")
    assert (stream["width"], stream["height"]) == (144, 256)
    assert abs(duration - 3.0) <= 1.0


def test_vertical_video_rungs_are_named_by_their_short_side(make_ctx, vertical_mp4, out_root):
    _, result = encode(make_ctx, vertical_mp4)
    sizes = {
        v["uri"].split("/")[0]: v.get("resolution")
        for v in result.data["variants"]
        if not v.get("iframes_only")
    }
    assert sizes == {"360p": "360x640", "240p": "240x426", "144p": "144x256", "audio": None}
    for name in ("360p", "240p", "144p", "audio"):
        _, duration = variant_streams(out_root, name)
        assert abs(duration - 3.0) <= 1.0


def test_ten_bit_hevc_becomes_eight_bit_420_h264(make_ctx, hevc_10bit_mp4, out_root):
    encode(make_ctx, hevc_10bit_mp4)
    stream, _ = variant_streams(out_root, "240p")
    assert stream["codec_name"] == "h264"
    assert stream["pix_fmt"] == "yuv420p"
    assert not (out_root / "hls" / "audio").exists()  # no audio in, no audio rendition out


def test_odd_dimensions_and_no_audio_give_even_sizes(make_ctx, odd_size_no_audio_mp4, out_root):
    _, result = encode(make_ctx, odd_size_no_audio_mp4)
    for variant in result.data["variants"]:
        width, height = (int(x) for x in variant["resolution"].split("x"))
        assert width % 2 == 0 and height % 2 == 0
        assert "mp4a" not in variant["codecs"]
    stream, _ = variant_streams(out_root, "240p")
    assert stream["pix_fmt"] == "yuv420p"


def test_variable_frame_rate_becomes_constant_with_aligned_segments(make_ctx, vfr_mp4, out_root):
    _, result = encode(make_ctx, vfr_mp4)
    stream, duration = variant_streams(out_root, "240p")
    assert (
        stream["r_frame_rate"] == stream["avg_frame_rate"]
        or abs(
            eval(stream["r_frame_rate"]) - eval(stream["avg_frame_rate"])  # noqa: S307
        )
        < 0.5
    )
    cuts = {}
    for name in ("240p", "144p"):
        text = (out_root / "hls" / name / "index.m3u8").read_text()
        cuts[name] = [round(d, 2) for _, d in playlist_segments(text)]
        assert "#EXT-X-ENDLIST" in text and "#EXT-X-PLAYLIST-TYPE:VOD" in text
    assert cuts["240p"] == cuts["144p"]


def test_surround_audio_is_folded_to_stereo(make_ctx, surround_mkv, out_root):
    encode(make_ctx, surround_mkv)
    stream, duration = variant_streams(out_root, "audio")
    assert stream["channels"] == 2
    assert abs(duration - 3.0) <= 1.0


def test_master_lists_every_variant_with_its_attributes(make_ctx, vertical_mp4, out_root):
    _, result = encode(make_ctx, vertical_mp4)
    master = (out_root / "hls" / "master.m3u8").read_text()
    infs = [line for line in master.splitlines() if line.startswith("#EXT-X-STREAM-INF")]
    assert len(infs) == 4
    for line in infs[:3]:
        for attr in ("BANDWIDTH=", "AVERAGE-BANDWIDTH=", "RESOLUTION=", "CODECS=", "FRAME-RATE="):
            assert attr in line
    assert '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio"' in master
    for variant in result.data["variants"]:
        if variant.get("iframes_only"):
            continue  # byte ranges over keyframes: see test_trick_play.py
        assert abs(decodes_to_the_end(out_root / "hls" / variant["uri"]) - 3.0) <= 1.0
    assert result.time_to_first_playable is not None
    assert result.cpu_seconds > 0
    info = ffprobe(out_root / "hls" / "master.m3u8", "-protocol_whitelist", "file")
    assert abs(float(info["format"]["duration"]) - 3.0) <= 1.0


@pytest.mark.parametrize("heights", ["360,240", "1080,720"])
def test_ladder_heights_come_from_settings(tmp_path, heights, vertical_mp4):
    from pipelines.media.ladder import build_ladder
    from pipelines.media.probe import probe_media
    from settings import load_settings

    settings = load_settings(None, data_dir=str(tmp_path), video_ladder=heights)
    probe = probe_media(vertical_mp4, settings)
    assert probe.video is not None
    names = [r.name for r in build_ladder(probe.video, settings.ladder_heights)]
    assert names == (["360p", "240p"] if heights == "360,240" else ["360p"])


def test_hdr_source_is_tone_mapped_to_sdr_bt709(make_ctx, hdr_pq_mp4, out_root):
    ctx, _ = encode(make_ctx, hdr_pq_mp4)
    assert ctx.previous["probe"].data["probe"]["video"]["hdr"] is True
    stream, duration = variant_streams(out_root, "144p")
    assert stream["pix_fmt"] == "yuv420p"
    assert stream.get("color_transfer") in (None, "bt709", "unknown")
    assert abs(duration - 2.0) <= 1.0


def test_frame_rates_snap_to_standard_ones():
    from pipelines.media.ladder import fps_expression, output_frame_rate
    from pipelines.media.probe import VideoInfo

    def video(rate: float) -> VideoInfo:
        return VideoInfo(
            index=0, codec="h264", width=1920, height=1080, display_width=1920,
            display_height=1080, rotation=0, frame_rate=rate, variable_frame_rate=True,
            pix_fmt="yuv420p", bit_depth=8, hdr=False,
        )  # fmt: skip

    assert output_frame_rate(video(30.8)) == 30.0  # a phone recording "30 fps", variably
    assert fps_expression(output_frame_rate(video(29.97))) == "30000/1001"
    assert output_frame_rate(video(120.0)) == 60.0
    assert output_frame_rate(video(12.0)) == 12.0
