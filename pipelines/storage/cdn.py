"""CDN invalidation: which stable URLs changed, and telling CloudFront in as few requests as can be.

Coalescing over time (many changes in a window → one request) lives in workers/cdn_invalidation.py;
this module is the CloudFront side: collapsing a set of paths under CloudFront's limits, a caller
reference that makes a retried request create nothing twice, and backoff on throttling.
"""

from __future__ import annotations

import hashlib
import posixpath
import time
from collections import defaultdict
from collections.abc import Callable, Iterable

import boto3
import msgspec
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from pipelines.context import StepContext, StepResult
from pipelines.storage.errors import CdnRefused, CdnUnavailable
from pipelines.storage.object_headers import ObjectKind, object_kind
from settings import Settings

__all__ = [
    "MAX_PATHS_IN_FLIGHT",
    "MAX_WILDCARDS_IN_FLIGHT",
    "Invalidation",
    "caller_reference",
    "collapse_paths",
    "create_invalidation",
    "get_invalidation",
    "invalidate_cdn_step",
    "is_wildcard",
]

# CloudFront's quotas: 3,000 paths in progress at once per distribution, of which at most 15 may
# be wildcards (AWS "Quotas on invalidations").
MAX_PATHS_IN_FLIGHT = 3000
MAX_WILDCARDS_IN_FLIGHT = 15
THROTTLED = frozenset({"TooManyInvalidationsInProgress", "Throttling", "ThrottlingException"})
# Stable objects: the ones whose URL keeps its name when the bytes change.
STABLE_KINDS = (ObjectKind.PLAYLIST, ObjectKind.STABLE)


class Invalidation(msgspec.Struct, kw_only=True):
    id: str
    status: str
    caller_reference: str
    paths: int
    created: float

    @property
    def completed(self) -> bool:
        # CloudFront says "Completed"; moto says "COMPLETED".
        return self.status.lower() == "completed"


def cloudfront_client(settings: Settings):  # type: ignore[no-untyped-def]
    return boto3.client(
        "cloudfront",
        region_name=settings.s3_region,
        endpoint_url=settings.cloudfront_endpoint_url or None,
        aws_access_key_id=settings.aws_access_key_id or None,
        aws_secret_access_key=settings.aws_secret_access_key or None,
        # Our own backoff handles throttling; botocore's would hide it behind long sleeps.
        config=Config(retries={"mode": "standard", "max_attempts": 2}),
    )


def is_wildcard(path: str) -> bool:
    return path.endswith("*")


def _normalise(path: str) -> str:
    path = "/" + path.lstrip("/")
    if path.endswith("/"):
        path += "*"  # a prefix means everything under it
    return path


def _covered(path: str, wildcards: list[str]) -> bool:
    return any(path != w and path.startswith(w[:-1]) for w in wildcards)


def collapse_paths(
    paths: Iterable[str],
    max_paths: int = MAX_PATHS_IN_FLIGHT,
    max_wildcards: int = MAX_WILDCARDS_IN_FLIGHT,
) -> list[str]:
    """The fewest paths that cover `paths` within the budgets: exact paths while they fit; then
    the folders holding the most paths become wildcards, then their parents, up to `/*`."""
    current = {_normalise(p) for p in paths if p}
    while True:
        wildcards = sorted(p for p in current if is_wildcard(p))
        current = {p for p in current if not _covered(p, wildcards)}
        wild = sum(1 for p in current if is_wildcard(p))
        if len(current) <= max_paths and wild <= max_wildcards:
            return sorted(current)
        if wild >= max_wildcards or wild == len(current):
            # Too many wildcards: lift each one a folder up, merging siblings.
            lifted = {_parent_wildcard(p) if is_wildcard(p) else p for p in current}
            if lifted == current:
                return ["/*"]
            current = lifted
            continue
        # Too many paths: the folder holding most of them becomes one wildcard.
        by_folder: dict[str, int] = defaultdict(int)
        for p in current:
            if not is_wildcard(p):
                by_folder[posixpath.dirname(p)] += 1
        folder = max(by_folder, key=lambda f: (by_folder[f], -len(f)))
        current = {p for p in current if posixpath.dirname(p) != folder or is_wildcard(p)}
        current.add(f"{folder.rstrip('/')}/*")


def _parent_wildcard(wildcard: str) -> str:
    folder = posixpath.dirname(wildcard[:-1].rstrip("/"))
    return "/*" if folder in ("", "/") else f"{folder}/*"


def caller_reference(paths: Iterable[str], window: int) -> str:
    """The same paths in the same window make the same reference: CloudFront then answers a retried
    request with the invalidation it already made instead of a second one."""
    digest = hashlib.sha256("\n".join(sorted(set(paths))).encode()).hexdigest()[:32]
    return f"cnt-{window}-{digest}"


def create_invalidation(
    settings: Settings,
    paths: list[str],
    reference: str,
    *,
    attempts: int = 4,
    sleep: Callable[[float], None] = time.sleep,
) -> Invalidation:
    """One invalidation request; throttling (too many in progress, rate limits) is retried with
    exponential backoff, then reported as transient so the caller tries again later."""
    client = cloudfront_client(settings)
    delay = 1.0
    for attempt in range(attempts):
        try:
            response = client.create_invalidation(
                DistributionId=settings.cloudfront_distribution_id,
                InvalidationBatch={
                    "Paths": {"Quantity": len(paths), "Items": paths},
                    "CallerReference": reference,
                },
            )
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
            if code in THROTTLED or status >= 500:
                if attempt + 1 < attempts:
                    sleep(delay)
                    delay *= 2
                    continue
                raise CdnUnavailable(f"CloudFront: {code}", retry_after=delay) from exc
            raise CdnRefused(f"CloudFront refused the invalidation: {code}") from exc
        except BotoCoreError as exc:
            raise CdnUnavailable(f"CloudFront unreachable: {type(exc).__name__}") from exc
        item = response["Invalidation"]
        return Invalidation(
            id=item["Id"],
            status=item["Status"],
            caller_reference=reference,
            paths=len(paths),
            created=time.time(),
        )
    raise AssertionError("unreachable")


def get_invalidation(settings: Settings, invalidation_id: str) -> str:
    """The invalidation's status as CloudFront reports it."""
    client = cloudfront_client(settings)
    try:
        response = client.get_invalidation(
            DistributionId=settings.cloudfront_distribution_id, Id=invalidation_id
        )
    except (ClientError, BotoCoreError) as exc:
        raise CdnUnavailable(f"CloudFront: {exc}") from exc
    return str(response["Invalidation"]["Status"])


def stable_paths(content_id: str, generation: int, keys: Iterable[str]) -> list[str]:
    """The CDN paths of a generation's objects that keep their URL when rewritten."""
    prefix = f"/media/{content_id}/g{generation}"
    return sorted(f"{prefix}/{k}" for k in keys if object_kind(k) in STABLE_KINDS)


def invalidate_cdn_step(ctx: StepContext) -> StepResult:
    """Name the generation's stable URLs (playlists, captions, images) that a CDN may hold old
    copies of; the worker queues them and one coalesced invalidation covers many contents."""
    if not ctx.settings.cloudfront_distribution_id:
        return StepResult(data={"paths": []})
    return StepResult(
        data={"paths": stable_paths(ctx.content_id, ctx.generation, ctx.outputs.list_keys(""))}
    )
