"""Clips read back: H.264 High and AAC in an MP4 whose index comes first, the platform's shape
and size, the exact length, captions present where speech is, and the reframing choices."""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest

from pipelines.media.burned_captions import Cue, ass_script, phone_cues
from pipelines.media.clips import ClipEdit, render_clip_step, render_video_clip
from pipelines.media.errors import RangeRefused
from pipelines.media.probe import probe_media
from pipelines.media.trim import Cut

from .conftest import FF, FPS, RATE, ffprobe, make

CUES = [Cue(start=0.2, end=1.6, text="The Lord is my shepherd, I shall not want")]


def top_level_boxes(path: Path) -> list[str]:
    """The MP4's top-level box types in file order."""
    boxes, data = [], path.read_bytes()
    at = 0
    while at + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[at : at + 8])
        if size == 1:
            size = struct.unpack(">Q", data[at + 8 : at + 16])[0]
        boxes.append(kind.decode("latin-1"))
        if size < 8:
            break
        at += size
    return boxes


def frame_at(path: Path, at: float) -> np.ndarray:  # type: ignore[type-arg]
    info = ffprobe(path)["streams"][0]
    w, h = int(info["width"]), int(info["height"])
    raw = subprocess.run(
        [*FF, "-ss", f"{at}", "-i", str(path), "-frames:v", "1", "-f", "rawvideo",
         "-pix_fmt", "rgb24", "-"],
        check=True, capture_output=True,
    ).stdout  # fmt: skip
    return np.frombuffer(raw, np.uint8).reshape(h, w, 3).astype(int)


def _render(source: Path, settings, tmp_path: Path, name: str, **edit: object):  # type: ignore[no-untyped-def]
    probe = probe_media(source, settings)
    out = tmp_path / f"{name}.mp4"
    size, _ = render_video_clip(
        source, probe, Cut(start_s=1.0, end_s=3.0), ClipEdit(**edit), out, settings,  # type: ignore[arg-type]
        work_dir=tmp_path / name,
    )  # fmt: skip
    return out, size


def test_a_vertical_clip_is_an_mp4_every_platform_takes(flash_mp4, settings, tmp_path) -> None:
    out, size = _render(flash_mp4, settings, tmp_path, "vertical", aspect="9:16", cues=CUES)
    info = ffprobe(out, "-count_frames")
    video, audio = info["streams"]
    assert (video["codec_name"], video["profile"], video["pix_fmt"]) == ("h264", "High", "yuv420p")
    assert (audio["codec_name"], audio["profile"], int(audio["sample_rate"])) == ("aac", "LC", RATE)
    assert (video["width"], video["height"]) == size == (180, 320)  # 9:16, never upscaled
    assert int(video["nb_read_frames"]) == 2 * FPS  # exactly the two seconds asked for
    assert abs(float(audio["duration"]) - 2.0) < 0.03
    boxes = top_level_boxes(out)
    assert boxes.index("moov") < boxes.index("mdat")  # faststart


