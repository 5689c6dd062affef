"""Errors on the pages: the API's own error classes, shown as a page in the one error shape
(a code and a sentence), or, for someone not signed in, the sign-in page.

The API turns the same exceptions into JSON (api/errors.py); these handlers are registered on
the pages' router only, so a page never answers JSON and the API never answers HTML.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from litestar import Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException
from litestar.response import Redirect, Template

from api.errors import ApiError, Unauthorized
from api.web.templating import page
from models.errors import DataError

log = logging.getLogger(__name__)


def _error_page(request: Request[Any, Any, Any], status: int, code: str, detail: str) -> Template:
    return page(request, "error.html", status, title=f"{status}", code=code, detail=detail)


def api_error(request: Request[Any, Any, Any], exc: ApiError) -> Response[Any]:
    if isinstance(exc, Unauthorized) and request.method == "GET":
        return Redirect(f"/login?next={quote(request.url.path)}")
    return _error_page(request, exc.status_code, exc.code, exc.detail)  # type: ignore[return-value]


def http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if isinstance(exc, NotAuthorizedException) and request.method == "GET":
        return Redirect(f"/login?next={quote(request.url.path)}")
    if exc.status_code >= 500:
        log.error("error on %s %s", request.method, request.url.path, exc_info=exc)
    code = {403: "forbidden", 404: "not_found", 405: "method_not_allowed"}.get(
        exc.status_code, "bad_request" if exc.status_code < 500 else "internal_error"
    )
    return _error_page(request, exc.status_code, code, str(exc.detail))  # type: ignore[return-value]


def data_error(request: Request[Any, Any, Any], exc: DataError) -> Response[Any]:
    return _error_page(request, 422, "invalid_input", str(exc))  # type: ignore[return-value]


def internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    detail = "something went wrong on our side; it has been logged"
    return _error_page(request, 500, "internal_error", detail)  # type: ignore[return-value]


PAGE_EXCEPTION_HANDLERS = {
    ApiError: api_error,
    HTTPException: http_error,
    DataError: data_error,
    Exception: internal_error,
}
