"""Headers every page sends: who may frame it, where it may load from, and no sniffing.

Pages load scripts, styles and fonts from this origin only; media, captions and peaks come from
the CDN (this origin under /cdn in the embedded set-up, and the bucket's presigned URLs on S3
without CloudFront); hls.js runs its transmuxer in a worker
made from a blob. Styles allow inline `style` (the church's colours, wavesurfer's shadow DOM);
scripts never run inline, so page data travels in `data-` attributes and JSON script blocks.
Only /embed/* may be framed, by the origins WEB_EMBED_ANCESTORS names; every other page is
`frame-ancestors 'none'` and `X-Frame-Options: DENY` (older browsers).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from settings import Settings

EMBED_OPT = "embeddable"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def _bucket_origin(settings: Settings) -> str:
    """Where /cdn sends players on S3 without CloudFront: presigned segments, redirects."""
    if not settings.is_s3:
        return ""
    from pipelines.storage.presigned import listener_origin  # boto3 only where S3 is used

    return listener_origin(settings)


def content_security_policy(settings: Settings, *, embeddable: bool) -> str:
    cdn = " ".join(filter(None, [_origin(settings.cdn_url), _bucket_origin(settings)]))
    live = _origin(settings.livekit_url)
    live_https = live.replace("wss://", "https://").replace("ws://", "http://") if live else ""
    media = " ".join(filter(None, ["'self'", "blob:", cdn]))
    connect = " ".join(filter(None, ["'self'", cdn, live, live_https]))
    ancestors = settings.web_embed_ancestors if embeddable else "'none'"
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            f"img-src 'self' data: blob: {cdn}".strip(),
            f"media-src {media}",
            f"connect-src {connect}",
            "worker-src 'self' blob:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            f"frame-ancestors {ancestors}",
        ]
    )


def page_headers(settings: Settings, *, embeddable: bool) -> dict[str, str]:
    headers = {
        "content-security-policy": content_security_policy(settings, embeddable=embeddable),
        "x-content-type-options": "nosniff",
        "referrer-policy": "strict-origin-when-cross-origin",
    }
    if not embeddable:
        headers["x-frame-options"] = "DENY"
    return headers


class PageHeaders(ASGIMiddleware):
    """Adds page_headers to every answer of the pages' router (error pages too); a handler with
    `opt={"embeddable": True}` may be framed."""

    def __init__(self, settings: Settings) -> None:
        self.framed = _encoded(page_headers(settings, embeddable=True))
        self.alone = _encoded(page_headers(settings, embeddable=False))

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        handler = scope.get("route_handler")
        embeddable = bool(handler is not None and handler.opt.get(EMBED_OPT))
        extra = self.framed if embeddable else self.alone

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *((name, value) for name, value in extra if name not in present),
                ]
            await send(message)

        await next_app(scope, receive, with_headers)


def _encoded(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(name.encode(), value.encode()) for name, value in headers.items()]
