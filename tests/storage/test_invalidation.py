"""CloudFront invalidation (moto): a burst of changes becomes a handful of invalidations, within
CloudFront's limits, retried on throttling, recorded on the contents."""

from __future__ import annotations

import time
from typing import Any

import pytest
from botocore.stub import Stubber

from models import Content, User
from pipelines.storage.cdn import (
    MAX_WILDCARDS_IN_FLIGHT,
    caller_reference,
    cloudfront_client,
    collapse_paths,
    create_invalidation,
    is_wildcard,
)
from pipelines.storage.errors import CdnUnavailable


def _contents(n: int) -> list[str]:
    from workers.db import session_scope

    with session_scope() as session:
        owner = User(
            email=f"o-{time.monotonic_ns()}@church.test", password_hash="x", role="creator"
        )
        session.add(owner)
        session.flush()
        rows = [Content(owner_id=owner.id, title=f"Sermon {i}", status="ready") for i in range(n)]
        session.add_all(rows)
        session.flush()
        return [c.id for c in rows]


def _invalidations(settings: Any) -> list[dict[str, Any]]:
    client = cloudfront_client(settings)
    listing = client.list_invalidations(DistributionId=settings.cloudfront_distribution_id)
    items = listing["InvalidationList"].get("Items", [])
    return [
        client.get_invalidation(DistributionId=settings.cloudfront_distribution_id, Id=i["Id"])[
            "Invalidation"
        ]
        for i in items
    ]


def _stable_paths(content_id: str, generation: int) -> list[str]:
    prefix = f"/media/{content_id}/g{generation}"
    return [
        f"{prefix}/hls/master.m3u8",
        f"{prefix}/hls/audio/index.m3u8",
        f"{prefix}/captions/en.vtt",
        f"{prefix}/poster.jpg",
    ]


def test_200_reprocess_events_in_a_burst_make_a_handful_of_invalidations(s3: Any) -> None:
    from workers.cdn_invalidation import flush_invalidations, pending_paths, request_invalidation

    ids = _contents(200)
    for i, content_id in enumerate(ids):
        request_invalidation(_stable_paths(content_id, 2), content_id)
        if i % 10 == 0:
            flush_invalidations()  # the clock ticks all through the burst
    deadline = time.monotonic() + 10
    while pending_paths() and time.monotonic() < deadline:
        flush_invalidations()
        time.sleep(0.2)
    assert pending_paths() == []

    made = _invalidations(s3)
    assert 1 <= len(made) <= 5, len(made)
    sent = [p for inv in made for p in inv["InvalidationBatch"]["Paths"]["Items"]]
    assert len(sent) <= 3000 and sum(is_wildcard(p) for p in sent) <= MAX_WILDCARDS_IN_FLIGHT
    # Every changed URL is covered by what was sent.
    for content_id in ids:
        for path in _stable_paths(content_id, 2):
            assert path in sent or any(w.endswith("*") and path.startswith(w[:-1]) for w in sent)

    # The invalidation shows on each content, and its status follows CloudFront's.
    from workers.db import session_scope

    with session_scope() as session:
        recorded = session.get(Content, ids[0]).invalidation  # type: ignore[union-attr]
    assert recorded is not None and recorded["id"] in {inv["Id"] for inv in made}
    time.sleep(1.1)
    flush_invalidations()  # refreshes statuses in flight (moto says COMPLETED at once)
    with session_scope() as session:
        recorded = session.get(Content, ids[0]).invalidation  # type: ignore[union-attr]
    assert recorded["status"].lower() == "completed"


def test_a_batch_that_failed_half_way_is_sent_again_with_the_same_caller_reference(
    s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CloudFront answers a repeated CallerReference with the invalidation it already made (moto
    does not implement that; what we check is that a retry repeats the reference)."""
    import workers.cdn_invalidation as invalidation

    (content_id,) = _contents(1)
    invalidation.request_invalidation(_stable_paths(content_id, 3), content_id)
    references: list[str] = []
    real = invalidation.create_invalidation

    def dies_after_sending(settings: Any, paths: list[str], reference: str) -> Any:
        references.append(reference)
        if len(references) == 1:
            raise CdnUnavailable("connection reset after the request went out")
        return real(settings, paths, reference)

    monkeypatch.setattr(invalidation, "create_invalidation", dies_after_sending)
    assert invalidation.flush_invalidations() is None
    # The batch waits for its backoff, then goes again.
    sent = None
    deadline = time.monotonic() + 10
    while sent is None and time.monotonic() < deadline:
        time.sleep(0.3)
        sent = invalidation.flush_invalidations()
    assert sent is not None
    assert references[0] == references[-1] == sent.caller_reference
    assert len(_invalidations(s3)) == 1


def test_throttling_is_retried_with_backoff(s3: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore's Stubber stands in for CloudFront answering "too many in progress" twice."""
    import pipelines.storage.cdn as cdn

    client = cloudfront_client(s3)
    stubber = Stubber(client)
    for _ in range(2):
        stubber.add_client_error(
            "create_invalidation", "TooManyInvalidationsInProgress", http_status_code=400
        )
    stubber.add_response(
        "create_invalidation",
        {
            "Location": "https://cloudfront/inv/I1",
            "Invalidation": {
                "Id": "I1",
                "Status": "InProgress",
                "CreateTime": "2026-11-24T00:00:00Z",
                "InvalidationBatch": {
                    "Paths": {"Quantity": 1, "Items": ["/a"]},
                    "CallerReference": "r",
                },
            },
        },
    )
    monkeypatch.setattr(cdn, "cloudfront_client", lambda settings: client)
    sleeps: list[float] = []
    with stubber:
        made = create_invalidation(s3, ["/a"], "r", sleep=sleeps.append)
    assert made.id == "I1" and sleeps == [1.0, 2.0]

    stubber = Stubber(client)
    for _ in range(4):
        stubber.add_client_error("create_invalidation", "Throttling", http_status_code=400)
    with stubber, pytest.raises(CdnUnavailable) as raised:
        create_invalidation(s3, ["/a"], "r", sleep=sleeps.append)
    assert raised.value.transient


def test_paths_collapse_into_wildcards_within_cloudfronts_limits() -> None:
    assert collapse_paths(["media/a/", "/media/a/g1/x.vtt", "/feed.xml"]) == [
        "/feed.xml",
        "/media/a/*",
    ]
    many = [f"/media/c{i}/g1/hls/seg{j}.m3u8" for i in range(40) for j in range(100)]
    collapsed = collapse_paths(many, max_paths=3000, max_wildcards=15)
    assert len(collapsed) <= 3000 and sum(is_wildcard(p) for p in collapsed) <= 15
    for path in many:
        assert path in collapsed or any(
            path.startswith(w[:-1]) for w in collapsed if is_wildcard(w)
        )
    wild = [f"/media/c{i}/*" for i in range(40)]
    assert collapse_paths(wild, max_wildcards=15) == ["/media/*"]
    assert collapse_paths(["/media/a/x", "/media/b/y"], max_paths=1) == ["/media/*"]


def test_the_caller_reference_depends_on_the_paths_and_the_window() -> None:
    assert caller_reference(["/b", "/a"], 7) == caller_reference(["/a", "/b", "/a"], 7)
    assert caller_reference(["/a"], 7) != caller_reference(["/a"], 8)
    assert caller_reference(["/a"], 7) != caller_reference(["/b"], 7)
