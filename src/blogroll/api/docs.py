"""The OpenAPI 3.1 document, generated from the same pydantic schemas that validate requests."""

from __future__ import annotations

import functools
from typing import Any

from flask import Response, render_template
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from blogroll import schemas
from blogroll.api import bp
from blogroll.storage.models import MAX_ID
from blogroll.version import __version__

REF = "#/components/schemas/{model}"
ERROR_STATUSES = {
    400: "The body is not valid JSON.",
    401: "A valid bearer token is required.",
    404: "No such blog or entry.",
    409: "Another blog already has this feed URL.",
    413: "The body is larger than the server accepts.",
    415: "The body is not of a type this endpoint takes.",
    422: "A field or query parameter is not valid; `details` names each.",
    429: "Too many writes from this address: the proxy in front of Blogroll (the compose stack's nginx) "
    "limits them; retry in a moment.",
    503: "The database is not answering, or Blogroll is restarting; retry shortly.",
}


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": REF.format(model=model.__name__)}


def _json(model: type[BaseModel]) -> dict[str, Any]:
    return {"application/json": {"schema": _ref(model)}}


def _responses(status: int, description: str, model: type[BaseModel] | None, *errors: int) -> dict[str, Any]:
    responses: dict[str, Any] = {str(status): {"description": description}}
    if model is not None:
        responses[str(status)]["content"] = _json(model)
    # Writes (they need a token) can meet the proxy's rate limit.
    limited = (429,) if 401 in errors else ()
    for code in (*errors, *limited, 503):
        responses[str(code)] = {
            "description": ERROR_STATUSES[code],
            "content": _json(schemas.Error),
        }
    return responses


def _query(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template=REF)
    return [
        {
            "name": name,
            "in": "query",
            "required": False,
            "description": prop.get("description", ""),
            "schema": {key: value for key, value in prop.items() if key != "description"},
        }
        for name, prop in schema["properties"].items()
    ]


def _path_id(name: str, what: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": f"The {what}'s id.",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    }


WRITE: list[dict[str, list[str]]] = [{"bearer": []}]


@functools.cache
def openapi_document() -> dict[str, Any]:
    models: list[type[BaseModel]] = [
        schemas.BlogCreate, schemas.BlogUpdate, schemas.BlogOut, schemas.BlogList,
        schemas.EntryOut, schemas.EntryList, schemas.Hello, schemas.ImportResult, schemas.Error,
    ]  # fmt: skip
    _, definitions = models_json_schema([(model, "validation") for model in models], ref_template=REF)
    blog_id = _path_id("blog_id", "blog")
    paths: dict[str, Any] = {
        "/api/v1/": {
            "get": {
                "operationId": "hello",
                "summary": "Greeting and version",
                "responses": _responses(200, "The greeting.", schemas.Hello),
            },
        },
        "/api/v1/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This OpenAPI 3.1 document",
                "responses": {
                    "200": {
                        "description": "The document.",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            },
        },
        "/api/v1/docs": {
            "get": {
                "operationId": "apiPage",
                "summary": "This API, as a page for people",
                "responses": {
                    "200": {
                        "description": "The page.",
                        "content": {"text/html": {"schema": {"type": "string"}}},
                    }
                },
            },
        },
        "/api/v1/blogs": {
            "get": {
                "operationId": "listBlogs",
                "summary": "List blogs, oldest first",
                "parameters": _query(schemas.BlogQuery),
                "responses": _responses(200, "A page of blogs.", schemas.BlogList, 422),
            },
            "post": {
                "operationId": "createBlog",
                "summary": "Add a blog",
                "security": WRITE,
                "requestBody": {"required": True, "content": _json(schemas.BlogCreate)},
                "responses": _responses(
                    201,
                    "The blog, due for its first fetch.",
                    schemas.BlogOut,
                    400,
                    401,
                    409,
                    413,
                    415,
                    422,
                ),
            },
        },
        "/api/v1/blogs/{blog_id}": {
            "parameters": [blog_id],
            "get": {
                "operationId": "getBlog",
                "summary": "One blog with its fetch state",
                "responses": _responses(200, "The blog.", schemas.BlogOut, 404),
            },
            "patch": {
                "operationId": "updateBlog",
                "summary": "Change some of a blog's fields",
                "security": WRITE,
                "requestBody": {"required": True, "content": _json(schemas.BlogUpdate)},
                "responses": _responses(
                    200, "The changed blog.", schemas.BlogOut, 400, 401, 404, 409, 413, 415, 422
                ),
            },
            "delete": {
                "operationId": "deleteBlog",
                "summary": "Remove a blog and its entries",
                "security": WRITE,
                "responses": _responses(204, "Deleted.", None, 401, 404),
            },
        },
        "/api/v1/blogs/{blog_id}/refresh": {
            "parameters": [blog_id],
            "post": {
                "operationId": "refreshBlog",
                "summary": "Make a blog due for fetching now",
                "security": WRITE,
                "responses": _responses(202, "The blog, due now.", schemas.BlogOut, 401, 404),
            },
        },
        "/api/v1/blogs/import": {
            "post": {
                "operationId": "importBlogs",
                "summary": "Import an OPML file (idempotent)",
                "security": WRITE,
                "requestBody": {
                    "required": True,
                    "content": {
                        "text/x-opml": {"schema": {"type": "string"}},
                        "application/xml": {"schema": {"type": "string"}},
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "required": ["file"],
                                "properties": {"file": {"type": "string", "contentMediaType": "text/x-opml"}},
                            }
                        },
                    },
                },
                "responses": _responses(
                    200, "What was added and skipped.", schemas.ImportResult, 401, 409, 413, 415, 422
                ),
            },
        },
        "/api/v1/entries": {
            "get": {
                "operationId": "listEntries",
                "summary": "Latest entries, newest first",
                "parameters": _query(schemas.EntryQuery),
                "responses": _responses(200, "A page of entries.", schemas.EntryList, 422),
            },
        },
        "/api/v1/entries/{entry_id}": {
            "parameters": [_path_id("entry_id", "entry")],
            "get": {
                "operationId": "getEntry",
                "summary": "One entry",
                "responses": _responses(200, "The entry.", schemas.EntryOut, 404),
            },
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Blogroll API",
            "version": __version__,
            "description": "Read the blogroll and its latest entries; writes need a bearer token "
            "made with `blogroll tokens create --name NAME`.",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": definitions["$defs"],
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


@bp.get("/openapi.json")
def openapi() -> Response:
    import orjson

    return Response(orjson.dumps(openapi_document()), mimetype="application/json")


@bp.get("/docs")
def api_page() -> str:
    return render_template("api.html", document=openapi_document())
