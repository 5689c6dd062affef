"""S3 without CloudFront keeps the bucket private and still plays: a player fetches the master,
the variant, the audio rendition and the I-frame playlist from the API's /cdn route and every
segment and init section straight from S3 by presigned URL. An unsigned URL of a segment is
refused by the bucket; a tampered or expired path signature is refused by the API.

The bucket is a moto server on loopback with no policy and objects as S3 stores them (private
ACL), the HLS is real (ffmpeg, the pipeline's own HLS arguments, I-frame playlist and master),
and the API is the real one under uvicorn. moto does not check presigned signatures: the
private-bucket proof is that the same object is refused without one.
"""

from __future__ import annotations

import json
import re
import secrets
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import msgspec
import pytest
import yaml
from litestar.testing import TestClient

from api.app import create_app
from pipelines.storage import s3_client
from pipelines.storage.delivery import GRANT_STEP_S, grant_access, signed_url
from settings import Settings, get_settings
from tests.conftest import serve_api
from tests.storage.private_hls import Sermon, make_hls, signed_in_creator, store_sermon

TTL_S = 600
URI_ATTRIBUTE = re.compile(r'URI="([^"]*)"')


@pytest.fixture(scope="module")
def hls(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_hls(tmp_path_factory.mktemp("private-hls"))


@pytest.fixture()
def private_s3(
    s3: Settings, monkeypatch: pytest.MonkeyPatch, moto_endpoint: str
) -> Iterator[Settings]:
    """The `s3` settings with short grants, a recognisable secret (to look for in answers), and
    listeners reaching the bucket by another name than the platform (`localhost` here)."""
    monkeypatch.setenv("SIGNED_URL_TTL_S", str(TTL_S))
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", f"cnt-secret-{secrets.token_hex(8)}")
    monkeypatch.setenv("S3_PUBLIC_ENDPOINT_URL", moto_endpoint.replace("127.0.0.1", "localhost"))
    get_settings.cache_clear()
    try:
        yield get_settings()
    finally:
        get_settings.cache_clear()


@pytest.fixture()
def api(private_s3: Settings) -> Iterator[str]:
    with serve_api() as base:
        yield base


@dataclass
class Fetched:
    url: str
    status: int
    body: bytes
    byte_range: tuple[int, int] | None  # (offset, length) of an EXT-X-BYTERANGE


@dataclass
class Play:
    playlists: dict[str, httpx.Response] = field(default_factory=dict)
    media: list[Fetched] = field(default_factory=list)


def play(http: httpx.Client, master_url: str) -> Play:
    """Fetch as an HLS player does: the master, each playlist it names (relative to the
    playlist that names it), then every segment and init section those name, byte ranges as
    Range requests."""
    seen = Play()
    queue = [master_url]
    while queue:
        url = queue.pop(0)
        answer = http.get(url)
        seen.playlists[url] = answer
        assert answer.status_code == 200, (url, answer.status_code, answer.text)
        byte_range: tuple[int, int] | None = None
        for line in answer.text.splitlines():
            uris = URI_ATTRIBUTE.findall(line) if line.startswith("#EXT") else [line.strip()]
            if line.startswith("#EXT-X-BYTERANGE:"):
                length, offset = line.split(":", 1)[1].split("@")
                byte_range = (int(offset), int(length))
            for uri in filter(None, uris):
                if uri.startswith("#"):
                    continue
                target = urljoin(url, uri)
                if urlsplit(target).path.endswith(".m3u8"):
                    queue.append(target)
                    continue
                ranged = byte_range if not line.startswith("#EXT") else None
                headers = {}
                if ranged:
                    headers["Range"] = f"bytes={ranged[0]}-{ranged[0] + ranged[1] - 1}"
                got = http.get(target, headers=headers)
                seen.media.append(Fetched(target, got.status_code, got.content, ranged))
                if not line.startswith("#EXT"):
                    byte_range = None
    return seen


def _key(settings: Settings, url: str) -> str:
    path = urlsplit(url).path
    return path.split(f"/{settings.s3_bucket}/", 1)[1]


def _assert_played_from_the_bucket(settings: Settings, sermon: Sermon, seen: Play) -> None:
    public_endpoint = urlsplit(settings.s3_public_endpoint_url).netloc
    fetched_keys = set()
    for fetched in seen.media:
        parts = urlsplit(fetched.url)
        assert parts.netloc == public_endpoint, fetched.url  # presigned, at the listeners' address
        query = parse_qs(parts.query)
        # Until the grant ends: SIGNED_URL_TTL_S, rounded up to the minute.
        lifetime = int(query["X-Amz-Expires"][0])
        assert query["X-Amz-Signature"] and 0 < lifetime <= TTL_S + GRANT_STEP_S
        key = _key(settings, fetched.url)
        expected = sermon.files[key].read_bytes()
        if fetched.byte_range:
            offset, length = fetched.byte_range
            assert fetched.status == 206, fetched.url
            assert fetched.body == expected[offset : offset + length]
        else:
            assert fetched.status == 200, fetched.url
            assert fetched.body == expected
        fetched_keys.add(key)
    # Every segment and init section of the rung and of the audio rendition, and nothing else.
    media = {k for k in sermon.files if not k.endswith((".m3u8", ".mp3"))}
    assert fetched_keys == media and any(k.endswith("audio_en/init.mp4") for k in media)
    assert sum(1 for f in seen.media if f.byte_range) >= 2  # the I-frame playlist's ranges
    # Four playlists (master, rung, audio, I-frames), every one through the API.
    assert len(seen.playlists) == 4


def test_a_private_sermon_plays_from_a_private_bucket_through_the_api(
    api: str, private_s3: Settings, hls: Path
) -> None:
    headers, email = signed_in_creator(api)
    sermon = store_sermon(private_s3, hls, email, public=False)
    playback = httpx.get(f"{api}/api/v1/content/{sermon.id}/playback", headers=headers).json()
    master = urlsplit(playback["hls"])
    assert f"{master.scheme}://{master.netloc}" == api and master.path.startswith("/cdn/s/")

    with httpx.Client(timeout=10) as http:
        seen = play(http, playback["hls"])
        for answer in seen.playlists.values():
            assert answer.headers["content-type"].startswith("application/vnd.apple.mpegurl")
            assert answer.headers["cache-control"] == "private, no-store"
        _assert_played_from_the_bucket(private_s3, sermon, seen)

        # HEAD of a playlist: its headers, no body.
        head = http.head(playback["hls"])
        assert head.status_code == 200 and head.content == b""
        assert head.headers["content-type"].startswith("application/vnd.apple.mpegurl")

        # Any other object: a redirect to a presigned URL, for GET and for HEAD (SigV4 signs
        # the method, so each gets its own).
        mp3 = http.get(playback["mp3"])
        assert mp3.status_code == 302 and "X-Amz-Signature=" in mp3.headers["location"]
        assert mp3.headers["cache-control"] == "private, no-store"
        assert (
            http.get(playback["mp3"], follow_redirects=True).content
            == hls.joinpath("x.mp3").read_bytes()
        )
        head = http.head(playback["mp3"], follow_redirects=True)
        assert head.status_code == 200
        assert int(head.headers["content-length"]) == hls.joinpath("x.mp3").stat().st_size

    # The secret never reaches a listener.
    secret = private_s3.aws_secret_access_key
    for answer in seen.playlists.values():
        assert secret not in answer.text and secret not in json.dumps(dict(answer.headers))
    assert secret not in json.dumps(playback)


def test_ffmpeg_plays_the_signed_master_to_the_end(
    api: str, private_s3: Settings, hls: Path
) -> None:
    headers, email = signed_in_creator(api)
    sermon = store_sermon(private_s3, hls, email, public=False)
    url = httpx.get(f"{api}/api/v1/content/{sermon.id}/playback", headers=headers).json()["hls"]
    decoded = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", url, "-map", "0:v", "-map", "0:a",
         "-f", "framemd5", "-"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert decoded.returncode == 0, decoded.stderr
    frames = [line for line in decoded.stdout.splitlines() if line and not line.startswith("#")]
    assert sum(1 for f in frames if f.startswith("0,")) == 100  # 4 s at 25 fps
    assert any(f.startswith("1,") for f in frames)  # and the audio rendition's sound


def test_an_unsigned_segment_url_is_refused_by_the_bucket(
    api: str, private_s3: Settings, hls: Path, moto_endpoint: str
) -> None:
    _, email = signed_in_creator(api)
    sermon = store_sermon(private_s3, hls, email, public=False)
    segment = next(k for k in sermon.files if k.endswith("seg_00000.m4s"))
    unsigned = f"{moto_endpoint}/{private_s3.s3_bucket}/{segment}"
    assert httpx.get(unsigned).status_code == 403

    # What the compose stack used to do (`mc anonymous set download .../media`) opens it: the
    # refusal above is the bucket's privacy, not a broken URL.
    s3_client(private_s3).put_bucket_policy(
        Bucket=private_s3.s3_bucket,
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "s3:GetObject",
                        "Resource": f"arn:aws:s3:::{private_s3.s3_bucket}/media/*",
                    }
                ],
            }
        ),
    )
    opened = httpx.get(unsigned)
    assert opened.status_code == 200 and opened.content == sermon.files[segment].read_bytes()


