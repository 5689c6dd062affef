"""API errors: one class tree with a stable `code`, turned into JSON in one place, in one shape
(`ErrorOut`: {code, detail, extra?}), which /schema documents (api/openapi_errors.py).

ApiError                      {code, detail, extra?}
 ├── NotFound, Unauthorized, Forbidden, Conflict, InvalidInput, RateLimited, Upload*, ...
 └── ServiceUnavailable       503, with Retry-After
      ├── RedisUnavailable     Redis (queues, events, rate limits) is not answering
      └── DatabaseUnavailable  the database is not answering

A dependency's outage (redis-py's connection errors and time-outs, SQLAlchemy's lost or refused
connections, its pool's time-out) is turned into the 503 of the part that is down, wherever in a
request it surfaces; every other unexpected error is a 500 that says nothing of our internals.
"""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, PermissionDeniedException
from litestar.exceptions import ValidationException as LitestarValidation
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from models.errors import DataError

log = logging.getLogger(__name__)


class ErrorOut(msgspec.Struct, kw_only=True):
    """Every error's body: a stable `code` to branch on, a `detail` a person can act on, and
    `extra` facts when there are some (the fields a validation refused, the parts missing)."""

    code: str
    detail: str
    extra: dict[str, Any] | list[Any] | msgspec.UnsetType = msgspec.UNSET


class ApiError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, detail: str, *, extra: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra or {}


class NotFound(ApiError):
    status_code = 404
    code = "not_found"


class Unauthorized(ApiError):
    status_code = 401
    code = "unauthorized"


class Forbidden(ApiError):
    status_code = 403
    code = "forbidden"


class Conflict(ApiError):
    status_code = 409
    code = "conflict"


class InvalidInput(ApiError):
    status_code = 422
    code = "invalid_input"


class UploadTooLarge(ApiError):
    status_code = 413
    code = "upload_too_large"


class UploadIncomplete(ApiError):
    status_code = 400
    code = "upload_incomplete"


class UploadSizeMismatch(ApiError):
    """The bytes that arrived are not the bytes announced: nothing is processed."""

    status_code = 400
    code = "upload_size_mismatch"


class ChecksumMismatch(ApiError):
    """The object's SHA-256 is not the one the client sent: nothing is processed."""

    status_code = 400
    code = "checksum_mismatch"


class RateLimited(ApiError):
    status_code = 429
    code = "rate_limited"


class ServiceUnavailable(ApiError):
    status_code = 503
    code = "unavailable"


class RedisUnavailable(ServiceUnavailable):
    code = "redis_unavailable"


class DatabaseUnavailable(ServiceUnavailable):
    code = "database_unavailable"


# How long a client should wait before trying again: a restart of either takes seconds.
RETRY_AFTER_S = 5


def _body(code: str, detail: str, extra: Any = None) -> ErrorOut:
    return ErrorOut(code=code, detail=detail, extra=extra or msgspec.UNSET)


def api_error_handler(_: Request[Any, Any, Any], exc: ApiError) -> Response[ErrorOut]:
    unavailable = isinstance(exc, ServiceUnavailable)
    return Response(
        _body(exc.code, exc.detail, exc.extra),
        status_code=exc.status_code,
        media_type=MediaType.JSON,
        headers={"retry-after": str(RETRY_AFTER_S)} if unavailable else None,
    )


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "upload_too_large",
    429: "rate_limited",
    503: "unavailable",
}


def _no_body(extra: Any) -> bool:
    """Litestar reports a missing body as a KeyError's text, "'data'", which helps nobody."""
    return isinstance(extra, list) and any(
        isinstance(item, dict) and item.get("message") == "'data'" for item in extra
    )


def http_error_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[ErrorOut]:
    if exc.status_code >= 500:
        log.error("error on %s %s", request.method, request.url.path, exc_info=exc)
    detail = str(exc.detail)
    extra = exc.extra if isinstance(exc.extra, list | dict) else None
    if isinstance(exc, LitestarValidation):
        code = "validation_failed"
        if _no_body(extra):
            detail, extra = "the request needs a JSON body", None
    elif isinstance(exc, NotAuthorizedException):
        code = "unauthorized"
    elif isinstance(exc, PermissionDeniedException):
        code = "forbidden"
    else:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
    return Response(
        _body(code, detail, extra),
        status_code=exc.status_code,
        media_type=MediaType.JSON,
        headers=exc.headers,
    )


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[ErrorOut]:
    # The traceback goes to the log; the caller gets a code, never internals or secrets.
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return Response(
        _body("internal_error", "something went wrong on our side; it has been logged"),
        status_code=500,
        media_type=MediaType.JSON,
    )


# SQLSTATEs PostgreSQL gives text it cannot store: NUL in text (22021), "\u0000" in JSONB (22P05).
_UNSTORABLE_TEXT = {"22021", "22P05"}
# numeric_value_out_of_range; asyncpg refuses an integer beyond int64 itself, before sending it.
_OUT_OF_RANGE = "22003"
# foreign_key_violation: what the request refers to was deleted while it ran (a story deleted
# while its illustration uploads) or never existed.
_GONE = "23503"


