"""Object storage and delivery: where outputs live and how listeners reach them.

`objects` is the interface with the local-disk backend, `s3` the S3 backend, `multipart` direct
browser uploads, `bucket` the bucket's own settings, `object_headers` each object's
Content-Type and caching, `delivery` the URLs listeners fetch (signed when private), `cdn`
CloudFront invalidation. The S3 names load on first use: boto3 costs a process that never
touches S3 (the embedded setup) about a tenth of a second to import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipelines.storage.object_headers import cache_control_for, content_type_for
from pipelines.storage.objects import (
    LocalStorage,
    ObjectWriter,
    ScopedStorage,
    Storage,
    check_key,
    open_writer,
    put_many,
    storage_from_settings,
)

if TYPE_CHECKING:
    from pipelines.storage.s3 import S3ObjectWriter, S3Storage, s3_client, s3_error

__all__ = [
    "LocalStorage",
    "ObjectWriter",
    "S3ObjectWriter",
    "S3Storage",
    "ScopedStorage",
    "Storage",
    "cache_control_for",
    "check_key",
    "content_type_for",
    "open_writer",
    "put_many",
    "s3_client",
    "s3_error",
    "storage_from_settings",
]

_S3_NAMES = frozenset({"S3Storage", "S3ObjectWriter", "s3_client", "s3_error"})


def __getattr__(name: str) -> object:
    if name in _S3_NAMES:
        from pipelines.storage import s3

        return getattr(s3, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
