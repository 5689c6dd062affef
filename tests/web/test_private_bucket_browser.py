"""A private sermon on a private S3 bucket without CloudFront plays in Chromium: the page's
hls.js fetches playlists from the API's signed /cdn path and segments from the bucket by
presigned URL, on another origin the page's Content-Security-Policy must allow.

The bucket is a moto server on loopback (its own, with no policy: objects are private); the
browser reaches it as `localhost`, the platform as 127.0.0.1 (S3_PUBLIC_ENDPOINT_URL)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from pipelines.storage import S3Storage, s3_client
from pipelines.storage.bucket import configure_bucket
from settings import get_settings
from tests.conftest import free_port, start_api
from tests.storage.private_hls import make_hls, signed_in_creator, store_sermon
from tests.web.conftest import _environment, sign_in

MEDIA = "document.querySelector('#media')"


@pytest.fixture(scope="module")
def bucket_site(database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The API under uvicorn on S3 (a private moto bucket), no CloudFront; its base URL."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    restore = _environment(
        {
            "STORAGE_BACKEND": "s3",
            "S3_ENDPOINT_URL": f"http://127.0.0.1:{port}",
            "S3_PUBLIC_ENDPOINT_URL": f"http://localhost:{port}",
            "S3_BUCKET": f"cnt-web-{secrets.token_hex(4)}",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
        }
    )
    try:
        settings = get_settings()
        s3_client(settings).create_bucket(Bucket=settings.s3_bucket)
        process, base = start_api(dict(os.environ))
        try:
            configure_bucket(S3Storage(settings), [base])  # as `cnt storage setup` does
            yield base
        finally:
            process.terminate()
            process.wait(timeout=10)
    finally:
        restore()
        server.stop()


def test_a_private_sermon_plays_in_the_browser_from_a_private_bucket(
    bucket_site: str, browser: Any, tmp_path: Path
) -> None:
    settings = get_settings()
    _, email = signed_in_creator(bucket_site)
    sermon = store_sermon(settings, make_hls(tmp_path), email, public=False)
    segment = next(k for k in sermon.files if k.endswith("seg_00000.m4s"))
    assert (
        httpx.get(f"{settings.s3_endpoint_url}/{settings.s3_bucket}/{segment}").status_code == 403
    )

    context = browser.new_context()
    page = context.new_page()
    failed: list[str] = []
    fetched: list[str] = []
    # A load the page cancels itself (the MP3 fallback's, when hls.js takes the element over) is
    # net::ERR_ABORTED; anything else (CORS, CSP, a refused URL) is a failure.
    page.on(
        "requestfailed",
        lambda request: (
            None
            if request.failure == "net::ERR_ABORTED"
            else failed.append(f"{request.failure} {request.url}")
        ),
    )
    page.on("response", lambda response: fetched.append(f"{response.status} {response.url}"))
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    try:
        sign_in(page, bucket_site, {"email": email, "password": "a-good-long-password"})
        page.goto(f"{bucket_site}/library/{sermon.id}")
        # Play as the control does; the page attaches hls.js on that first play, which
        # interrupts this promise (and plays on), so it is not awaited.
        page.evaluate(f"() => {{ {MEDIA}.muted = true; {MEDIA}.play().catch(() => null); }}")
        page.wait_for_function(f"() => {MEDIA}.currentTime > 1.5", timeout=30_000)
        assert page.evaluate(f"() => typeof Hls !== 'undefined' && {MEDIA}.src.startsWith('blob:')")
    finally:
        context.close()

    assert not failed and not violations, (failed, violations)
    bucket = urlsplit(settings.s3_public_endpoint_url).netloc
    from_bucket = [f for f in fetched if urlsplit(f.split(" ", 1)[1]).netloc == bucket]
    from_api = [f for f in fetched if "/cdn/s/" in f and ".m3u8" in f]
    assert from_bucket and all(
        f.split(" ")[0] in ("200", "206") and "X-Amz-Signature=" in f for f in from_bucket
    )
    assert any(".m4s?" in f for f in from_bucket) and any("init.mp4?" in f for f in from_bucket)
    assert from_api and all(f.startswith("200 ") for f in from_api)
