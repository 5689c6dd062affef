"""The OpenAPI document (/schema) describes errors in the one shape the API answers with.

Litestar documents each operation's 400 with a schema of its own, {status_code, detail, extra},
which no answer of ours has. Every operation's 400 is documented as `ErrorOut` instead, through
Litestar's public means: a route plugin hands each handler a `ResponseSpec` for it (a handler's
own `responses` win, and Litestar lets these replace its generated ones).
"""

from __future__ import annotations

from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.plugins import ReceiveRoutePlugin
from litestar.routes import BaseRoute, HTTPRoute

from api.errors import ErrorOut

__all__ = ["ERROR_RESPONSES", "ErrorShapeDocs"]

# Any operation may be sent a body or parameters it cannot take (Litestar's validation, a body
# nested too deeply or not UTF-8); other errors are the operation's own.
ERROR_RESPONSES = {
    400: ResponseSpec(
        data_container=ErrorOut,
        description="The request is malformed or fails validation; `extra` says where",
        generate_examples=False,
    ),
}


class ErrorShapeDocs(ReceiveRoutePlugin):
    """Documents `ERROR_RESPONSES` on every HTTP handler the schema includes."""

    def receive_route(self, route: BaseRoute) -> None:
        if not isinstance(route, HTTPRoute):
            return
        for handler in route.route_handlers:
            if isinstance(handler, HTTPRouteHandler) and handler.include_in_schema:
                handler.responses = {**ERROR_RESPONSES, **(handler.responses or {})}
