"""The API calls the Docker suites (faults, swarm) make through a stack's published port: every item
of a paginated list, and many blogs at once on a fixture feed."""

from __future__ import annotations

from typing import Any

import httpx

from tests.helpers.compose_stack import FIXTURE_FEED_URL


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def all_items(http: httpx.Client, path: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of a paginated list, following `next` to the end."""
    items: list[dict[str, Any]] = []
    response = http.get(path, params={"limit": 100, **params})
    while True:
        response.raise_for_status()
        body = response.json()
        items.extend(body["items"])
        if not body["next"]:
            return items
        response = http.get(body["next"])


def add_blogs(
    http: httpx.Client, token: str, count: int, *, prefix: str, feed_url: str = FIXTURE_FEED_URL
) -> list[dict[str, Any]]:
    """`count` blogs on a fixture feed (the e2e one by default), each with its own feed URL (the
    fixture servers ignore the query); returns what the API answered."""
    blogs = []
    for number in range(count):
        response = http.post(
            "/api/v1/blogs",
            json={"name": f"{prefix} {number}", "feed_url": f"{feed_url}?{prefix}={number}"},
            headers=auth(token),
        )
        assert response.status_code == 201, response.text
        blogs.append(response.json())
    return blogs
