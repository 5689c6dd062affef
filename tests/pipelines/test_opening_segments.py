"""Start sooner: a video's first GOP is cut into short segments (2 s at the default 6 s), each
starting on a keyframe, with every later keyframe where it was; the playlist's target duration
holds from its first upload; BANDWIDTH bounds the peak as RFC 8216bis measures it; and the
picture waits for the sound once its own first segments are made."""

from __future__ import annotations

import json
import subprocess
from fractions import Fraction
from pathlib import Path

import pytest

from pipelines.chunks import ChunkRule, chunk_range, opening_keyframes
from pipelines.media.hls import bandwidth_of, playlist_segments
from pipelines.media.probe import probe_step
from pipelines.media.progressive import ProgressivePublisher
from pipelines.media.video import encode_video_step
from pipelines.storage import LocalStorage
from settings import load_settings
from tests.pipelines.conftest import decodes_to_the_end, make

DURATION_S = 15.0


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("opening")
    return make(
        folder / "clip.mp4",
        "-f", "lavfi", "-i", f"testsrc2=s=320x240:r=25:d={DURATION_S}",
        "-f", "lavfi", "-i", f"sine=f=440:d={DURATION_S}",
        "-c:v", "libx264", "-preset", "ultrafast", "-g", "37", "-c:a", "aac", "-shortest",
    )  # fmt: skip


