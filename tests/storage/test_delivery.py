"""Playback URLs and the embedded /cdn: public content plain, the rest signed over its prefix;
Range requests; tampered or expired signatures refused; CloudFront cookies that verify."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from models import Asset, Content, User, utcnow


def _content(visibility: str, *, published: bool) -> tuple[str, bytes]:
    """A ready content whose live generation has a master, a variant playlist and a segment."""
    from settings import get_settings
    from workers.db import session_scope

    segment = bytes(range(256)) * 40  # 10,240 bytes
    with session_scope() as session:
        owner = User(
            email=f"o-{time.monotonic_ns()}@church.test", password_hash="x", role="creator"
        )
        session.add(owner)
        session.flush()
        content = Content(
            owner_id=owner.id,
            title="Psalm 23",
            status="ready",
            visibility=visibility,
            generation=1,
            live_generation=1,
            media_type="audio",
            published_at=utcnow() if published else None,
        )
        session.add(content)
        session.flush()
        prefix = f"media/{content.id}/g1"
        files = {
            "hls/master.m3u8": b"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=64000\naudio/index.m3u8\n",
            "hls/audio/index.m3u8": b"#EXTM3U\n#EXTINF:4.0,\nseg_00001.m4s\n#EXT-X-ENDLIST\n",
            "hls/audio/seg_00001.m4s": segment,
        }
        for key, data in files.items():
            path = Path(get_settings().storage_path) / prefix / key
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        session.add(
            Asset(
                content_id=content.id,
                generation=1,
                kind="hls_master",
                key=f"{prefix}/hls/master.m3u8",
                mime_type="application/vnd.apple.mpegurl",
                bytes=len(files["hls/master.m3u8"]),
            )
        )
        session.add(
            Asset(
                content_id=content.id,
                generation=1,
                kind="hls_variant",
                key=f"{prefix}/hls/audio/index.m3u8",
                mime_type="application/vnd.apple.mpegurl",
                bytes=10,
            )
        )
        return content.id, segment


def _path(url: str) -> str:
    return urlparse(url).path


def test_public_content_plays_from_plain_urls(client: Any) -> None:
    content_id, segment = _content("public", published=True)
    playback = client.get(f"/api/v1/content/{content_id}/playback").json()
    assert playback["cookies"] is None and playback["expires_at"] is None
    master = _path(playback["hls"])
    assert master == f"/cdn/media/{content_id}/g1/hls/master.m3u8"
    response = client.get(master)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.apple.mpegurl")
    assert "max-age=300" in response.headers["cache-control"]
    seg = client.get(master.replace("master.m3u8", "audio/seg_00001.m4s"))
    assert seg.content == segment
    assert "immutable" in seg.headers["cache-control"]


def test_unlisted_content_gets_a_signature_that_covers_every_segment(client: Any) -> None:
    content_id, segment = _content("unlisted", published=True)
    playback = client.get(f"/api/v1/content/{content_id}/playback").json()
    assert playback["expires_at"] is not None
    master = _path(playback["hls"])
    assert master.startswith("/cdn/s/")
    assert client.get(master).status_code == 200
    # The player resolves the variant and its segments relative to the master: still signed.
    variant = master.rsplit("/", 1)[0] + "/audio/index.m3u8"
    assert client.get(variant).status_code == 200
    assert client.get(variant.replace("index.m3u8", "seg_00001.m4s")).content == segment
    # Without the signature, the same object is not served.
    assert client.get(f"/cdn/media/{content_id}/g1/hls/master.m3u8").status_code == 404


def test_a_tampered_or_expired_signature_is_refused(client: Any) -> None:
    from pipelines.storage.delivery import embedded_signature
    from settings import get_settings

    content_id, _ = _content("unlisted", published=True)
    other_id, _ = _content("unlisted", published=True)
    master = _path(client.get(f"/api/v1/content/{content_id}/playback").json()["hls"])
    _, _, _, expires, signature, rest = master.split("/", 5)
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    assert client.get(f"/cdn/s/{expires}/{flipped}/{rest}").status_code == 403
    # A later expiry with the old signature is refused: the expiry is signed.
    assert client.get(f"/cdn/s/{int(expires) + 3600}/{signature}/{rest}").status_code == 403
    # A valid signature for one content opens no other content.
    other = rest.replace(content_id, other_id)
    assert client.get(f"/cdn/s/{expires}/{signature}/{other}").status_code == 403
    # Expired (properly signed, in the past): refused.
    past = int(time.time()) - 10
    old = embedded_signature(get_settings().cdn_signing_secret, past, content_id)
    refused = client.get(f"/cdn/s/{past}/{old}/{rest}")
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"


def test_private_content_is_not_served_without_a_signature_and_sources_never(
    client: Any,
) -> None:
    from settings import get_settings

    content_id, _ = _content("private", published=False)
    assert client.get(f"/cdn/media/{content_id}/g1/hls/master.m3u8").status_code == 404
    source = Path(get_settings().storage_path) / "sources" / content_id / "a.m4a"
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_bytes(b"original")
    assert client.get(f"/cdn/sources/{content_id}/a.m4a").status_code == 404
    assert client.get(f"/cdn/media/../sources/{content_id}/a.m4a").status_code == 404


@pytest.mark.parametrize(
    ("header", "status", "first", "last"),
    [
        ("bytes=0-99", 206, 0, 99),
        ("bytes=10000-", 206, 10000, 10239),
        ("bytes=-40", 206, 10200, 10239),
        ("bytes=10000-99999", 206, 10000, 10239),
    ],
)
def test_range_requests_get_the_bytes_asked_for(
    client: Any, header: str, status: int, first: int, last: int
) -> None:
    content_id, segment = _content("public", published=True)
    response = client.get(
        f"/cdn/media/{content_id}/g1/hls/audio/seg_00001.m4s", headers={"Range": header}
    )
    assert response.status_code == status
    assert response.headers["content-range"] == f"bytes {first}-{last}/{len(segment)}"
    assert response.content == segment[first : last + 1]
    assert response.headers["content-length"] == str(last - first + 1)
    assert response.headers["accept-ranges"] == "bytes"


def test_a_range_past_the_end_is_416(client: Any) -> None:
    content_id, segment = _content("public", published=True)
    response = client.get(
        f"/cdn/media/{content_id}/g1/hls/audio/seg_00001.m4s", headers={"Range": "bytes=20000-"}
    )
    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{len(segment)}"


def _cf_b64decode(text: str) -> bytes:
    return base64.b64decode(text.translate(str.maketrans("-_~", "+=/")))


def test_cloudfront_cookies_carry_a_wildcard_policy_signed_with_the_key_pair(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import msgspec
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    from pipelines.storage.delivery import grant_access, signed_url
    from settings import get_settings

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    settings = msgspec.structs.replace(
        get_settings(),
        cdn_base_url="https://d111.cloudfront.net",
        cloudfront_key_pair_id="K2JCJMDEHXQW5F",
        cloudfront_private_key=pem,
        signed_url_ttl_s=600,
    )
    now = time.time()
    grant = grant_access(settings, "c1", now=now)
    assert grant.cookies is not None
    policy = _cf_b64decode(grant.cookies["CloudFront-Policy"])
    statement = json.loads(policy)["Statement"][0]
    assert statement["Resource"] == "https://d111.cloudfront.net/media/c1/*"
    assert statement["Condition"]["DateLessThan"]["AWS:EpochTime"] == int(now + 600)
    signature = _cf_b64decode(grant.cookies["CloudFront-Signature"])
    key.public_key().verify(signature, policy, padding.PKCS1v15(), hashes.SHA1())  # raises if bad
    assert grant.cookies["CloudFront-Key-Pair-Id"] == "K2JCJMDEHXQW5F"
    url = signed_url(settings, grant, "media/c1/g2/audio.mp3")
    assert url.startswith("https://d111.cloudfront.net/media/c1/g2/audio.mp3?Policy=")
    assert "Key-Pair-Id=K2JCJMDEHXQW5F" in url
    with pytest.raises(ValueError):
        signed_url(settings, grant, "media/c2/g1/audio.mp3")
