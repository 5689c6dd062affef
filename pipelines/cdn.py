"""CDN invalidation: tell CloudFront which stable URLs changed. Nothing to do without a CDN."""

from __future__ import annotations

import time
import uuid

import boto3

from pipelines.context import StepContext, StepResult
from pipelines.errors import ProviderUnavailable
from settings import Settings


def cloudfront_client(settings: Settings):  # type: ignore[no-untyped-def]
    return boto3.client(
        "cloudfront",
        region_name=settings.s3_region,
        endpoint_url=settings.cloudfront_endpoint_url or None,
        aws_access_key_id=settings.aws_access_key_id or None,
        aws_secret_access_key=settings.aws_secret_access_key or None,
    )


def create_invalidation(settings: Settings, paths: list[str], caller_reference: str) -> dict[str, str]:
    """One invalidation; the caller reference makes a retried call create no second one."""
    client = cloudfront_client(settings)
    try:
        response = client.create_invalidation(
            DistributionId=settings.cloudfront_distribution_id,
            InvalidationBatch={
                "Paths": {"Quantity": len(paths), "Items": paths},
                "CallerReference": caller_reference,
            },
        )
    except client.exceptions.TooManyInvalidationsInProgress as exc:
        raise ProviderUnavailable("CloudFront has too many invalidations in progress", retry_after=30) from exc
    invalidation = response["Invalidation"]
    return {"id": invalidation["Id"], "status": invalidation["Status"], "created": str(time.time())}


def invalidate_cdn_step(ctx: StepContext) -> StepResult:
    """Invalidate the content's stable URLs after a generation is published."""
    if not ctx.settings.cloudfront_distribution_id:
        return StepResult(data={"invalidation": None})
    paths = [f"/media/{ctx.content_id}/*"]
    reference = f"{ctx.content_id}-g{ctx.generation}-{uuid.uuid5(uuid.NAMESPACE_URL, '|'.join(paths))}"
    return StepResult(data={"invalidation": create_invalidation(ctx.settings, paths, reference)})
