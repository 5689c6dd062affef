"""A long video encoded in chunks (each its own job) comes out as the ladder one encode makes:
the same variant playlists segment for segment, every segment starting on a keyframe, and a
stream that decodes end to end with no seam. Sizes shrunk: 2 s segments, the first GOP cut
into two 1 s segments, 4 s chunks, a 12 s NTSC-rate clip (29.97 fps: segments are 2.002 s, so
chunk boundaries are snapped, not round)."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from pathlib import Path

import msgspec
import pytest

from pipelines.chunks import ChunkRule, chunk_count
from pipelines.context import ContentMetadata, StepContext, StepResult
from pipelines.media.hls import finalise_playlist, playlist_segments
from pipelines.media.iframes import iframe_entries
from pipelines.media.probe import probe_step
from pipelines.media.video import encode_video_step
from pipelines.storage import LocalStorage
from settings import Settings, load_settings
from tests.pipelines.conftest import decodes_to_the_end, make

FRAME_S = 1001 / 30000
DURATION_S = 12.0
FOLDERS = ("360p", "240p", "audio")


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("chunked")
    return make(
        folder / "service.mp4",
        "-f", "lavfi", "-i", f"testsrc2=s=640x360:r=30000/1001:d={DURATION_S}",
        "-f", "lavfi", "-i", f"sine=f=440:d={DURATION_S}",
        # Source keyframes nowhere near the output's segment boundaries.
        "-c:v", "libx264", "-preset", "ultrafast", "-g", "47", "-c:a", "aac", "-shortest",
    )  # fmt: skip


@pytest.fixture(scope="module")
def chunk_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return load_settings(
        None,
        data_dir=str(tmp_path_factory.mktemp("var")),
        video_ladder="360,240",
        hls_segment_s=2,
        hls_opening_segment_s=1,
        video_chunk_min_s=4,
        video_chunk_s=4,
    )


def _ctx(source: Path, root: Path, settings: Settings, name: str, **kw: object) -> StepContext:
    return StepContext(
        content_id="c1",
        generation=1,
        source=source,
        work_dir=root / "work" / name,
        outputs=LocalStorage(root / name).scoped("media/c1/g1"),
        settings=settings,
        metadata=ContentMetadata(title="Chunked"),
        **kw,  # type: ignore[arg-type]
    )


class Encoded(msgspec.Struct):
    whole: Path
    chunked: Path
    chunks: dict[int, StepResult]
    joined: StepResult


@pytest.fixture(scope="module")
def encoded(
    long_clip: Path, chunk_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Encoded:
    """The clip encoded once whole and once in chunks, each chunk alone, then joined."""
    root = tmp_path_factory.mktemp("out")
    encode_video_step(_ctx(long_clip, root, chunk_settings, "whole"))
    count = chunk_count(DURATION_S, ChunkRule.from_settings(chunk_settings))
    chunks = {
        n: encode_video_step(_ctx(long_clip, root, chunk_settings, "chunked", chunk=n))
        for n in range(1, count + 1)
    }
    joined = encode_video_step(_ctx(long_clip, root, chunk_settings, "chunked", chunks=chunks))
    hls = Path("media/c1/g1/hls")
    return Encoded(root / "whole" / hls, root / "chunked" / hls, chunks, joined)


def test_a_long_video_is_cut_into_several_chunks(encoded: Encoded) -> None:
    assert len(encoded.chunks) == 3
    firsts = [c.data["chunk"]["first_segment"] for c in encoded.chunks.values()]
    # The first chunk's first GOP is two segments: the numbers after it count both.
    assert firsts == [0, 3, 5]
    # Only the first chunk encodes the sound.
    assert [sorted(c.data["chunk"]["folders"]) for c in encoded.chunks.values()] == [
        ["240p", "360p", "audio"],
        ["240p", "360p"],
        ["240p", "360p"],
    ]


@pytest.mark.parametrize("folder", FOLDERS)
def test_chunked_playlists_match_a_single_encode_segment_for_segment(
    encoded: Encoded, folder: str
) -> None:
    whole = (encoded.whole / folder / "index.m3u8").read_text()
    chunked = (encoded.chunked / folder / "index.m3u8").read_text()
    one, joined = playlist_segments(whole), playlist_segments(chunked)
    assert [uri for uri, _ in joined] == [uri for uri, _ in one]
    for (_, a), (_, b) in zip(one, joined, strict=True):
        assert abs(a - b) < FRAME_S
    assert "#EXT-X-PLAYLIST-TYPE:VOD" in chunked and chunked.rstrip().endswith("#EXT-X-ENDLIST")
    # In fact the very same text: headers, target duration, durations as ffmpeg wrote them.
    assert chunked == whole
    # Every segment it names is in storage.
    assert all((encoded.chunked / folder / uri).is_file() for uri, _ in joined)


def test_the_master_lists_what_a_single_encode_lists(encoded: Encoded) -> None:
    def shape(master: str) -> list[str]:
        # Bandwidths are measured from each encode's own bytes; everything else must agree.
        return [
            ",".join(a for a in line.split(",") if "BANDWIDTH=" not in a)
            for line in master.splitlines()
        ]

    whole = (encoded.whole / "master.m3u8").read_text()
    chunked = (encoded.chunked / "master.m3u8").read_text()
    assert shape(chunked) == shape(whole)
    assert encoded.joined.data["variants"] and encoded.joined.data["mp3_key"]
    assert {a.kind for a in encoded.joined.assets} >= {"hls_variant", "hls_iframe", "mp3"}


def _packets(path: Path) -> list[dict[str, str]]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-protocol_whitelist", "file", "-select_streams", "v:0",
         "-show_entries", "packet=pts,duration,flags", "-of", "json", str(path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    packets: list[dict[str, str]] = json.loads(out.stdout)["packets"]
    return packets


@pytest.mark.parametrize("rung", ["360p", "240p"])
def test_every_segment_starts_with_a_keyframe(encoded: Encoded, rung: str) -> None:
    folder = encoded.chunked / rung
    init = (folder / "init.mp4").read_bytes()
    segments = playlist_segments((folder / "index.m3u8").read_text())
    for uri, _ in segments:
        alone = folder.parent / f"{rung}-{uri}.mp4"
        alone.write_bytes(init + (folder / uri).read_bytes())
        packets = _packets(alone)
        assert packets[0]["flags"].startswith("K"), uri
        assert not any(p["flags"].startswith("K") for p in packets[1:]), uri
    # The joined I-frame playlist has one entry per segment, each at its segment's keyframe.
    assert [e.uri for e in iframe_entries(folder)] == [uri for uri, _ in segments]
    iframes = (folder / "iframes.m3u8").read_text()
    assert iframes.count("#EXT-X-BYTERANGE:") == len(segments)


@pytest.mark.parametrize("rung", ["360p", "240p"])
def test_the_joined_stream_plays_end_to_end_with_continuous_timestamps(
    encoded: Encoded, rung: str
) -> None:
    decoded = decodes_to_the_end(encoded.chunked / rung / "index.m3u8")
    assert decoded == pytest.approx(DURATION_S, abs=3 * FRAME_S)
    packets = _packets(encoded.chunked / rung / "index.m3u8")
    whole = _packets(encoded.whole / rung / "index.m3u8")
    assert len(packets) == len(whole)
    pts = [int(p["pts"]) for p in packets]
    steps = {b - a for a, b in zip(pts, pts[1:], strict=False)}
    assert steps == {int(packets[0]["duration"])}, "a gap or overlap at a chunk's seam"
    assert pts[0] == 0


def test_the_master_plays_end_to_end(encoded: Encoded) -> None:
    decoded = decodes_to_the_end(encoded.chunked / "master.m3u8")
    assert decoded == pytest.approx(DURATION_S, abs=3 * FRAME_S)


def test_the_first_chunk_leaves_its_video_playlists_open_for_the_rest(
    long_clip: Path, chunk_settings: Settings, tmp_path: Path
) -> None:
    """Progressive publishing: after the first chunk alone, the master and its beginning play,
    and the video playlists say more is coming (EVENT, no ENDLIST); the sound is whole."""
    result = encode_video_step(_ctx(long_clip, tmp_path, chunk_settings, "first", chunk=1))
    hls = tmp_path / "first" / "media/c1/g1/hls"
    video = (hls / "360p" / "index.m3u8").read_text()
    assert "#EXT-X-PLAYLIST-TYPE:EVENT" in video and "#EXT-X-ENDLIST" not in video
    segments = playlist_segments(video)
    assert [uri for uri, _ in segments] == ["seg_00000.m4s", "seg_00001.m4s", "seg_00002.m4s"]
    assert [round(duration, 3) for _, duration in segments] == [1.001, 1.001, 2.002]
    audio = (hls / "audio" / "index.m3u8").read_text()
    assert audio.rstrip().endswith("#EXT-X-ENDLIST")
    assert (hls / "master.m3u8").is_file()
    assert result.time_to_first_playable is not None
    # What is there plays (ended here: ffmpeg would wait on an open playlist for more).
    (hls / "360p" / "so-far.m3u8").write_text(finalise_playlist(video))
    assert decodes_to_the_end(hls / "360p" / "so-far.m3u8") == pytest.approx(4.004, abs=FRAME_S)


def test_a_later_chunk_publishes_segments_only(
    long_clip: Path, chunk_settings: Settings, tmp_path: Path
) -> None:
    encode_video_step(_ctx(long_clip, tmp_path, chunk_settings, "second", chunk=2))
    hls = tmp_path / "second" / "media/c1/g1/hls"
    assert sorted(p.name for p in (hls / "360p").iterdir()) == ["seg_00003.m4s", "seg_00004.m4s"]
    assert not (hls / "audio").exists() and not (hls / "master.m3u8").exists()


def test_a_short_video_is_not_cut() -> None:
    rule = ChunkRule(min_s=600, chunk_s=300, segment_s=6)
    assert chunk_count(599.0, rule) == 0
    assert chunk_count(1200.0, rule) == 4
    # The last chunk always keeps a segment, whatever the snapping.
    assert chunk_count(906.0, rule) == 3
    assert chunk_count(907.0, rule) == 4


def test_a_long_still_picture_is_encoded_whole_by_its_first_chunk(
    chunk_settings: Settings, tmp_path: Path
) -> None:
    """A slide held for a long sermon is one cheap rung: its first chunk encodes it all, the
    others have nothing to do, and the join lists the first chunk's outputs alone."""
    slide = make(
        tmp_path / "slide.mp4", "-f", "lavfi", "-i", "testsrc2=s=640x360:r=30:d=0.04",
        "-f", "lavfi", "-i", f"sine=f=440:d={DURATION_S}",
        "-vf", f"tpad=stop_mode=clone:stop_duration={DURATION_S}",
        "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-t", f"{DURATION_S}",
    )  # fmt: skip
    probe_ctx = _ctx(slide, tmp_path, chunk_settings, "probe")
    probed = probe_step(probe_ctx)
    assert probed.data["still"] is True
    chunks = {}
    for number in (1, 2, 3):
        ctx = _ctx(slide, tmp_path, chunk_settings, "still", chunk=number)
        ctx.previous["probe"] = probed
        chunks[number] = encode_video_step(ctx)
    assert [bool(c.skipped) for c in chunks.values()] == [False, True, True]
    # The worker hands the join only succeeded chunks (a skipped one has no result to join).
    ctx = _ctx(slide, tmp_path, chunk_settings, "still", chunks={1: chunks[1]})
    ctx.previous["probe"] = probed
    joined = encode_video_step(ctx)
    assert joined.data["still"] is True and len(joined.data["rungs"]) == 1
    hls = tmp_path / "still" / "media/c1/g1/hls"
    rung = joined.data["rungs"][0]["name"]
    assert decodes_to_the_end(hls / rung / "index.m3u8") == pytest.approx(DURATION_S, abs=1.0)


