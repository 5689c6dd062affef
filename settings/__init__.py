"""One typed settings object for every process, from the environment and an optional `.env`."""

from __future__ import annotations

import os
import re
import secrets
from datetime import UTC, tzinfo
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec
from dotenv import dotenv_values

__all__ = ["Settings", "SettingsError", "get_settings", "load_settings"]

SECRET_FIELDS = frozenset(
    {
        "jwt_secret",
        "aws_secret_access_key",
        "cloudfront_private_key",
        "deepgram_api_key",
        "openai_api_key",
        "livekit_api_secret",
        "cdn_signing_secret",
        "metrics_token",
    }
)


@lru_cache(maxsize=64)
def _absolute(path: str, cwd: str) -> Path:
    """`path` made absolute against `cwd` (resolving it touches the disk: workers ask per step)."""
    return (Path(cwd) / path).resolve()


class SettingsError(Exception):
    """A setting a process needs is missing or malformed; the message names it in one line."""


class Settings(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """Every setting, named as its environment variable in upper case (`DATABASE_URL`, ...)."""

    env: Literal["development", "test", "production"] = "development"
    log_level: str = "INFO"
    data_dir: str = "./var"
    public_base_url: str = "http://127.0.0.1:8000"

    # State and messages
    database_url: str = ""  # default: SQLite under data_dir
    redis_url: str = "redis://127.0.0.1:6379/0"
    broker_namespace: str = "cnt"
    broker_heartbeat_timeout_ms: int = 15_000
    # 1% of dispatches look for dead workers: with idle polling every 20 ms a killed worker's
    # messages come back within seconds, without a KEYS scan on every tenth command.
    broker_maintenance_chance: int = 10_000
    job_max_attempts: int = 3
    job_lease_s: int = 60
    # Transient failures retry after min_backoff * 2^n (with jitter), capped at max_backoff.
    job_min_backoff_ms: int = 5_000
    job_max_backoff_ms: int = 300_000
    # A queued job whose message is in no Redis queue this long after it was sent is sent again.
    job_resend_after_s: int = 30
    # Workers' Prometheus exporter (one per `dramatiq` command); 0 turns it off.
    worker_metrics_port: int = 0
    # When set, both /metrics endpoints answer only `Authorization: Bearer <token>`.
    metrics_token: str = ""
    worker_metrics_host: str = "127.0.0.1"

    # Anonymous catalog pages and public playback answers kept in each API process (PostgreSQL
    # only: dropped on every change through LISTEN/NOTIFY); this is the backstop lifetime, at most
    # the 15 s the answers' Cache-Control allows. 0 turns the cache off.
    response_cache_s: float = 10.0
    response_cache_entries: int = 2000
    # Public playlist pages: every table they read notifies its changes, so they are kept until
    # the next sermon they hold back is published, and at most this long (a backstop, not what
    # keeps them fresh): at RESPONSE_CACHE_S, 1,000 pages asked at random missed ~10% of the time.
    response_cache_notified_s: float = 600.0

    # Accounts
    jwt_secret: str = ""  # required in production; generated once under data_dir otherwise
    access_token_ttl_s: int = 900
    refresh_token_ttl_s: int = 30 * 86_400
    # Sign-in and sign-up attempts per client address per minute.
    auth_rate_limit_per_minute: int = 10

    # Storage and CDN
    storage_backend: Literal["local", "s3"] = "local"
    storage_dir: str = ""  # default: data_dir/storage
    # Default: public_base_url/cdn, the API's own route (on S3 without CloudFront it answers
    # with presigned URLs: the bucket stays private).
    cdn_base_url: str = ""
    cdn_signing_secret: str = ""  # signs /cdn URLs of non-public content in the embedded setup
    signed_url_ttl_s: int = 6 * 3600
    s3_bucket: str = "cnt-media"
    s3_region: str = "us-east-1"
    s3_endpoint_url: str = ""
    # Where listeners' browsers reach the bucket, for presigned media URLs, when the platform
    # reaches it by another address (MinIO inside compose is http://minio:9000, behind the
    # reverse proxy https://media.example.org). Default: s3_endpoint_url, or AWS.
    s3_public_endpoint_url: str = ""
    aws_access_key_id: str = ""
    aws_secret_access_key: str = ""
    cloudfront_distribution_id: str = ""
    cloudfront_endpoint_url: str = ""
    cloudfront_key_pair_id: str = ""
    cloudfront_private_key: str = ""  # PEM text, or a path to a PEM file
    invalidation_window_s: float = 5.0
    # A replaced generation is deleted this long after the switch: a listener who pressed play
    # before it finishes the sermon (an hour) from the old segments.
    old_generation_grace_s: float = 3600.0

    # Podcast feeds (the all-sermons feed; a series' own fields win in its feed)
    podcast_title: str = "Sermons"
    podcast_author: str = ""
    podcast_image_url: str = ""
    podcast_owner_email: str = ""
    # Apple's category, "Category > Subcategory"; a series' own category wins in its feed.
    podcast_category: str = "Religion & Spirituality > Christianity"

    # Uploads
    upload_max_bytes: int = 8 * 1024**3
    upload_part_size: int = 16 * 1024**2
    upload_url_ttl_s: int = 3600
    upload_stale_after_s: int = 24 * 3600
    # Objects under an id no row owns are removed once their newest is this old: younger ones
    # may belong to a row about to be committed. A day is far longer than that takes.
    orphan_grace_s: int = 24 * 3600

    # Media limits and processing
    work_dir: str = ""  # default: data_dir/work
    # On S3, each worker machine keeps the sources its steps read under work_dir/sources, so a
    # long video's chunk jobs (and probe, thumbnails, waveform...) download a 7 GB upload once
    # per machine, not once per job. At most this many bytes (0: every step downloads its own;
    # a bigger source is downloaded per step), least recently used removed first, never one in
    # use; a copy unused this long is removed (a deleted content's source lingers no longer).
    source_cache_bytes: Annotated[int, msgspec.Meta(ge=0)] = 32 * 1024**3
    source_cache_idle_s: Annotated[float, msgspec.Meta(gt=0, le=86_400)] = 3600.0
    media_max_duration_s: float = 6 * 3600
    media_max_width: int = 7680
    media_max_height: int = 4320
    ffmpeg_timeout_s: float = 4 * 3600
    ffprobe_timeout_s: float = 30
    # Clips for social platforms: YouTube Shorts and Instagram Reels take up to 3 minutes.
    clip_max_s: float = 180.0
    # Rung heights (short side); a source gets those at or below its own size, never upscaled.
    video_ladder: str = "2160,1440,1080,720,480,360"
    # Above 30 fps, rungs shorter than this run at half the source's rate.
    video_high_frame_rate_min_height: int = 720
    # A video this long (seconds) or longer is encoded in chunks across workers.
    video_chunk_min_s: float = 600.0
    # Each chunk about this long (whole segments). Short enough that a 20-minute video makes
    # ten chunks, which two or more workers share evenly although the first also encodes the
    # sound; long enough that a chunk's start (a seek, x264's start) costs about 1% of it.
    video_chunk_s: float = 120.0
    # x264 speed/quality trade-off for the ladder; veryfast is the usual choice for VOD at scale.
    x264_preset: str = "veryfast"
    hls_segment_s: int = 6
    # A video's first segment length: the first GOP is cut into segments about this long (of
    # whole frames), so the first one is encoded and playable in a third of the time. Segments
    # after it are hls_segment_s long. 0, or one at least hls_segment_s, cuts nothing.
    hls_opening_segment_s: Annotated[float, msgspec.Meta(ge=0)] = 2.0
    loudness_target_lufs: float = -16.0
    loudness_true_peak_db: float = -1.5

    # Transcription
    transcription_provider: Literal["none", "deepgram", "openai"] = "none"
    transcription_language: str = "en"
    deepgram_api_key: str = ""
    deepgram_base_url: str = ""
    deepgram_model: str = "nova-3"
    deepgram_diarize: bool = False
    openai_api_key: str = ""
    openai_base_url: str = ""
    openai_transcribe_model: str = "whisper-1"
    openai_chunk_max_bytes: int = 24 * 1024**2

    # The pages (api/web): the church's name, logo (a URL or a /static path; empty: the name
    # alone) and colours (#rrggbb; white text sits on the primary colour), and who may frame
    # /embed/* (CSP frame-ancestors: "*" anyone, or origins like "https://church.example").
    church_name: str = "CNT Media"
    church_logo_url: str = ""
    church_primary_colour: str = "#1d4e89"
    church_accent_colour: str = "#9c3d10"
    web_embed_ancestors: str = "*"

    # Community and live chat: how much a member may write. Rates count per member and minute
    # in Redis (every API process shares them; moderators are not counted): a person typing never
    # gets near the defaults, a script does at once. Lengths are characters, at most the
    # ceilings of the API's schemas (20,000 / 10,000 / 2,000).
    community_posts_per_minute: Annotated[int, msgspec.Meta(ge=1)] = 5
    community_comments_per_minute: Annotated[int, msgspec.Meta(ge=1)] = 20
    # Long enough to fix a typo noticed after posting; short enough that replies still fit.
    community_edit_window_s: Annotated[int, msgspec.Meta(ge=0)] = 900
    community_post_max_chars: Annotated[int, msgspec.Meta(ge=1, le=20_000)] = 5000
    community_comment_max_chars: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 2000
    # Long enough for a verse and a greeting; a wall of text is what slow mode is for.
    chat_message_max_chars: Annotated[int, msgspec.Meta(ge=1, le=2000)] = 500

    # Live
    livekit_url: str = ""
    livekit_api_key: str = ""
    livekit_api_secret: str = ""
    livekit_agent_name: str = "cnt-library"
    # Visitors without an account may watch public and unlisted services (watch-only tokens),
    # this many tokens per client address per minute.
    live_guests: bool = True
    live_guest_tokens_per_minute: int = 30
    agent_llm_model: str = "gpt-4.1-mini"
    agent_tts_model: str = "gpt-4o-mini-tts"
    agent_tts_voice: str = "ash"
    # Service times are spoken in the church's own zone (an IANA name like America/Chicago).
    agent_timezone: str = "UTC"

    def __repr__(self) -> str:
        shown = []
        for name in self.__struct_fields__:
            value = getattr(self, name)
            if name in SECRET_FIELDS and value:
                value = "********"
            shown.append(f"{name}={value!r}")
        return f"Settings({', '.join(shown)})"

    __str__ = __repr__

    @property
    def is_s3(self) -> bool:
        return self.storage_backend == "s3"

    # Absolute: ffmpeg runs inside its own work folder, where a relative path means nothing.
    @property
    def storage_path(self) -> Path:
        return _absolute(self.storage_dir or os.path.join(self.data_dir, "storage"), os.getcwd())

    @property
    def work_path(self) -> Path:
        return _absolute(self.work_dir or os.path.join(self.data_dir, "work"), os.getcwd())

    @property
    def async_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{Path(self.data_dir).resolve() / 'cnt.db'}"

    @property
    def sync_database_url(self) -> str:
        """The same database through a blocking driver, for worker threads and migrations."""
        url = self.async_database_url
        return url.replace("+asyncpg", "+psycopg").replace("+aiosqlite", "")

    @property
    def cdn_url(self) -> str:
        if self.cdn_base_url:
            return self.cdn_base_url.rstrip("/")
        return self.api_cdn_url

    @property
    def api_cdn_url(self) -> str:
        """The API's own /cdn route, whatever CDN_BASE_URL says: signed paths lead here when
        no CDN can check a signature."""
        return f"{self.public_base_url.rstrip('/')}/cdn"

    @property
    def agent_zone(self) -> tzinfo:
        # UTC needs no time zone database (a slim image may have none).
        return UTC if self.agent_timezone == "UTC" else ZoneInfo(self.agent_timezone)

    @property
    def ladder_heights(self) -> list[int]:
        return sorted({int(h) for h in self.video_ladder.split(",") if h.strip()}, reverse=True)


def _environment(env_file: Path | None) -> dict[str, str]:
    values: dict[str, str] = {}
    if env_file is not None and env_file.is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ)
    return values