def database_unavailable() -> DatabaseUnavailable:
    return DatabaseUnavailable(
        "the database is not answering; try again in a few seconds",
        extra={"part": "database"},
    )


def redis_unavailable() -> RedisUnavailable:
    return RedisUnavailable(
        "Redis (queues, live events, rate limits) is not answering; try again in a few seconds",
        extra={"part": "redis"},
    )


def lost_database(exc: BaseException) -> bool:
    """A refused, lost or timed-out connection: the database is down or restarting."""
    if isinstance(exc, OperationalError | InterfaceError | PoolTimeout):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def lost_redis(exc: BaseException) -> bool:
    return isinstance(exc, RedisConnectionError | RedisTimeoutError)


def database_error_handler(request: Request[Any, Any, Any], exc: DBAPIError) -> Response[ErrorOut]:
    """Text PostgreSQL refuses is the caller's mistake (a 422), found by schemathesis; a lost
    connection is an outage (a 503); a reference to a row that is gone is a 404; any other
    database error is ours."""
    if lost_database(exc):
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
        return api_error_handler(request, database_unavailable())
    sqlstate = getattr(exc.orig, "sqlstate", None) or getattr(
        getattr(exc.orig, "diag", None), "sqlstate", None
    )
    if sqlstate in _UNSTORABLE_TEXT or "NUL (0x00)" in str(exc.orig):
        return api_error_handler(
            request, InvalidInput("text may not contain NUL (\\u0000) characters")
        )
    if "out of int64 range" in str(exc.orig) or sqlstate == _OUT_OF_RANGE:
        return api_error_handler(request, InvalidInput("a number in the request is too large"))
    if sqlstate == _GONE or "FOREIGN KEY constraint failed" in str(exc.orig):
        return api_error_handler(
            request,
            NotFound(
                "something this request refers to does not exist (it may have just been deleted)"
            ),
        )
    return internal_error_handler(request, exc)


def data_error_handler(request: Request[Any, Any, Any], exc: DataError) -> Response[ErrorOut]:
    """A rule of the data (models/errors.py) refused what the caller sent: their mistake, a 422
    with the rule's own code when it has one."""
    error = InvalidInput(str(exc))
    error.code = getattr(exc, "code", InvalidInput.code)
    return api_error_handler(request, error)


def pool_timeout_handler(request: Request[Any, Any, Any], exc: PoolTimeout) -> Response[ErrorOut]:
    log.warning("no database connection for %s %s: %s", request.method, request.url.path, exc)
    return api_error_handler(request, database_unavailable())


def _raised_in(exc: BaseException, *packages: str) -> bool:
    """Whether code of one of `packages` is on the exception's traceback."""
    frame = exc.__traceback__
    while frame is not None:
        if frame.tb_frame.f_globals.get("__name__", "").startswith(packages):
            return True
        frame = frame.tb_next
    return False


def _raised_by_database_driver(exc: BaseException) -> bool:
    return _raised_in(exc, "asyncpg", "psycopg", "sqlalchemy")


def _raised_reading_the_body(exc: BaseException) -> bool:
    return _raised_in(exc, "msgspec", "litestar")


def body_error_handler(
    request: Request[Any, Any, Any], exc: RecursionError | UnicodeDecodeError
) -> Response[ErrorOut]:
    """A body too deeply nested for the JSON decoder, or not UTF-8: the caller's mistake."""
    if not _raised_reading_the_body(exc):
        return internal_error_handler(request, exc)
    if isinstance(exc, RecursionError):
        detail = "the JSON body is nested too deeply; send plain objects and lists"
    else:
        detail = "the request body is not UTF-8 text; send JSON encoded as UTF-8"
    return api_error_handler(request, ApiError(detail))


def os_error_handler(request: Request[Any, Any, Any], exc: OSError) -> Response[ErrorOut]:
    """asyncpg lets a refused or unresolvable database connection out as a bare OSError
    (SQLAlchemy wraps only what the driver raises as its own errors): where the driver raised
    it, it is the database's outage."""
    if _raised_by_database_driver(exc):
        log.warning("database unavailable on %s %s: %r", request.method, request.url.path, exc)
        return api_error_handler(request, database_unavailable())
    return internal_error_handler(request, exc)


def redis_error_handler(request: Request[Any, Any, Any], exc: RedisError) -> Response[ErrorOut]:
    if lost_redis(exc):
        log.warning("Redis unavailable on %s %s: %s", request.method, request.url.path, exc)
        return api_error_handler(request, redis_unavailable())
    return internal_error_handler(request, exc)


EXCEPTION_HANDLERS = {
    RecursionError: body_error_handler,
    UnicodeDecodeError: body_error_handler,
    RedisError: redis_error_handler,
    PoolTimeout: pool_timeout_handler,
    OSError: os_error_handler,
    DBAPIError: database_error_handler,
    DataError: data_error_handler,
    ApiError: api_error_handler,
    HTTPException: http_error_handler,
    Exception: internal_error_handler,
}
