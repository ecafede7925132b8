"""The OpenAPI 3.1 document, generated from the same pydantic schemas that validate requests."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from flask import Response, render_template
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from blogroll import schemas
from blogroll.api import bp
from blogroll.storage.models import MAX_ID, NAME_LENGTH
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


def _responses(
    status: int,
    description: str,
    model: type[BaseModel] | None,
    *errors: int,
    notes: dict[int, str] | None = None,
) -> dict[str, Any]:
    responses: dict[str, Any] = {str(status): {"description": description}}
    if model is not None:
        responses[str(status)]["content"] = _json(model)
    # Writes (they need a token) can meet the proxy's rate limit.
    limited = (429,) if 401 in errors else ()
    for code in (*errors, *limited, 503):
        responses[str(code)] = {
            "description": (notes or {}).get(code, ERROR_STATUSES[code]),
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


def _path_id(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": f"The {name.removesuffix('_id')}'s id.",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    }


WRITE: list[dict[str, list[str]]] = [{"bearer": []}]


@dataclass(frozen=True)
class Operation:
    """One endpoint as the document describes it. The error answers follow from `errors`; an operation
    that can answer 401 needs a token, so it is a write."""

    method: str
    path: str
    operation_id: str
    summary: str
    status: int
    description: str
    model: type[BaseModel] | None = None
    errors: tuple[int, ...] = ()
    query: type[BaseModel] | None = None
    body: type[BaseModel] | dict[str, Any] | None = None
    # A success body that is no schema of ours (the document itself): then no error answers are listed.
    content: dict[str, Any] | None = None
    # What the summary leaves out, and error answers this operation gives for reasons of its own.
    details: str | None = None
    notes: dict[int, str] | None = None

    def describe(self) -> dict[str, Any]:
        operation: dict[str, Any] = {"operationId": self.operation_id, "summary": self.summary}
        if self.details is not None:
            operation["description"] = self.details
        if self.query is not None:
            operation["parameters"] = _query(self.query)
        if 401 in self.errors:
            operation["security"] = WRITE
        if self.body is not None:
            content = _json(self.body) if isinstance(self.body, type) else self.body
            operation["requestBody"] = {"required": True, "content": content}
        operation["responses"] = self._answers()
        return operation

    def _answers(self) -> dict[str, Any]:
        if self.content is None:
            return _responses(self.status, self.description, self.model, *self.errors, notes=self.notes)
        return {str(self.status): {"description": self.description, "content": self.content}}


def _document(media_type: str, schema_type: str) -> dict[str, Any]:
    return {media_type: {"schema": {"type": schema_type}}}


OPML_UPLOAD = {
    "text/x-opml": {"schema": {"type": "string"}},
    "application/xml": {"schema": {"type": "string"}},
    "multipart/form-data": {
        "schema": {
            "type": "object",
            "required": ["file"],
            "properties": {"file": {"type": "string", "contentMediaType": "text/x-opml"}},
        }
    },
}
CREATE_BLOG = (
    "Give `feed_url`, or only `site_url`: then Blogroll fetches that page and finds its feed (with the "
    "worker's guard against private addresses and its size cap; the request waits for it, 20 s at "
    "most). A `site_url` that is itself a feed is taken as the feed. Without `name`, the feed is "
    "fetched for its title (a `feed_url` that is a web page is then refused): the name is the feed's "
    f"title, else the page's `<title>`, cut to {NAME_LENGTH} characters. RSS, Atom and JSON Feed are all "
    "taken (RSS or Atom first when a page links both)."
)
CREATE_BLOG_422 = (
    "A field is not valid, or neither `feed_url` nor `site_url` was given (`validation_failed`, "
    "`details` names each field); or no feed could be found (`no_feed_found`, the `message` names "
    "the address and says why, `details` lists the addresses tried)."
)
CREATE_SUBMISSION = (
    "Anyone may suggest a blog: Blogroll fetches `site_url` (or `feed_url`, when given) and finds its "
    "feed, as for a new blog (private addresses are refused, as the worker refuses them), then queues "
    "it for a keeper. `contact` is shown to keepers only. One client address may submit "
    "`BLOGROLL_SUBMISSIONS_PER_HOUR` an hour; the queue holds `BLOGROLL_SUBMISSION_QUEUE_LIMIT`."
)
SUBMISSION_NOTES = {
    409: "The blog is already in the blogroll (`already_in_blogroll`) or already waits in the queue "
    "(`already_submitted`).",
    422: "A field is not valid (`validation_failed`); no feed was found (`no_feed_found`); or the "
    "address is not on the public internet (`address_refused`).",
    429: "This address made its submissions for the hour (`too_many_submissions`); `Retry-After` says "
    "when to try again. The proxy's write limit answers 429 too.",
    503: "The queue is full (`queue_full`, `Retry-After` in seconds), or the database is not answering.",
}
DECIDED_409 = (
    "The submission was already approved or rejected (`already_decided`), or its feed is in "
    "the blogroll already (`already_in_blogroll`)."
)
# Every operation, in the order the document lists them; a `{name}` in a path is an id parameter.
OPERATIONS = (
    Operation("get", "/api/v1/", "hello", "Greeting and version", 200, "The greeting.", schemas.Hello),
    Operation(
        "get", "/api/v1/openapi.json", "openapi", "This OpenAPI 3.1 document", 200, "The document.",
        content=_document("application/json", "object"),
    ),
    Operation(
        "get", "/api/v1/docs", "apiPage", "This API, as a page for people", 200, "The page.",
        content=_document("text/html", "string"),
    ),
    Operation(
        "get", "/api/v1/blogs", "listBlogs", "List blogs, oldest first", 200, "A page of blogs.",
        schemas.BlogList, (422,), query=schemas.BlogQuery,
    ),
    Operation(
        "post", "/api/v1/blogs", "createBlog", "Add a blog", 201, "The blog, due for its first fetch.",
        schemas.BlogOut, (400, 401, 409, 413, 415, 422), body=schemas.BlogCreate,
        details=CREATE_BLOG, notes={422: CREATE_BLOG_422},
    ),
    Operation(
        "get", "/api/v1/blogs/{blog_id}", "getBlog", "One blog with its fetch state", 200, "The blog.",
        schemas.BlogOut, (404,),
    ),
    Operation(
        "patch", "/api/v1/blogs/{blog_id}", "updateBlog", "Change some of a blog's fields", 200,
        "The changed blog.", schemas.BlogOut, (400, 401, 404, 409, 413, 415, 422), body=schemas.BlogUpdate,
    ),
    Operation(
        "delete", "/api/v1/blogs/{blog_id}", "deleteBlog", "Remove a blog and its entries", 204, "Deleted.",
        None, (401, 404),
    ),
    Operation(
        "post", "/api/v1/blogs/{blog_id}/refresh", "refreshBlog", "Make a blog due for fetching now", 202,
        "The blog, due now.", schemas.BlogOut, (401, 404),
    ),
    Operation(
        "post", "/api/v1/blogs/import", "importBlogs", "Import an OPML file (idempotent)", 200,
        "Added, skipped, refused.", schemas.ImportResult, (401, 409, 413, 415, 422), body=OPML_UPLOAD,
    ),
    Operation(
        "post", "/api/v1/submissions", "createSubmission", "Suggest a blog (no token needed)", 202,
        "Queued for a keeper; it appears nowhere public until approved.", schemas.SubmissionReceipt,
        (400, 409, 413, 415, 422, 429), body=schemas.SubmissionCreate, details=CREATE_SUBMISSION,
        notes=SUBMISSION_NOTES,
    ),
    Operation(
        "get", "/api/v1/submissions", "listSubmissions", "The queue of suggested blogs, oldest first", 200,
        "A page of submissions.", schemas.SubmissionList, (401, 422), query=schemas.SubmissionQuery,
    ),
    Operation(
        "post", "/api/v1/submissions/{submission_id}/approve", "approveSubmission",
        "Approve a suggested blog: it joins the blogroll", 201, "The new blog, due for its first fetch.",
        schemas.BlogOut, (400, 401, 404, 409, 413, 415, 422), body=schemas.SubmissionApproval,
        notes={404: "No such submission.", 409: DECIDED_409, 422: "A tag is not valid; `details` names it."},
    ),
    Operation(
        "post", "/api/v1/submissions/{submission_id}/reject", "rejectSubmission",
        "Reject a suggested blog, saying why", 200, "The submission, rejected.", schemas.SubmissionOut,
        (400, 401, 404, 409, 413, 415, 422), body=schemas.SubmissionRejection,
        notes={404: "No such submission.", 409: DECIDED_409},
    ),
    Operation(
        "get", "/api/v1/entries", "listEntries", "Latest entries, newest first", 200, "A page of entries.",
        schemas.EntryList, (422,), query=schemas.EntryQuery,
    ),
    Operation(
        "get", "/api/v1/entries/{entry_id}", "getEntry", "One entry", 200, "The entry.",
        schemas.EntryOut, (404,),
    ),
)  # fmt: skip
MODELS: tuple[type[BaseModel], ...] = (
    schemas.BlogCreate, schemas.BlogUpdate, schemas.BlogOut, schemas.BlogList,
    schemas.EntryOut, schemas.EntryList, schemas.Hello, schemas.ImportResult, schemas.Error,
    schemas.SubmissionCreate, schemas.SubmissionReceipt, schemas.SubmissionOut, schemas.SubmissionList,
    schemas.SubmissionApproval, schemas.SubmissionRejection,
)  # fmt: skip


def _paths() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for operation in OPERATIONS:
        item = paths.setdefault(operation.path, {})
        parameter = re.search(r"\{(\w+)\}", operation.path)
        if parameter and "parameters" not in item:
            item["parameters"] = [_path_id(parameter.group(1))]
        item[operation.method] = operation.describe()
    return paths


@functools.cache
def openapi_document() -> dict[str, Any]:
    _, definitions = models_json_schema([(model, "validation") for model in MODELS], ref_template=REF)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Blogroll API",
            "version": __version__,
            "description": "Read the blogroll and its latest entries; writes need a bearer token "
            "made with `blogroll tokens create --name NAME` (all but suggesting a blog).",
        },
        "servers": [{"url": "/"}],
        "paths": _paths(),
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
