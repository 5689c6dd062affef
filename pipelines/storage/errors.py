"""Errors of object storage and the CDN (tree in pipelines/errors.py).

PipelineError
 ├── StorageUnavailable   5xx, throttling, network              transient
 ├── StorageRefused       access denied, no such bucket, a bad request
 ├── ObjectMissing        an object a step needs is not in storage
 ├── CdnUnavailable       CloudFront throttled or unreachable    transient
 ├── CdnRefused           CloudFront refused the invalidation
 └── PlaylistEscapesPrefix a playlist names an object outside its content
"""

from __future__ import annotations

from pipelines.errors import PipelineError


class StorageUnavailable(PipelineError):
    """The object store failed in a way that may pass (5xx, throttling, network)."""

    code = "storage_unavailable"
    transient = True


class StorageRefused(PipelineError):
    """The object store refused the request (access denied, no such bucket, a bad request):
    trying again will not help until someone changes credentials or settings."""

    code = "storage_refused"


class ObjectMissing(PipelineError):
    """An object a step needs is not in storage."""

    code = "object_missing"


class CdnUnavailable(PipelineError):
    """CloudFront throttled us or could not be reached; worth trying again later."""

    code = "cdn_unavailable"
    transient = True


class CdnRefused(PipelineError):
    """CloudFront refused the request (bad credentials, no such distribution)."""

    code = "cdn_refused"


class PlaylistEscapesPrefix(PipelineError):
    """A stored playlist names an object outside its content's folder: signing it would open
    someone else's object (or a source) to whoever holds the playlist."""

    code = "playlist_escapes_prefix"
