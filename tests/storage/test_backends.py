"""The storage interface on both backends, the headers objects get by kind, and S3 errors
classified as transient or permanent by their class."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from pipelines.storage import LocalStorage, put_many
from pipelines.storage.errors import ObjectMissing, StorageRefused, StorageUnavailable
from pipelines.storage.object_headers import cache_control_for, content_type_for
from pipelines.storage.s3 import S3Storage, s3_error

IMMUTABLE = "public, max-age=31536000, immutable"
STABLE = "public, max-age=300, s-maxage=86400"


@pytest.mark.parametrize(
    ("key", "live", "content_type", "cache"),
    [
        ("media/c/g3/hls/720p/seg_00001.m4s", False, "video/iso.segment", IMMUTABLE),
        ("media/c/g3/hls/720p/init_0.mp4", False, "video/mp4", IMMUTABLE),
        ("media/c/g3/hls/audio/seg_00001.ts", False, "video/mp2t", IMMUTABLE),
        ("media/c/g3/audio.mp3", False, "audio/mpeg", IMMUTABLE),
        ("media/c/g3/hls/720p/index.m3u8", True, "application/vnd.apple.mpegurl",
         "public, max-age=2, s-maxage=2"),
        ("media/c/g3/hls/master.m3u8", False, "application/vnd.apple.mpegurl", STABLE),
        ("media/c/g3/captions/en.vtt", False, "text/vtt; charset=utf-8", STABLE),
        ("media/c/g3/poster/1280.webp", False, "image/webp", STABLE),
        ("media/c/g3/waveform.json", False, "application/json", STABLE),
        ("feeds/s1.xml", False, "application/rss+xml; charset=utf-8", STABLE),
        ("sources/c/abc.mov", False, "video/quicktime", "private, no-store"),
    ],
)  # fmt: skip
def test_each_kind_of_object_gets_its_type_and_caching(
    key: str, live: bool, content_type: str, cache: str
) -> None:
    assert content_type_for(key) == content_type
    assert cache_control_for(key, live=live) == cache


def _client_error(code: str, status: int) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "PutObject",
    )


@pytest.mark.parametrize(
    ("code", "status", "kind", "transient"),
    [
        ("AccessDenied", 403, StorageRefused, False),
        ("InvalidAccessKeyId", 403, StorageRefused, False),
        ("NoSuchBucket", 404, StorageRefused, False),
        ("NoSuchKey", 404, ObjectMissing, False),
        ("SlowDown", 503, StorageUnavailable, True),
        ("InternalError", 500, StorageUnavailable, True),
        ("RequestTimeout", 400, StorageUnavailable, True),
        ("SomethingNew", 418, StorageRefused, False),
    ],
)
def test_s3_errors_are_transient_or_permanent_by_class(
    code: str, status: int, kind: type, transient: bool
) -> None:
    error = s3_error(_client_error(code, status), "k")
    assert type(error) is kind and error.transient is transient


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "local":
        return LocalStorage(tmp_path / "objects")
    return S3Storage(request.getfixturevalue("s3"))


def test_both_backends_keep_list_and_delete_objects_alike(storage: Any, tmp_path: Path) -> None:
    files = []
    for n in range(20):
        path = tmp_path / f"seg{n}.m4s"
        path.write_bytes(bytes([n]) * (1000 + n))
        files.append((f"hls/a/seg{n}.m4s", path))
    scoped = storage.scoped("media/c1/g1")
    assert put_many(scoped, files, concurrency=8) == sum(1000 + n for n in range(20))
    scoped.put_bytes("hls/master.m3u8", b"#EXTM3U\n")
    assert len(scoped.list_keys()) == 21
    assert storage.get_bytes("media/c1/g1/hls/a/seg3.m4s") == bytes([3]) * 1003
    assert storage.size("media/c1/g1/hls/master.m3u8") == 8
    with pytest.raises(ObjectMissing):
        storage.get_bytes("media/c1/g1/nothing.m4s")
    assert storage.delete_prefix("media/c1/g1/") == 21
    assert storage.list_keys("media/c1/") == []


def test_a_missing_bucket_is_a_permanent_failure(s3: Any) -> None:
    import msgspec

    storage = S3Storage(msgspec.structs.replace(s3, s3_bucket="no-such-bucket-here"))
    with pytest.raises(StorageRefused) as raised:
        storage.put_bytes("media/c/g1/x.json", b"{}")
    assert not raised.value.transient


def test_the_bucket_is_set_up_for_browser_uploads_and_unfinished_ones_expire(s3: Any) -> None:
    from pipelines.storage.bucket import configure_bucket

    storage = S3Storage(s3)
    configure_bucket(storage, ["https://media.church.test"], abort_after_days=2)
    configure_bucket(storage, ["https://media.church.test"], abort_after_days=2)  # idempotent
    (rule,) = storage.client.get_bucket_cors(Bucket=s3.s3_bucket)["CORSRules"]
    assert rule["ExposeHeaders"] == ["ETag"] and "PUT" in rule["AllowedMethods"]
    (lifecycle,) = storage.client.get_bucket_lifecycle_configuration(Bucket=s3.s3_bucket)["Rules"]
    assert lifecycle["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 2}