def test_a_tampered_or_expired_path_signature_is_refused_in_the_api_error_shape(
    api: str, private_s3: Settings, hls: Path
) -> None:
    headers, email = signed_in_creator(api)
    sermon = store_sermon(private_s3, hls, email, public=False)
    other = store_sermon(private_s3, hls, email, public=False)
    master = f"media/{sermon.id}/g1/hls/master.m3u8"
    good = httpx.get(f"{api}/api/v1/content/{sermon.id}/playback", headers=headers).json()["hls"]
    _, _, expires, signature, _ = urlsplit(good).path.split("/", 5)[1:]  # cdn/s/exp/sig/key
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    expired = grant_access(private_s3, sermon.id, now=time.time() - 2 * TTL_S)
    refused = {
        "tampered": good.replace(signature, flipped),
        "later expiry": good.replace(f"/{expires}/", f"/{int(expires) + 3600}/"),
        "expired": api + urlsplit(signed_url(private_s3, expired, master)).path,
        "another sermon's key": good.replace(sermon.id, other.id),
        "unsigned": f"{api}/cdn/{master}",
    }
    assert httpx.get(good).status_code == 200
    for case, url in refused.items():
        answer = httpx.get(url)
        body = answer.json()
        if case == "unsigned":  # a private sermon does not exist for someone without a grant
            assert answer.status_code == 404 and body["code"] == "not_found", case
        else:
            assert answer.status_code == 403, case
            assert body["code"] == "forbidden" and "signature" in body["detail"], case
        assert "X-Amz" not in answer.text and private_s3.aws_secret_access_key not in answer.text


