"""Reading API requests: JSON bodies, query strings and bearer tokens, each failing with the right code."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import orjson
from flask import Response, g, request
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import RequestEntityTooLarge

from blogroll.errors import ApiError
from blogroll.schemas import list_json
from blogroll.storage.db import get_session
from blogroll.storage.models import utcnow
from blogroll.storage.tokens import verify_token
from blogroll.validation import field_problem, validation_details

Model = TypeVar("Model", bound=BaseModel)
P = ParamSpec("P")
R = TypeVar("R")


def json_body(model: type[Model]) -> Model:
    """The request's JSON body validated against `model`: 415, 400 or 422 when it is not one."""
    if not request.is_json:
        raise ApiError(415, "send the body as JSON with Content-Type: application/json")
    try:
        data = orjson.loads(request_body())
    except orjson.JSONDecodeError as error:
        where = {"line": error.lineno, "column": error.colno}
        raise ApiError(400, "the body is not valid JSON", error="malformed_json", details=where) from None
    if not isinstance(data, dict):
        raise ApiError(
            422,
            "the body must be a JSON object",
            details=[field_problem("(body)", "Input should be an object", "model_type")],
        )
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise ApiError(422, "the request is not valid", details=validation_details(error)) from None


def request_body() -> bytes:
    """The raw body; 413 when it is larger than `max_body_bytes`.

    Werkzeug refuses a Content-Length over the limit, but cuts a chunked body (which has none) off at
    the limit without a word: one byte more behind it means the body was too large.
    """
    data = request.get_data(cache=False)
    limit = request.max_content_length
    chunked = request.content_length is None
    if chunked and limit is not None and len(data) >= limit and request.environ["wsgi.input"].read(1):
        raise RequestEntityTooLarge()
    return data


def query_args(model: type[Model]) -> Model:
    """The query string validated against `model` (unknown parameters are ignored); 422 if invalid.

    A parameter given twice is refused rather than read once: a proxy in front might read the other.
    """
    repeated = [name for name in model.model_fields if len(request.args.getlist(name)) > 1]
    if repeated:
        details = [field_problem(name, "Give this parameter once", "repeated") for name in repeated]
        raise ApiError(422, "the query string is not valid", details=details)
    values = {name: request.args.get(name) for name in model.model_fields if name in request.args}
    try:
        return model.model_validate(values)
    except ValidationError as error:
        raise ApiError(422, "the query string is not valid", details=validation_details(error)) from None


def require_token(view: Callable[P, R]) -> Callable[P, R]:
    """Writes need `Authorization: Bearer <token>` naming a token made with `blogroll tokens create`."""

    @functools.wraps(view)
    def checked(*args: P.args, **kwargs: P.kwargs) -> R:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "this request needs an Authorization: Bearer <token> header")
        session = get_session()
        row = verify_token(session, token.strip())
        if row is None:
            raise ApiError(401, "the token is not valid (it may have been revoked)")
        row.last_used_at = utcnow()
        g.token_name = row.name
        return view(*args, **kwargs)

    return checked


def json_response(model: BaseModel, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(model.model_dump_json(), status=status, headers=headers, mimetype="application/json")


def list_response(items: list[dict[str, Any]], next_url: str | None) -> Response:
    """A page of an API list (`BlogList`, `EntryList`): its items as `schemas.blog_item` and
    `entry_item` make them, written by `schemas.list_json`."""
    return Response(list_json(items, next_url), mimetype="application/json")


def model_changes(model: BaseModel) -> dict[str, Any]:
    """The fields a client actually sent (URLs already plain strings), for a PATCH."""
    return model.model_dump(exclude_unset=True)