def _one_line(error: msgspec.ValidationError) -> str:
    text = str(error)
    field = text.rsplit("`$.", 1)[-1].rstrip("`") if "`$." in text else ""
    reason = text.split(" - at ")[0]
    if field:
        return f"setting {field.upper()} is malformed: {reason}"
    return f"settings are malformed: {reason}"


def load_settings(env_file: Path | None = Path(".env"), **overrides: Any) -> Settings:
    """Read the settings; raise SettingsError naming the first bad one."""
    environ = _environment(env_file)
    names = Settings.__struct_fields__
    raw: dict[str, Any] = {n: environ[n.upper()] for n in names if n.upper() in environ}
    raw.update(overrides)
    try:
        settings = msgspec.convert(raw, Settings, strict=False)
    except msgspec.ValidationError as exc:
        raise SettingsError(_one_line(exc)) from None
    _check_required(settings)
    if not settings.jwt_secret:
        settings = msgspec.structs.replace(settings, jwt_secret=_dev_secret(settings, "jwt_secret"))
    if not settings.cdn_signing_secret:
        settings = msgspec.structs.replace(
            settings, cdn_signing_secret=_dev_secret(settings, "cdn_signing_secret")
        )
    return settings


def _check_required(settings: Settings) -> None:
    if settings.env == "production":
        for name in ("jwt_secret", "database_url", "cdn_signing_secret"):
            if not getattr(settings, name):
                raise SettingsError(f"setting {name.upper()} is required in production")
    if len(settings.jwt_secret) not in (0,) and len(settings.jwt_secret) < 32:
        raise SettingsError("setting JWT_SECRET is malformed: use at least 32 characters")
    if settings.transcription_provider == "deepgram" and not settings.deepgram_api_key:
        raise SettingsError(
            "setting DEEPGRAM_API_KEY is required when TRANSCRIPTION_PROVIDER=deepgram"
        )
    if settings.transcription_provider == "openai" and not (
        settings.openai_api_key or settings.openai_base_url
    ):
        raise SettingsError("setting OPENAI_API_KEY is required when TRANSCRIPTION_PROVIDER=openai")
    if not 0 <= settings.response_cache_s <= 15:
        raise SettingsError("setting RESPONSE_CACHE_S is malformed: use 0 to 15 seconds")
    if not 0 <= settings.response_cache_notified_s <= 86_400:
        raise SettingsError("setting RESPONSE_CACHE_NOTIFIED_S is malformed: use 0 to 86400 s")
    for name in ("church_primary_colour", "church_accent_colour"):
        if not re.fullmatch(r"#[0-9a-fA-F]{6}", getattr(settings, name)):
            raise SettingsError(f"setting {name.upper()} is malformed: use #rrggbb")
    try:
        settings.agent_zone  # noqa: B018 (raises for a zone that does not exist)
    except (ValueError, ZoneInfoNotFoundError):
        raise SettingsError(
            "setting AGENT_TIMEZONE is malformed: use an IANA zone like America/Chicago"
        ) from None
    try:
        heights = settings.ladder_heights
    except ValueError:
        raise SettingsError(
            "setting VIDEO_LADDER is malformed: use heights like 1080,720,480"
        ) from None
    if not heights or min(heights) < 144:
        raise SettingsError("setting VIDEO_LADDER is malformed: heights must be 144 or more")


def _dev_secret(settings: Settings, name: str) -> str:
    """Outside production a secret is generated once and kept under data_dir, never logged."""
    path = Path(settings.data_dir) / f".{name}"
    if path.is_file():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    path.write_text(value)
    path.chmod(0o600)
    return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once."""
    return load_settings()
