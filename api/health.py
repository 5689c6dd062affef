"""GET /healthz (the process is up) and GET /readyz (its database and Redis answer)."""

from __future__ import annotations

from typing import Any

import anyio
from litestar import Response, get
from litestar.datastructures import State
from sqlalchemy import text


@get("/healthz", tags=["operations"], summary="The process is up", exclude_from_auth=True)
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@get("/readyz", tags=["operations"], summary="The database and Redis are reachable")
async def readyz(state: State) -> Response[dict[str, Any]]:
    checks: dict[str, str] = {}
    try:
        with anyio.fail_after(3):
            async with state.db_sessions() as session:
                await session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # any failure means not ready; say which part and why
        checks["database"] = f"unreachable: {type(exc).__name__}"
    try:
        with anyio.fail_after(3):
            await state.redis.ping()
        checks["redis"] = "ok"
    except Exception as exc:
        checks["redis"] = f"unreachable: {type(exc).__name__}"
    failing = [name for name, status in checks.items() if status != "ok"]
    if failing:
        # The one error shape (api/errors.py), the checks as its extra facts.
        body = {
            "code": "not_ready",
            "detail": f"{', '.join(failing)} not reachable",
            "extra": {"checks": checks},
        }
        return Response(body, status_code=503)
    return Response({"status": "ok", "checks": checks}, status_code=200)
