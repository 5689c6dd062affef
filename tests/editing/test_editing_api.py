"""Trims and clips over HTTP: the range is recorded and a new generation starts while the live
one keeps playing; undo brings back the whole source; bad ranges are refused with a code."""

from __future__ import annotations

from typing import Any

import pytest

from models import Content
from tests.sermons import make_sermon
from workers.db import session_scope

SEGMENTS = [
    {"start": 100.0, "end": 104.0, "text": "Good morning church it is good to see you"},
    {"start": 104.0, "end": 110.0, "text": "Open your Bibles to Psalm twenty three with me now"},
    {"start": 110.0, "end": 116.0, "text": "The Lord is my shepherd I shall not want he leads me"},
]


def _sermon(owner: str, **fields: Any) -> str:
    return make_sermon(
        owner, source_key="sources/x/service.mp4", duration=1800.0, segments=SEGMENTS, **fields
    )


def _row(content_id: str) -> Content:
    with session_scope() as session:
        row = session.get(Content, content_id)
        assert row is not None
        session.expunge(row)
        return row


@pytest.fixture
def creator(accounts) -> tuple[dict[str, str], dict[str, str]]:  # type: ignore[no-untyped-def]
    user = accounts.make("creator")
    return user, accounts.auth(user)


def test_a_trim_starts_a_generation_and_the_live_one_keeps_playing(client, creator) -> None:  # type: ignore[no-untyped-def]
    user, headers = creator
    sermon = _sermon(user["id"])
    response = client.post(
        f"/api/v1/content/{sermon}/trim", json={"start_s": 600, "end_s": 3000 / 2}, headers=headers
    )
    assert response.status_code == 202, response.text
    body = response.json()
    assert (body["start_s"], body["end_s"], body["generation"]) == (600, 1500, 2)
    row = _row(sermon)
    assert (row.range_start_s, row.range_end_s, row.status) == (600, 1500, "processing")
    assert row.live_generation == 1  # the previous generation is still the one served
    playback = client.get(f"/api/v1/content/{sermon}/playback", headers=headers)
    assert playback.status_code == 200 and playback.json()["generation"] == 1


def test_undo_brings_back_the_whole_source(client, creator) -> None:  # type: ignore[no-untyped-def]
    user, headers = creator
    sermon = _sermon(user["id"])
    client.post(
        f"/api/v1/content/{sermon}/trim", json={"start_s": 60, "end_s": 120}, headers=headers
    )
    # The trimmed generation's probe measures the cut; ranges still refer to the whole source.
    with session_scope() as session:
        session.get(Content, sermon).duration = 60.0  # type: ignore[union-attr]
    moved = client.post(
        f"/api/v1/content/{sermon}/trim", json={"start_s": 900, "end_s": 1700}, headers=headers
    )
    assert moved.status_code == 202, moved.text
    assert moved.json()["source_duration"] == 1800.0
    undone = client.delete(f"/api/v1/content/{sermon}/trim", headers=headers)
    assert undone.status_code == 200, undone.text
    assert undone.json()["start_s"] is None and undone.json()["generation"] == 4
    row = _row(sermon)
    assert row.range_start_s is None and row.range_end_s is None
    again = client.delete(f"/api/v1/content/{sermon}/trim", headers=headers)
    assert again.status_code == 409 and again.json()["code"] == "conflict"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"start_s": 300, "end_s": 200}, "range_reversed"),
        ({"start_s": 300, "end_s": 300.5}, "range_reversed"),
        ({"start_s": 1000, "end_s": 2000}, "range_outside_media"),
        ({"start_s": -5, "end_s": 200}, "validation_failed"),
        ({"start_s": 1, "end_s": 20, "extra": 1}, "validation_failed"),
    ],
)
def test_ranges_the_source_cannot_give_are_refused(client, creator, body, code) -> None:  # type: ignore[no-untyped-def]
    user, headers = creator
    sermon = _sermon(user["id"])
    response = client.post(f"/api/v1/content/{sermon}/trim", json=body, headers=headers)
    assert response.status_code in (400, 422), response.text
    assert response.json()["code"] == code
    assert set(response.json()) >= {"code", "detail"}
    assert _row(sermon).generation == 1  # nothing started


