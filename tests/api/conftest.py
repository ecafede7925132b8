"""API test helpers: storage snapshots, apps with other settings, and the documented contract."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.test import TestResponse

from blogroll import create_app
from blogroll.api.docs import openapi_document
from blogroll.config import Settings
from blogroll.storage import db
from blogroll.storage.models import Base

DOCUMENT_URI = "urn:blogroll:openapi"


@pytest.fixture
def storage(session: Session) -> Callable[[], dict[str, list[tuple[Any, ...]]]]:
    """`storage()` is every row of every table, to prove that a bad request changed nothing."""

    def snapshot() -> dict[str, list[tuple[Any, ...]]]:
        return {
            table.name: [
                tuple(row) for row in session.execute(select(table).order_by(*table.primary_key.columns))
            ]
            for table in Base.metadata.sorted_tables
        }

    return snapshot


@pytest.fixture
def make_app(settings: Settings, sessions: sessionmaker[Session]) -> Iterator[Callable[..., Flask]]:
    """`make_app(max_body_bytes=1024)`: an app on the test transaction with some settings changed."""
    apps: list[Flask] = []

    def make(**overrides: Any) -> Flask:
        app = create_app(settings.model_copy(update=overrides))
        app.config["TESTING"] = True
        db.get_database(app).use_sessions(sessions)
        apps.append(app)
        return app

    yield make
    for app in apps:
        db.get_database(app).engine.dispose()


def _assert_error(response: TestResponse, status: int, error: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body: dict[str, Any] = response.json  # type: ignore[assignment]
    assert set(body) == {"error", "message", "details"}
    assert body["error"] == error
    assert isinstance(body["message"], str) and body["message"]
    assert re.fullmatch(r"[A-Za-z0-9._-]{8,64}", response.headers["X-Request-ID"])
    text = response.get_data(as_text=True)
    for leak in ("Traceback", 'File "', "sqlalchemy", "psycopg", "pymysql", "Error:", "0x"):
        assert leak not in text
    return body


@pytest.fixture
def expect_error() -> Callable[[TestResponse, int, str], dict[str, Any]]:
    """`expect_error(response, 422, "validation_failed")`: the error shape, returning its body."""
    return _assert_error


@pytest.fixture(scope="session")
def document() -> dict[str, Any]:
    return openapi_document()


@pytest.fixture
def conforms(document: dict[str, Any]) -> Callable[[TestResponse, str, str], None]:
    """`conforms(response, "get", "/api/v1/blogs/{blog_id}")`: the status is documented for that
    operation and the JSON body validates against the documented schema."""
    registry: Registry[Any] = Registry().with_resource(DOCUMENT_URI, Resource.opaque(document))

    def check(response: TestResponse, method: str, path: str) -> None:
        documented = document["paths"][path][method]["responses"]
        assert str(response.status_code) in documented, f"{response.status_code} not documented"
        content = documented[str(response.status_code)].get("content")
        if content is None:
            assert response.get_data() == b""
            return
        assert response.mimetype in content
        schema = content[response.mimetype]["schema"]
        validator = Draft202012Validator(
            {"$ref": DOCUMENT_URI + schema["$ref"]} if "$ref" in schema else schema,
            registry=registry,
            format_checker=Draft202012Validator.FORMAT_CHECKER,
        )
        validator.validate(response.json)

    return check
