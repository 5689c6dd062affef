"""A write that refers to a row deleted while the request ran (a story deleted while its
illustration uploads, a post while a comment is written) is a 404 in the one error shape, not a
500: the database's foreign-key refusal, as PostgreSQL really raises it, through the handler."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Request
from sqlalchemy import insert
from sqlalchemy.exc import DBAPIError

from api.errors import database_error_handler
from models import ChatMessage, table_of, utcnow


def _request() -> Request[Any, Any, Any]:
    scope = {"type": "http", "method": "POST", "path": "/api/v1/x", "headers": [],
             "query_string": b"", "server": ("testserver", 80), "scheme": "http",
             "root_path": "", "app": None, "path_params": {}}  # fmt: skip
    return Request(scope)  # type: ignore[arg-type]


def test_a_reference_to_a_deleted_row_answers_404(clean_db: None) -> None:
    from workers.db import engine

    with pytest.raises(DBAPIError) as refused, engine().begin() as conn:
        conn.execute(
            insert(table_of(ChatMessage)).values(
                id="m1", session_id="a-session-deleted-meanwhile", author_name="Ruth",
                text="Amen", sent_at=utcnow(), removed=False,
            )
        )  # fmt: skip
    answer = database_error_handler(_request(), refused.value)
    assert answer.status_code == 404
    body = answer.content
    assert body.code == "not_found" and "deleted" in body.detail
    assert "session" not in body.detail and "chat_messages" not in body.detail  # no internals
