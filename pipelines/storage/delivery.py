"""CDN URLs of stored objects, as listeners fetch them: plain for public content, signed otherwise.

A signature always covers a content's whole prefix `media/{id}/`, never one file: an HLS player
fetches every playlist and segment relative to the master, and each must pass.

- CloudFront: a custom policy over `https://cdn/media/{id}/*`, signed with the distribution's
  key pair (botocore's CloudFrontSigner + cryptography's RSA), handed out as signed cookies and
  as query strings on the direct URLs.
- The embedded /cdn: an HMAC in the PATH, `/cdn/s/{expires}/{signature}/media/{id}/...`, so
  relative segment URLs inherit it (a query string would be dropped by relative resolution).
- S3 without a CloudFront key pair: the same signed path on the API's own /cdn route (whatever
  CDN_BASE_URL says). S3 signs one object at a time, never a prefix, so that route hands out
  playlists whose segment URIs are presigned S3 URLs and redirects any other object to one
  (api/s3_delivery.py); the bucket itself stays private.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote

import msgspec
from botocore.signers import CloudFrontSigner
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from settings import Settings

__all__ = [
    "Grant",
    "content_prefix",
    "grant_access",
    "on_the_minute",
    "public_url",
    "signed_url",
    "verify_cdn_signature",
]

SIGNED_PATH = "s"  # /cdn/s/{expires}/{signature}/{key}
# On S3 the API presigns every segment of a playlist for a grant (about 0.2 ms each, 600 for an
# hour); grants that end on the same minute share their signed path, so one rewritten playlist
# serves everyone who pressed play in that minute (api/s3_delivery.py keeps it).
GRANT_STEP_S = 60


class Grant(msgspec.Struct, kw_only=True):
    """Access to one content's objects until `expires_at`."""

    content_id: str
    expires: int  # epoch seconds
    mode: str  # cloudfront | embedded | s3
    cookies: dict[str, str] | None = None
    query: str = ""  # CloudFront's Policy/Signature/Key-Pair-Id

    @property
    def expires_at(self) -> datetime:
        return datetime.fromtimestamp(self.expires, UTC)


def on_the_minute(expires: float) -> int:
    """`expires` rounded up to a multiple of GRANT_STEP_S (at most a minute more access)."""
    return -(-int(expires) // GRANT_STEP_S) * GRANT_STEP_S


def public_url(settings: Settings, key: str) -> str:
    return f"{settings.cdn_url}/{quote(key)}"


def content_prefix(content_id: str) -> str:
    return f"media/{content_id}/"


def grant_access(settings: Settings, content_id: str, now: float | None = None) -> Grant:
    """Sign access to the content's prefix for `signed_url_ttl_s` seconds."""
    expires = int((now if now is not None else time.time()) + settings.signed_url_ttl_s)
    if settings.cloudfront_key_pair_id and settings.cloudfront_private_key:
        return _cloudfront_grant(settings, content_id, expires)
    if settings.is_s3:
        # No key pair to sign CDN access with: the API's signed path, which presigns past the CDN.
        return Grant(content_id=content_id, expires=on_the_minute(expires), mode="s3")
    return Grant(content_id=content_id, expires=expires, mode="embedded")


def signed_url(settings: Settings, grant: Grant, key: str) -> str:
    """The URL of `key` (under the granted content's prefix) that the grant opens."""
    if not key.startswith(content_prefix(grant.content_id)):
        raise ValueError(f"{key} is outside the granted prefix")
    if grant.mode == "cloudfront":
        return f"{public_url(settings, key)}?{grant.query}"
    signature = embedded_signature(settings.cdn_signing_secret, grant.expires, grant.content_id)
    base = settings.api_cdn_url if grant.mode == "s3" else settings.cdn_url
    return f"{base}/{SIGNED_PATH}/{grant.expires}/{signature}/{quote(key)}"


# -- the embedded /cdn ---------------------------------------------------------------------------


def embedded_signature(secret: str, expires: int, content_id: str) -> str:
    message = f"{expires}:{content_prefix(content_id)}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def verify_cdn_signature(
    secret: str, expires: str, signature: str, key: str, now: float | None = None
) -> bool:
    """Whether `/cdn/s/{expires}/{signature}/{key}` may be served: unexpired, and the signature
    made for the content whose prefix holds `key` (constant-time comparison)."""
    if not expires.isdigit() or int(expires) < (now if now is not None else time.time()):
        return False
    parts = key.split("/")
    if len(parts) < 3 or parts[0] != "media" or not parts[1]:
        return False
    expected = embedded_signature(secret, int(expires), parts[1])
    return hmac.compare_digest(expected, signature)


# -- CloudFront ----------------------------------------------------------------------------------


def _cf_b64(data: bytes) -> str:
    # CloudFront's URL-safe base64: + = / become - _ ~ (its docs, "signed cookies").
    return base64.b64encode(data).decode().translate(str.maketrans("+=/", "-_~"))


@lru_cache(maxsize=4)
def _private_key(pem_or_path: str) -> rsa.RSAPrivateKey:
    text = pem_or_path
    if "-----BEGIN" not in text:
        text = Path(text).read_text()
    key = serialization.load_pem_private_key(text.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("CLOUDFRONT_PRIVATE_KEY must be an RSA key")
    return key


def _rsa_signer(settings: Settings) -> Callable[[bytes], bytes]:
    key = _private_key(settings.cloudfront_private_key)
    # CloudFront verifies RSA-SHA1 signatures for key pairs (trusted key groups).
    return lambda message: key.sign(message, padding.PKCS1v15(), hashes.SHA1())


def _cloudfront_grant(settings: Settings, content_id: str, expires: int) -> Grant:
    sign = _rsa_signer(settings)
    signer = CloudFrontSigner(settings.cloudfront_key_pair_id, sign)
    resource = f"{settings.cdn_url}/{content_prefix(content_id)}*"
    policy = signer.build_policy(resource, datetime.fromtimestamp(expires, UTC)).encode()
    encoded_policy, signature = _cf_b64(policy), _cf_b64(sign(policy))
    cookies = {
        "CloudFront-Policy": encoded_policy,
        "CloudFront-Signature": signature,
        "CloudFront-Key-Pair-Id": settings.cloudfront_key_pair_id,
    }
    query = (
        f"Policy={encoded_policy}&Signature={signature}"
        f"&Key-Pair-Id={settings.cloudfront_key_pair_id}"
    )
    return Grant(
        content_id=content_id, expires=expires, mode="cloudfront", cookies=cookies, query=query
    )