def test_only_the_owner_trims(client, accounts, creator) -> None:  # type: ignore[no-untyped-def]
    user, _ = creator
    sermon = _sermon(user["id"])
    other = accounts.auth(accounts.make("creator"))
    response = client.post(
        f"/api/v1/content/{sermon}/trim", json={"start_s": 1, "end_s": 20}, headers=other
    )
    assert response.status_code == 403


def test_a_draft_cannot_be_trimmed(client, creator) -> None:  # type: ignore[no-untyped-def]
    user, headers = creator
    draft = client.post("/api/v1/content", json={"title": "Draft"}, headers=headers).json()
    response = client.post(
        f"/api/v1/content/{draft['id']}/trim", json={"start_s": 1, "end_s": 20}, headers=headers
    )
    assert response.status_code == 409


def test_a_clip_is_a_new_content_with_its_parent_range_and_retimed_cues(client, creator) -> None:  # type: ignore[no-untyped-def]
    user, headers = creator
    sermon = _sermon(user["id"])
    response = client.post(
        f"/api/v1/content/{sermon}/clips",
        json={"start_s": 105, "end_s": 115, "title": "The shepherd", "aspect": "9:16"},
        headers=headers,
    )
    assert response.status_code == 202, response.text
    clip = response.json()
    assert clip["parent_id"] == sermon and (clip["start_s"], clip["end_s"]) == (105, 115)
    row = _row(clip["id"])
    assert row.kind == "clip" and row.status == "processing" and row.generation == 1
    assert row.source_key is None  # rendered from the parent's source
    cues = row.edit["cues"]  # type: ignore[index]
    assert 0.0 <= cues[0]["start"] < 1.0 and cues[-1]["end"] <= 10.0
    assert cues[0]["text"].startswith("Bibles") and "shepherd" in cues[-1]["text"]
    listed = client.get(f"/api/v1/content/{sermon}/clips", headers=headers).json()
    assert [c["id"] for c in listed] == [clip["id"]]
    read = client.get(f"/api/v1/content/{clip['id']}", headers=headers).json()
    assert read["kind"] == "clip" and read["parent_id"] == sermon  # links back at its time
    assert (read["range_start_s"], read["range_end_s"]) == (105, 115)


@pytest.mark.parametrize(
    ("start", "end", "code"),
    [(0, 181, "clip_too_long"), (1790, 1810, "range_outside_media"), (20, 10, "range_reversed")],
)
def test_clip_refusals(client, creator, start, end, code) -> None:  # type: ignore[no-untyped-def]
    user, headers = creator
    sermon = _sermon(user["id"])
    response = client.post(
        f"/api/v1/content/{sermon}/clips",
        json={"start_s": start, "end_s": end, "title": "x"},
        headers=headers,
    )
    assert response.status_code == 422, response.text
    assert response.json()["code"] == code


def test_a_clip_cannot_be_trimmed(client, creator) -> None:  # type: ignore[no-untyped-def]
    user, headers = creator
    sermon = _sermon(user["id"])
    clip = client.post(
        f"/api/v1/content/{sermon}/clips",
        json={"start_s": 100, "end_s": 110, "title": "x"},
        headers=headers,
    ).json()
    response = client.post(
        f"/api/v1/content/{clip['id']}/trim", json={"start_s": 1, "end_s": 5}, headers=headers
    )
    assert response.status_code == 409


