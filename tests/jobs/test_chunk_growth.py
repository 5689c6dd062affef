"""A chunked encode's video playlists grow as its chunks succeed: each success lists every
chunk done so far from the first with no gap, still open for the rest, through the real
success path (`record_success`) on PostgreSQL and the platform's storage folder."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from models import Content, Job, User
from pipelines.context import StepResult
from pipelines.media.chunk_join import ChunkFolder, ChunkOutput, Segment, grown_playlists
from pipelines.media.hls import playlist_segments
from settings import get_settings
from workers import jobs
from workers.db import session_scope
from workers.outputs import record_success

HEADER = (
    "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:6\n#EXT-X-MEDIA-SEQUENCE:0\n"
    '#EXT-X-PLAYLIST-TYPE:EVENT\n#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-MAP:URI="init.mp4"\n'
)
FIRST_SEGMENTS = {1: 0, 2: 3, 3: 5}  # chunk 1: its opening's three, then two a chunk


def _folder(number: int, count: int = 2) -> ChunkFolder:
    first = FIRST_SEGMENTS[number]
    extinf = "2.000000" if number == 1 else "6.000000"
    segments = [Segment(f"seg_{n:05d}.m4s", extinf, 1000 + n) for n in range(first, first + count)]
    return ChunkFolder(
        header=HEADER, segments=segments, init="init.mp4", init_sha256="same", init_bytes=800
    )


def _output(number: int) -> ChunkOutput:
    count = 3 if number == 1 else 2
    folders = {"360p": _folder(number, count), "240p": _folder(number, count)}
    if number == 1:
        folders["audio"] = _folder(1, 1)
    return ChunkOutput(number=number, first_segment=FIRST_SEGMENTS[number], folders=folders)


def _result(number: int) -> StepResult:
    data: dict[str, object] = {"chunk": msgspec.to_builtins(_output(number))}
    if number == 1:
        data["rungs"] = [{"name": "360p"}, {"name": "240p"}]
    return StepResult(data=data, cpu_seconds=1.0, media_seconds=6.0)


def _service(statuses: dict[int, str]) -> tuple[str, dict[int, str]]:
    """A 14 s video in three chunks (statuses by chunk), its probe done."""
    with session_scope() as session:
        owner = User(email="growth@church.test", password_hash="x", role="creator")
        session.add(owner)
        session.flush()
        content = Content(
            owner_id=owner.id, kind="sermon", title="Service", status="processing",
            visibility="private", generation=1, media_type="video", duration=14.0,
        )  # fmt: skip
        session.add(content)
        session.flush()
        session.add(
            Job(
                content_id=content.id,
                step="probe",
                generation=1,
                queue="media",
                status="succeeded",
                attempts=1,
            )  # fmt: skip
        )
        ids = {}
        for number, status in statuses.items():
            done = status == "succeeded"
            job = Job(
                content_id=content.id, step="encode_video", generation=1, chunk=number,
                queue="transcode", status=status, attempts=1, max_attempts=3,
                result=msgspec.to_builtins(_result(number)) if done else None,
            )  # fmt: skip
            session.add(job)
            session.flush()
            ids[number] = job.id
        return content.id, ids


def _succeed(content_id: str, ids: dict[int, str], number: int) -> None:
    claim = jobs.Claim(ids[number], content_id, "encode_video", 1, 3, chunk=number)
    assert record_success(claim, "encode_video", 1, _result(number)) is not None


def _playlist(content_id: str, rung: str) -> Path:
    return get_settings().storage_path / "media" / content_id / "g1" / "hls" / rung / "index.m3u8"


def test_each_success_lists_the_chunks_done_from_the_first(clean_db: None) -> None:
    content_id, ids = _service({1: "succeeded", 2: "running", 3: "running"})
    _succeed(content_id, ids, 2)
    for rung in ("360p", "240p"):
        text = _playlist(content_id, rung).read_text()
        assert [uri for uri, _ in playlist_segments(text)] == [f"seg_{n:05d}.m4s" for n in range(5)]
        # Still open: players keep asking for more; the join makes it VOD.
        assert "#EXT-X-PLAYLIST-TYPE:EVENT" in text and "#EXT-X-ENDLIST" not in text
        assert "#EXT-X-TARGETDURATION:6" in text
    # The sound is whole in the first chunk: its playlist is the first chunk's own, not grown.
    assert not _playlist(content_id, "audio").exists()
    _succeed(content_id, ids, 3)
    text = _playlist(content_id, "360p").read_text()
    assert len(playlist_segments(text)) == 7 and "#EXT-X-ENDLIST" not in text


def test_a_chunk_done_after_a_gap_waits_for_the_gap(clean_db: None) -> None:
    content_id, ids = _service({1: "succeeded", 2: "running", 3: "running"})
    _succeed(content_id, ids, 3)
    # Chunk 2 is not done: listing chunk 3 would skip it; the first chunk's playlist stands.
    assert not _playlist(content_id, "360p").exists()
    _succeed(content_id, ids, 2)
    assert len(playlist_segments(_playlist(content_id, "360p").read_text())) == 7


@pytest.mark.parametrize(
    ("done", "expected"),
    [([1], 0), ([2, 3], 0), ([1, 2], 5), ([1, 3], 0), ([1, 2, 3], 7)],
)
def test_grown_playlists_reach_as_far_as_the_run_from_the_first(
    done: list[int], expected: int
) -> None:
    playlists = grown_playlists([_output(n) for n in done], ["360p", "240p"])
    assert sorted(playlists) == ([] if not expected else ["240p", "360p"])
    for text in playlists.values():
        assert len(playlist_segments(text)) == expected


def test_chunks_that_do_not_meet_are_not_listed() -> None:
    second = _output(2)
    second.folders["360p"].segments[0] = Segment("seg_00009.m4s", "6.000000", 1)
    assert grown_playlists([_output(1), second], ["360p", "240p"]) == {}
