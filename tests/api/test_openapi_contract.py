"""The OpenAPI document at /schema is the contract: schemathesis generates requests from it for
every operation and checks the running API (uvicorn, real PostgreSQL and Redis) answers no 5xx
and nothing its schema does not describe."""

from __future__ import annotations

import httpx
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import content_type_conformance, response_schema_conformance
from schemathesis.core.failures import ServerError

# A bounded run: enough cases to reach every operation's edges, well under a minute.
EXAMPLES_PER_OPERATION = 8
# Endless SSE streams are tested in tests/content/test_events.py and tests/live.
STREAMS = r".*/events$"


@schemathesis.check
def no_crash(ctx, response, case) -> None:  # type: ignore[no-untyped-def]
    """No 5xx, except 503 `unavailable`: a service this test server has no credentials for
    (LiveKit, S3) answers that by design; it is a stated outage, not a crash."""
    if response.status_code >= 500:
        if response.status_code == 503 and b'"code":"unavailable"' in response.content:
            return None
        raise ServerError(operation=case.operation.label, status_code=response.status_code)
    return None


def _admin_headers(base: str) -> dict[str, str]:
    from cli.users import _save_user

    _save_user("contract-admin@church.test", "a-good-long-password", "admin")
    tokens = httpx.post(
        f"{base}/api/v1/auth/login",
        json={"email": "contract-admin@church.test", "password": "a-good-long-password"},
    ).json()
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def test_the_api_keeps_its_openapi_contract(live_api: str) -> None:
    document = httpx.get(f"{live_api}/schema/openapi.json")
    assert document.status_code == 200
    schema = schemathesis.openapi.from_url(f"{live_api}/schema/openapi.json").exclude(
        path_regex=STREAMS
    )
    headers = _admin_headers(live_api)  # the widest view: every operation gets past its guards
    failures: list[str] = []
    checked = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def check(case) -> None:  # type: ignore[no-untyped-def]
            case.call_and_validate(
                base_url=live_api,
                headers=headers,
                timeout=20,
                checks=[no_crash, response_schema_conformance, content_type_conformance],
            )

        try:
            check()
        except BaseException as error:  # every operation's failure, not only the first
            failures.append(f"{operation.label}: {str(error)[:1500]}")
        checked += 1
    assert checked >= 30
    assert not failures, "\n\n".join(failures)
