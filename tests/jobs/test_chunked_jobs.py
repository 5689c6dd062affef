"""A long video's encode as chunk jobs through the real job core: two worker processes on the
transcode queue share the chunks, a chunk that fails is retried alone, the whole job joins them
into a ladder that plays end to end, and cancelling one chunk stops them all. Sizes shrunk by
settings: 2 s segments, 4 s chunks from 4 s on, a 12 s video."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from models import Content, Job, User
from pipelines.chunks import ChunkRule
from pipelines.plans import STEPS
from settings import get_settings
from tests.conftest import wait_for_status
from tests.jobs.conftest import make_video, upload
from tests.pipelines.conftest import decodes_to_the_end
from tests.web.test_pages_http import sign_in
from workers import control
from workers.db import session_scope
from workers.orchestrator import JobState, Planned, decide

CHUNKED = {
    "VIDEO_CHUNK_MIN_S": "4",
    "VIDEO_CHUNK_S": "4",
    "HLS_SEGMENT_S": "2",
    "VIDEO_LADDER": "360,240",
}
RULE = ChunkRule(min_s=4, chunk_s=4, segment_s=2)
ENCODE = STEPS["encode_video"]


def _jobs(content_id: str, step: str = "encode_video") -> list[Job]:
    with session_scope() as session:
        rows = list(
            session.scalars(
                select(Job)
                .where(Job.content_id == content_id, Job.step == step)
                .order_by(Job.chunk)
            )
        )
        session.expunge_all()
    return rows


def test_a_long_video_is_planned_as_chunks_then_joined_by_the_whole_job() -> None:
    probed = [JobState("probe", "succeeded", None)]
    first = decide("processing", "video", probed, duration=12.0, chunking=RULE)
    assert [p for p in first.to_plan if p.spec.name == "encode_video"] == [
        Planned(ENCODE, 1),
        Planned(ENCODE, 2),
        Planned(ENCODE, 3),
    ]
    two_done = [
        *probed,
        JobState("encode_video", "succeeded", None, 1),
        JobState("encode_video", "running", None, 2),
        JobState("encode_video", "succeeded", None, 3),
        JobState("thumbnails", "succeeded", None),
    ]
    waiting = decide("processing", "video", two_done, duration=12.0, chunking=RULE)
    # Nothing of the encode yet, and publish waits for the whole job, not for the chunks.
    assert not [p for p in waiting.to_plan if p.spec.name in ("encode_video", "publish")]
    all_done = [j._replace(status="succeeded") for j in two_done]
    joining = decide("processing", "video", all_done, duration=12.0, chunking=RULE)
    assert Planned(ENCODE, 0) in joining.to_plan
    assert "publish" not in {p.spec.name for p in joining.to_plan}
    # A short video is encoded whole, as before.
    short = decide("processing", "video", probed, duration=3.0, chunking=RULE)
    assert Planned(ENCODE, 0) in short.to_plan


def test_a_failed_chunk_fails_the_content_and_names_its_chunk() -> None:
    jobs = [
        JobState("probe", "succeeded", None),
        JobState("encode_video", "succeeded", None, 1),
        JobState("encode_video", "failed", "ffmpeg exited 1", 2),
    ]
    decision = decide("processing", "video", jobs, duration=12.0, chunking=RULE)
    assert decision.status == "failed"
    assert decision.error == "encode_video chunk 2: ffmpeg exited 1"
    assert decision.to_plan == []


def test_two_workers_encode_the_chunks_a_chunk_is_retried_alone_and_the_join_plays(
    client, accounts, worker_processes, media_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    marks = tmp_path / "marks"
    env = {**CHUNKED, "TEST_STEP_MARKS": str(marks)}
    modules = ("tests.jobs.chunk_faults",)
    worker_processes(["media", "io", "default", "transcode"], modules=modules, **env)
    worker_processes(["transcode"], modules=modules, **env)
    headers = accounts.auth(accounts.make("creator"))
    content_id = upload(client, headers, make_video(media_dir / "long-service.mp4", 12.0))
    done = wait_for_status(client, content_id, headers, {"ready", "failed"}, timeout=240)
    assert done["status"] == "ready", done

    rows = _jobs(content_id)
    assert [(j.chunk, j.status) for j in rows] == [
        (0, "succeeded"),
        (1, "succeeded"),
        (2, "succeeded"),
        (3, "succeeded"),
    ]
    # The second chunk failed once and ran again; no other chunk ran twice.
    runs = Counter(line.split()[1] for line in marks.read_text().splitlines())
    assert runs == {"1": 1, "2": 2, "3": 1, "0": 1}
    assert [j.attempts for j in rows] == [1, 1, 2, 1]
    # The whole job (the join) finished after every chunk, and it is what publish read.
    assert all(rows[0].finished_at >= j.finished_at for j in rows[1:])
    assert rows[0].result["data"]["variants"]

    hls = get_settings().storage_path / "media" / content_id / "g1" / "hls"
    for rung in ("360p", "240p"):
        text = (hls / rung / "index.m3u8").read_text()
        assert text.count("#EXTINF:") == 6 and text.rstrip().endswith("#EXT-X-ENDLIST")
    assert decodes_to_the_end(hls / "master.m3u8") == pytest.approx(12.0, abs=0.1)


def _content_with_chunks(statuses: list[str]) -> tuple[str, list[str]]:
    with session_scope() as session:
        owner = User(email="chunks@church.test", password_hash="x", role="creator")
        session.add(owner)
        session.flush()
        content = Content(
            owner_id=owner.id, kind="sermon", title="Long service", status="processing",
            visibility="private", generation=1, media_type="video", duration=1200.0,
        )  # fmt: skip
        session.add(content)
        session.flush()
        rows = [
            Job(
                content_id=content.id,
                step="encode_video",
                generation=1,
                chunk=number,
                queue="transcode",
                status=status,
            )  # fmt: skip
            for number, status in enumerate(statuses, start=1)
        ]
        session.add_all(rows)
        session.flush()
        return content.id, [row.id for row in rows]


def test_cancelling_one_chunk_cancels_every_unfinished_chunk(clean_db: None) -> None:
    content_id, ids = _content_with_chunks(["succeeded", "running", "queued", "queued"])
    control.cancel_job(ids[2])
    assert [(j.chunk, j.status) for j in _jobs(content_id)] == [
        (1, "succeeded"),
        (2, "cancelled"),
        (3, "cancelled"),
        (4, "cancelled"),
    ]
    with session_scope() as session:
        content = session.get(Content, content_id)
        assert content is not None and content.status == "failed"
        assert content.error is not None and content.error.startswith("encode_video chunk")


def test_the_job_views_show_each_chunk(client, accounts) -> None:  # type: ignore[no-untyped-def]
    content_id, _ = _content_with_chunks(["succeeded", "running", "queued"])
    admin_user = accounts.make("admin")
    admin = accounts.auth(admin_user)
    listed = client.get(f"/api/v1/admin/jobs?content_id={content_id}", headers=admin)
    assert listed.status_code == 200, listed.text
    assert sorted(job["chunk"] for job in listed.json()["jobs"]) == [1, 2, 3]
    # The content's own view (the studio's) lists each chunk too.
    content = client.get(f"/api/v1/content/{content_id}", headers=admin).json()
    assert sorted(job["chunk"] for job in content["jobs"]) == [1, 2, 3]
    # And the admins' dashboard names each chunk beside its step.
    sign_in(client, admin_user)
    page = client.get("/admin", params={"content_id": content_id})
    assert page.status_code == 200, page.text
    assert all(f'encode_video <span class="chunk">chunk {n}</span>' in page.text for n in (1, 2, 3))
