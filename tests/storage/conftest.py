"""S3 and CloudFront on loopback (a moto server), and the app switched to them for a test.

moto stands in for AWS only: it speaks the real S3/CloudFront wire protocol to boto3 and to a
plain HTTP client. It does NOT check presigned signatures or their expiry, and it does not
deduplicate invalidations by caller reference; tests that depend on those say so.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from typing import Any

import pytest

# Tiny parts in tests: moto reads this once, when it is imported, in this process.
os.environ["S3_UPLOAD_PART_MIN_SIZE"] = "256"

from tests.conftest import free_port, start_api  # noqa: E402

KiB = 1024


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    import moto.s3.models
    import moto.settings
    from moto.server import ThreadedMotoServer

    # In case moto was imported before this file set the variable.
    moto.settings.S3_UPLOAD_PART_MIN_SIZE = 256
    moto.s3.models.S3_UPLOAD_PART_MIN_SIZE = 256  # type: ignore[attr-defined]
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


S3_ENV_NAMES = (
    "STORAGE_BACKEND",
    "S3_ENDPOINT_URL",
    "S3_BUCKET",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "CLOUDFRONT_ENDPOINT_URL",
    "CLOUDFRONT_DISTRIBUTION_ID",
    "INVALIDATION_WINDOW_S",
    "OLD_GENERATION_GRACE_S",
    "UPLOAD_PART_SIZE",
)


def _create_distribution(settings: Any) -> str:
    from pipelines.storage.cdn import cloudfront_client

    origin = f"{settings.s3_bucket}.s3.amazonaws.com"
    response = cloudfront_client(settings).create_distribution(
        DistributionConfig={
            "CallerReference": secrets.token_hex(8),
            "Comment": "cnt tests",
            "Enabled": True,
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": "s3",
                        "DomainName": origin,
                        "S3OriginConfig": {"OriginAccessIdentity": ""},
                    }
                ],
            },
            "DefaultCacheBehavior": {
                "TargetOriginId": "s3",
                "ViewerProtocolPolicy": "redirect-to-https",
                "TrustedSigners": {"Enabled": False, "Quantity": 0},
                "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
                "MinTTL": 0,
            },
        }
    )
    return str(response["Distribution"]["Id"])


@pytest.fixture()
def s3(moto_endpoint: str, clean_db: None) -> Iterator[Any]:
    """Settings switched to S3 + CloudFront on moto (a fresh bucket and distribution per test),
    restored after. The worker's cached Redis client and database engine are kept on purpose."""
    from pipelines.storage import s3_client
    from settings import get_settings

    saved = {name: os.environ.get(name) for name in S3_ENV_NAMES}
    os.environ.update(
        {
            "STORAGE_BACKEND": "s3",
            "S3_ENDPOINT_URL": moto_endpoint,
            "S3_BUCKET": f"cnt-{secrets.token_hex(4)}",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "CLOUDFRONT_ENDPOINT_URL": moto_endpoint,
            "INVALIDATION_WINDOW_S": "1",
            "OLD_GENERATION_GRACE_S": "0",
        }
    )
    get_settings.cache_clear()
    settings = get_settings()
    s3_client(settings).create_bucket(Bucket=settings.s3_bucket)
    os.environ["CLOUDFRONT_DISTRIBUTION_ID"] = _create_distribution(settings)
    get_settings.cache_clear()
    _clear_invalidation_queue()
    try:
        yield get_settings()
    finally:
        _clear_invalidation_queue()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        get_settings.cache_clear()


def _clear_invalidation_queue() -> None:
    from settings import get_settings
    from workers.pubsub import _client

    client = _client()
    for key in client.scan_iter(match=f"{get_settings().broker_namespace}:cdn:*"):
        client.delete(key)


@pytest.fixture()
def s3_api(s3: Any) -> Iterator[Any]:
    """The app (in-process TestClient) built with the S3 settings."""
    from litestar.testing import TestClient

    from api.app import create_app

    with TestClient(create_app(s3), base_url="http://testserver.local") as test_client:
        yield test_client


start_uvicorn = start_api  # the real API under uvicorn; returns the process and its base URL


def sign_in(base: str, role: str = "creator") -> dict[str, str]:
    import httpx

    from cli.users import _save_user

    email = f"{role}-{secrets.token_hex(4)}@church.test"
    _save_user(email, "a-good-long-password", role)
    tokens = httpx.post(
        f"{base}/api/v1/auth/login", json={"email": email, "password": "a-good-long-password"}
    ).json()
    return {"Authorization": f"Bearer {tokens['access_token']}"}
