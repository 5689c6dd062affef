"""Every error is one shape, {code, detail, extra?}, and /schema documents that shape for every
error it names: a client generated from the document reads the bodies the API sends (there was
a second shape, Litestar's {status_code, detail, extra}, documented for every 400 and copied into
400 bodies to match)."""

from __future__ import annotations

from typing import Any

ONE_SHAPE = {"code", "detail", "extra"}


def _error_responses(document: dict[str, Any]) -> list[tuple[str, str, str, dict[str, Any]]]:
    found = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    found.append((method.upper(), path, status, response))
    return found


def test_the_schema_documents_every_error_in_the_one_shape(client) -> None:  # type: ignore[no-untyped-def]
    document = client.get("/schema/openapi.json").json()
    errors = _error_responses(document)
    operations = {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "responses" in operation
    }
    # Every operation says how a bad request is answered, and every error it names is ErrorOut.
    assert {(method, path) for method, path, status, _ in errors if status == "400"} == operations
    refs = {
        response["content"]["application/json"]["schema"].get("$ref")
        for _, _, _, response in errors
    }
    assert refs == {"#/components/schemas/ErrorOut"}
    shape = document["components"]["schemas"]["ErrorOut"]
    assert set(shape["properties"]) == ONE_SHAPE
    assert sorted(shape["required"]) == ["code", "detail"]
    assert "status_code" not in str(document["components"]["schemas"])


def test_a_validation_failure_is_answered_in_the_one_shape(client) -> None:  # type: ignore[no-untyped-def]
    refused = client.post("/api/v1/auth/register", json={"email": 7, "password": ["x"]})
    assert refused.status_code == 400
    body = refused.json()
    assert set(body) == ONE_SHAPE  # no `status_code` beside them
    assert body["code"] == "validation_failed" and body["extra"]


def test_a_bad_request_without_extra_facts_leaves_extra_out(client) -> None:  # type: ignore[no-untyped-def]
    empty = client.post(
        "/api/v1/auth/login", content=b"", headers={"content-type": "application/json"}
    )
    assert empty.status_code == 400
    assert empty.json() == {"code": "validation_failed", "detail": "the request needs a JSON body"}
    deep = client.post("/api/v1/auth/login", content=b"[" * 100_000 + b"]" * 100_000)
    assert deep.status_code == 400
    assert set(deep.json()) == {"code", "detail"} and deep.json()["code"] == "bad_request"
