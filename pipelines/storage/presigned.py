"""Presigned S3 URLs for listeners: one object, one method, until a time, at the address their
browsers reach the bucket by (S3_PUBLIC_ENDPOINT_URL when it differs from the platform's).

Presigning is local work (an HMAC over the request), no call to S3; it costs about 0.2 ms with
botocore, so the client is built once per settings object.
"""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Any, Literal
from urllib.parse import urlsplit

import msgspec

from pipelines.storage.s3 import s3_client
from settings import Settings

__all__ = ["MAX_PRESIGN_S", "listener_client", "listener_origin", "presigned_url"]

MAX_PRESIGN_S = 7 * 24 * 3600  # SigV4 refuses a presigned URL valid longer than a week
OPERATIONS = {"GET": "get_object", "HEAD": "head_object"}


@lru_cache(maxsize=4)
def listener_client(settings: Settings) -> Any:
    """An S3 client that presigns for browsers: listeners' media and creators' direct uploads."""
    endpoint = settings.s3_public_endpoint_url or settings.s3_endpoint_url
    return s3_client(msgspec.structs.replace(settings, s3_endpoint_url=endpoint))


def presigned_url(
    settings: Settings,
    key: str,
    expires: int,
    method: Literal["GET", "HEAD"] = "GET",
    now: float | None = None,
) -> str:
    """A URL that lets anyone holding it `method` the object `key` until `expires` (epoch
    seconds). SigV4 signs the method: a GET URL answers a HEAD with SignatureDoesNotMatch."""
    lifetime = expires - int(now if now is not None else time.time())
    return str(
        listener_client(settings).generate_presigned_url(
            OPERATIONS[method],
            Params={"Bucket": settings.s3_bucket, "Key": key},
            ExpiresIn=max(1, min(lifetime, MAX_PRESIGN_S)),
        )
    )


@lru_cache(maxsize=4)
def listener_origin(settings: Settings) -> str:
    """The scheme and host of the presigned URLs listeners are sent to (pages allow it in their
    Content-Security-Policy): read off a presigned URL, so AWS's regional and virtual-host
    naming is botocore's, not a copy of it."""
    parts = urlsplit(presigned_url(settings, "media/origin", int(time.time()) + 60))
    return f"{parts.scheme}://{parts.netloc}"