def test_captions_are_burned_where_speech_is(flash_mp4, settings, tmp_path) -> None:
    with_captions, _ = _render(flash_mp4, settings, tmp_path, "with", aspect="9:16", cues=CUES)
    without, _ = _render(flash_mp4, settings, tmp_path, "without", aspect="9:16", captions=False)
    # Half a second in, the cue is up: the lower part of the picture differs.
    speaking = np.abs(frame_at(with_captions, 0.5) - frame_at(without, 0.5))
    height = speaking.shape[0]
    assert speaking[height // 2 :].mean() > 3
    assert speaking[: height // 3].mean() < 1  # the captions stay low, clear of the top
    # The bottom fifth is the platforms' own caption bar: ours stay above it.
    assert speaking[int(height * 0.85) :].mean() < 1
    # After the cue ends (1.6 s), the frames are the same again.
    silent = np.abs(frame_at(with_captions, 1.8) - frame_at(without, 1.8))
    assert silent.mean() < 1


def test_blur_fill_keeps_the_whole_frame_over_a_blurred_copy(media, settings, tmp_path) -> None:
    source = make(
        media / "bars.mp4", "-f", "lavfi", "-i", f"testsrc2=s=320x180:r={FPS}:d=4",
        "-c:v", "libx264", "-preset", "ultrafast",
    )  # fmt: skip
    out, size = _render(source, settings, tmp_path, "blur", aspect="9:16", reframe="blur-fill")
    assert size == (180, 320)
    picture = frame_at(out, 0.5)
    # Above the fitted picture is the blurred fill, not black bars.
    assert picture[:60].mean() > 20
    # The fitted picture spans the whole width in the middle band.
    assert picture[150:170].std() > 30


def test_face_reframe_follows_the_speaker_off_centre(media, settings, tmp_path) -> None:
    # A blue stage with a skin-toned face on the right: the centre crop misses it.
    source = make(
        media / "speaker.mp4", "-f", "lavfi", "-i", f"color=c=0x2040A0:s=320x180:r={FPS}:d=4",
        "-vf", "drawbox=x=250:y=50:w=40:h=60:color=0xE0AC8C:t=fill",
        "-c:v", "libx264", "-preset", "ultrafast",
    )  # fmt: skip
    skin = np.array([224, 172, 140])

    def skin_share(path: Path) -> float:
        picture = frame_at(path, 0.5)
        return float((np.abs(picture - skin).sum(axis=2) < 60).mean())

    centred, _ = _render(source, settings, tmp_path, "centre", aspect="9:16", reframe="centre")
    face, _ = _render(source, settings, tmp_path, "face", aspect="9:16", reframe="face")
    assert skin_share(centred) < 0.01
    assert skin_share(face) > 0.1


def test_a_square_clip_is_square(flash_mp4, settings, tmp_path) -> None:
    _, size = _render(flash_mp4, settings, tmp_path, "square", aspect="1:1", captions=False)
    assert size == (180, 180)


def test_a_clip_longer_than_the_platforms_take_is_refused(flash_mp4, tmp_path) -> None:
    from settings import load_settings

    strict = load_settings(None, data_dir=str(tmp_path / "var"), clip_max_s=1.5)
    with pytest.raises(RangeRefused, match="long"):
        _render(flash_mp4, strict, tmp_path, "long")


def test_the_render_step_stores_the_mp4_as_an_asset_and_the_plans_source(
    make_ctx, flash_mp4, out_root
) -> None:
    ctx = make_ctx(
        flash_mp4,
        range_start_s=2.0,
        range_end_s=4.0,
        edit={"aspect": "9:16", "cues": [{"start": 0.0, "end": 1.0, "text": "Amen"}]},
    )
    result = render_clip_step(ctx)
    (asset,) = result.assets
    assert (asset.kind, asset.key, asset.width, asset.height) == ("mp4", "clip.mp4", 180, 320)
    assert result.data["source_key"] == "clip.mp4" and (out_root / "clip.mp4").is_file()
    assert asset.bytes == (out_root / "clip.mp4").stat().st_size


def test_phone_captions_hold_two_lines_at_most() -> None:
    long = Cue(start=0.0, end=9.0, text=" ".join(["shepherd"] * 30))
    pieces = phone_cues([long], chars_per_line=20)
    assert all(p.text.count("\n") <= 1 for p in pieces)
    assert all(len(line) <= 20 for p in pieces for line in p.text.split("\n"))
    assert pieces[0].start == 0.0 and pieces[-1].end == pytest.approx(9.0)
    assert all(a.end == pytest.approx(b.start) for a, b in zip(pieces, pieces[1:], strict=False))


def test_transcript_text_cannot_inject_subtitle_tags() -> None:
    script = ass_script([Cue(start=0, end=1, text=r"{\fs200\c&H0000FF&}big red")], 1080, 1920)
    dialogue = script.strip().splitlines()[-1]
    assert "{" not in dialogue and "\\fs" not in dialogue