def test_the_suggestion_is_the_long_talk_of_the_transcript(client, accounts) -> None:  # type: ignore[no-untyped-def]
    user = accounts.make("creator")
    headers = accounts.auth(user)
    talk = [
        {"start": 1200.0 + i * 10, "end": 1210.0 + i * 10, "text": " ".join(["word"] * 25)}
        for i in range(90)  # 15 minutes of steady talk from 20:00
    ]
    song = [{"start": 300.0, "end": 330.0, "text": "holy holy"}]
    sermon = make_sermon(
        user["id"], source_key="sources/x/s.mp4", duration=3600.0, segments=song + talk
    )
    body = client.get(f"/api/v1/content/{sermon}/trim/suggestion", headers=headers).json()
    assert (body["start_s"], body["end_s"]) == (1200.0, 2100.0)
    assert body["evidence"] == ["transcript"]


def test_only_a_recording_trims_itself(client, creator) -> None:  # type: ignore[no-untyped-def]
    user, headers = creator
    sermon = _sermon(user["id"])
    refused = client.put(
        f"/api/v1/content/{sermon}/trim/auto", json={"mode": "publish"}, headers=headers
    )
    assert refused.status_code == 409
    recording = _sermon(user["id"], kind="recording")
    set_ = client.put(
        f"/api/v1/content/{recording}/trim/auto", json={"mode": "wait"}, headers=headers
    )
    assert set_.status_code == 200 and _row(recording).auto_trim == "wait"


def test_a_ready_clips_mp4_is_in_its_playback_and_assets(client, creator) -> None:  # type: ignore[no-untyped-def]
    from models import Asset

    user, headers = creator
    sermon = _sermon(user["id"])
    clip = client.post(
        f"/api/v1/content/{sermon}/clips",
        json={"start_s": 100, "end_s": 110, "title": "x"},
        headers=headers,
    ).json()
    key = f"media/{clip['id']}/g1/clip.mp4"
    with session_scope() as session:
        row = session.get(Content, clip["id"])
        assert row is not None
        row.status, row.live_generation, row.media_type, row.duration = "ready", 1, "video", 10.0
        session.add(
            Asset(
                content_id=row.id, generation=1, kind="mp4", key=key, mime_type="video/mp4",
                bytes=1000, width=1080, height=1920,
            )
        )  # fmt: skip
    playback = client.get(f"/api/v1/content/{clip['id']}/playback", headers=headers).json()
    assert playback["mp4"] and key in playback["mp4"]
    assets = client.get(f"/api/v1/content/{clip['id']}", headers=headers).json()["assets"]
    assert [(a["kind"], a["width"], a["height"]) for a in assets] == [("mp4", 1080, 1920)]


def test_without_a_transcript_the_suggestion_comes_from_the_speech_profile(client, creator) -> None:  # type: ignore[no-untyped-def]
    from models import Job

    user, headers = creator
    recording = make_sermon(
        user["id"], kind="recording", source_key="sources/x/live.mp4", duration=3600.0
    )
    profile = ["music"] * 1500 + ["speech"] * 1500 + ["music"] * 600
    with session_scope() as session:
        session.add(
            Job(
                content_id=recording, step="speech_profile", generation=1, queue="media",
                status="succeeded", result={"data": {"speech_profile": profile}},
            )
        )  # fmt: skip
    body = client.get(f"/api/v1/content/{recording}/trim/suggestion", headers=headers).json()
    assert (body["start_s"], body["end_s"], body["evidence"]) == (1500.0, 3000.0, ["audio"])


def test_a_recordings_plan_profiles_its_speech_and_an_edited_plan_starts_with_its_edit() -> None:
    from pipelines.plans import plan_for

    assert "speech_profile" in [s.name for s in plan_for("audio", kind="recording")]
    assert "speech_profile" not in [s.name for s in plan_for("audio")]
    trimmed = plan_for("video", "trim", kind="recording")
    assert [s.name for s in trimmed[:2]] == ["trim", "probe"] and trimmed[1].after == ("trim",)
    assert "speech_profile" not in [s.name for s in trimmed]
    assert [s.name for s in plan_for(None, "clip")] == ["render_clip", "probe"]