@pytest.fixture(scope="module")
def encoded(clip: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The clip encoded with the default segment lengths (6 s, opening 2 s)."""
    from pipelines.context import StepContext

    root = tmp_path_factory.mktemp("out")
    settings = load_settings(None, data_dir=str(root / "var"), video_ladder="240,144")
    ctx = StepContext(
        content_id="c1",
        generation=1,
        source=clip,
        work_dir=root / "work",
        outputs=LocalStorage(root / "store"),
        settings=settings,
    )
    ctx.previous["probe"] = probe_step(ctx)
    encode_video_step(ctx)
    return root / "store" / "hls"


def _keyframe_times(playlist: Path) -> list[float]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-protocol_whitelist", "file", "-select_streams", "v:0",
         "-show_entries", "packet=pts_time,flags", "-of", "json", str(playlist)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    packets = json.loads(out.stdout)["packets"]
    return [round(float(p["pts_time"]), 3) for p in packets if p["flags"].startswith("K")]


@pytest.mark.parametrize("rung", ["240p", "144p"])
def test_the_first_gop_is_three_short_segments_each_on_a_keyframe(encoded: Path, rung: str) -> None:
    text = (encoded / rung / "index.m3u8").read_text()
    durations = [round(d, 3) for _, d in playlist_segments(text)]
    assert durations == [2.0, 2.0, 2.0, 6.0, 3.0]
    assert "#EXT-X-TARGETDURATION:6" in text
    # Keyframes exactly at segment starts: the opening's forced ones, then every 6 s as before.
    assert _keyframe_times(encoded / rung / "index.m3u8") == [0.0, 2.0, 4.0, 6.0, 12.0]
    # Trick play: an I-frame entry per segment, each lasting until the next keyframe.
    iframes = playlist_segments((encoded / rung / "iframes.m3u8").read_text())
    assert [round(d, 3) for _, d in iframes] == durations
    assert decodes_to_the_end(encoded / rung / "index.m3u8") == pytest.approx(DURATION_S, abs=0.05)


def test_the_master_bandwidth_bounds_the_peak_of_runs_of_segments(encoded: Path) -> None:
    master = (encoded / "master.m3u8").read_text().splitlines()
    for i, line in enumerate(master):
        if not line.startswith("#EXT-X-STREAM-INF") or "RESOLUTION=" not in line:
            continue
        stated = int(line.split("BANDWIDTH=", 1)[1].split(",", 1)[0])
        folder = encoded / master[i + 1].split("/")[0]
        segments = playlist_segments((folder / "index.m3u8").read_text())
        sizes = [(folder / uri).stat().st_size for uri, _ in segments]
        # Every run of 3 to 9 s (half to one and a half target durations), counted here anew.
        runs = [
            sum(sizes[a:b]) * 8 / sum(d for _, d in segments[a:b])
            for a in range(len(segments))
            for b in range(a + 1, len(segments) + 1)
            if 3 <= sum(d for _, d in segments[a:b]) <= 9
        ]
        assert stated >= max(runs)


def test_a_lone_short_segment_is_not_a_run_of_its_own() -> None:
    # A 2 s keyframe segment at 4 Mb/s, then quiet ones: the peak is the opening's 4 s and 6 s
    # runs (RFC 8216bis), not the first segment alone.
    segments = [(2.0, 1_000_000), (2.0, 100_000), (2.0, 100_000), (6.0, 600_000)]
    peak, average = bandwidth_of(segments, init_bytes=0)
    assert peak == int((1_000_000 + 100_000) * 8 / 4.0)
    assert average == int(1_800_000 * 8 / 12.0)


def test_the_published_playlist_states_the_whole_target_duration_from_the_start(
    tmp_path: Path,
) -> None:
    """While only opening segments exist ffmpeg writes TARGETDURATION:2; what players get says 6
    from the first upload, as it will at the end."""
    folder = tmp_path / "local" / "240p"
    folder.mkdir(parents=True)
    (folder / "init.mp4").write_bytes(b"init")
    (folder / "seg_00000.m4s").write_bytes(b"one")
    (folder / "index.m3u8").write_text(
        "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n"
        '#EXT-X-PLAYLIST-TYPE:EVENT\n#EXT-X-MAP:URI="init.mp4"\n#EXTINF:2.000000,\nseg_00000.m4s\n'
    )
    store = tmp_path / "store"
    publisher = ProgressivePublisher(
        LocalStorage(store), tmp_path / "local", ["240p"], None, target_s=6
    )
    publisher.sync(final=False)
    published = (store / "hls" / "240p" / "index.m3u8").read_text()
    assert "#EXT-X-TARGETDURATION:6\n" in published and "TARGETDURATION:2" not in published
    assert "seg_00000.m4s" in published


def test_opening_keyframes_split_the_first_gop_and_end_on_it() -> None:
    assert opening_keyframes(180, 3) == [60, 120, 180]
    # A GOP that does not divide evenly still ends exactly on the second GOP's first frame.
    assert opening_keyframes(164, 3) == [54, 109, 164]
    assert opening_keyframes(180, 1) == []


def test_a_later_chunk_numbers_its_segments_after_the_opening() -> None:
    rule = ChunkRule(min_s=60, chunk_s=120, segment_s=6, opening=3)
    first = chunk_range(1, 3, 300.0, Fraction(30), rule)
    second = chunk_range(2, 3, 300.0, Fraction(30), rule)
    assert first.first_segment == 0
    # 120 s is 20 whole segments in; the opening's two extra segments come before them.
    assert (second.first_segment, second.start_frame) == (22, 3600)


def test_the_picture_waits_from_its_first_segments_until_the_sound_has_its_first(
    tmp_path: Path,
) -> None:
    from types import SimpleNamespace

    from pipelines.media.video import _PictureWaits

    plan = SimpleNamespace(
        rungs=[SimpleNamespace(name="360p"), SimpleNamespace(name="240p")],
        tracks=[SimpleNamespace(folder="audio")],
    )
    sound = SimpleNamespace(ended=False)
    waits = _PictureWaits(tmp_path, plan, sound)  # type: ignore[arg-type]
    for folder in ("360p", "240p", "audio"):
        (tmp_path / folder).mkdir()

    def first_segment(folder: str) -> None:
        (tmp_path / folder / "index.m3u8").write_text("#EXTM3U\n")

    assert not waits.is_set()  # no rung has a segment yet
    first_segment("360p")
    assert not waits.is_set()
    first_segment("240p")
    assert waits.is_set()  # every rung has one, the sound none: the picture waits
    first_segment("audio")
    assert not waits.is_set()
    # Once over, never again (the playlists stay; the picture runs to its end).
    assert not waits.is_set()
    other = tmp_path / "other"
    for folder in ("360p", "240p"):
        (other / folder).mkdir(parents=True)
        (other / folder / "index.m3u8").write_text("#EXTM3U\n")
    ended = _PictureWaits(other, plan, SimpleNamespace(ended=True))  # type: ignore[arg-type]
    assert not ended.is_set()  # a sound that ended (failed or done) never holds the picture