def test_a_public_sermon_plays_unsigned_through_the_api_and_may_be_cached(
    api: str, private_s3: Settings, hls: Path
) -> None:
    _, email = signed_in_creator(api)
    sermon = store_sermon(private_s3, hls, email, public=True)
    playback = httpx.get(f"{api}/api/v1/content/{sermon.id}/playback").json()
    assert playback["hls"] == f"{api}/cdn/media/{sermon.id}/g1/hls/master.m3u8"
    assert playback["expires_at"] is None
    with httpx.Client(timeout=10) as http:
        seen = play(http, playback["hls"])
        for answer in seen.playlists.values():
            assert answer.headers["cache-control"] == "public, max-age=60"
        _assert_played_from_the_bucket(private_s3, sermon, seen)
        mp3 = http.get(playback["mp3"])
        assert mp3.status_code == 302 and mp3.headers["cache-control"] == "public, max-age=60"
        assert (
            http.get(playback["mp3"], follow_redirects=True).content
            == hls.joinpath("x.mp3").read_bytes()
        )


def test_the_compose_stack_opens_no_part_of_the_bucket_to_anyone() -> None:
    compose = yaml.safe_load((Path(__file__).parents[2] / "docker-compose.yml").read_text())
    commands = yaml.safe_dump(compose["services"])
    for grant in ("download", "upload", "public"):
        assert f"anonymous set {grant}" not in commands
    # An install made by an older version of the file is closed again at the next start.
    assert "mc anonymous set none local/cnt-media/media" in commands
    environment = compose["x-platform"]["environment"]
    assert environment["CDN_BASE_URL"] == "${CDN_BASE_URL:-}"  # the API's /cdn, which presigns
    assert environment["S3_PUBLIC_ENDPOINT_URL"].startswith("${S3_PUBLIC_ENDPOINT_URL:-")


def test_a_bucket_that_refuses_answers_503_in_the_api_error_shape_without_secrets(
    private_s3: Settings,
) -> None:
    gone = msgspec.structs.replace(private_s3, s3_bucket=f"{private_s3.s3_bucket}-deleted")
    key = "media/c1/g1/hls/master.m3u8"
    url = signed_url(gone, grant_access(gone, "c1"), key)
    with TestClient(create_app(gone), base_url=gone.public_base_url) as client:
        answer = client.get(urlsplit(url).path)
    assert answer.status_code == 503, answer.text
    body = answer.json()
    assert body["code"] == "unavailable" and "try again" in body["detail"]
    for secret in (gone.aws_secret_access_key, gone.aws_access_key_id, gone.s3_bucket, key):
        assert secret not in answer.text


def test_grants_made_in_the_same_minute_share_one_signed_path(private_s3: Settings) -> None:
    """So the playlist the API presigns for one listener serves all who start that minute."""
    minute = 1_800_000_000  # a whole minute, in epoch seconds
    early, late, next_minute = (
        grant_access(private_s3, "c1", now=minute + 1),
        grant_access(private_s3, "c1", now=minute + 59),
        grant_access(private_s3, "c1", now=minute + 61),
    )
    key = "media/c1/g1/hls/master.m3u8"
    assert signed_url(private_s3, early, key) == signed_url(private_s3, late, key)
    assert early.expires == minute + 60 + TTL_S and next_minute.expires == early.expires + 60
    assert early.expires >= minute + 1 + TTL_S  # never less than the promised lifetime