def _ffmpeg_nice_values(work: Path, stop: threading.Event, seen: set[int]) -> None:
    """Every nice value seen on an encoding ffmpeg (one writing into `work`/hls)."""
    while not stop.is_set():
        for pid in os.listdir("/proc"):
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                stat = Path(f"/proc/{pid}/stat").read_text()
            except (OSError, ValueError):
                continue
            if cmdline[0].endswith(b"ffmpeg") and any(str(work).encode() in a for a in cmdline):
                seen.add(int(stat.rsplit(")", 1)[1].split()[16]))
        time.sleep(0.02)


def test_a_later_chunk_yields_the_cpu_to_the_first(
    long_clip: Path, chunk_settings: Settings, tmp_path: Path
) -> None:
    """Chunks sharing a machine: the first (the first playable, the longest) runs its picture
    at normal priority; a later chunk's runs in the background."""
    seen: dict[int, set[int]] = {}
    for number in (1, 2):
        name = f"nice-{number}"
        seen[number], stop = set(), threading.Event()
        watcher = threading.Thread(
            target=_ffmpeg_nice_values, args=(tmp_path / "work" / name / "hls", stop, seen[number])
        )
        watcher.start()
        try:
            encode_video_step(_ctx(long_clip, tmp_path, chunk_settings, name, chunk=number))
        finally:
            stop.set()
            watcher.join()
    assert 0 in seen[1]  # the first chunk's picture and loudness pass (its sound's encode: 10)
    assert seen[2] == {10}
