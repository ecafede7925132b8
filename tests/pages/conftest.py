"""The page tests' fixture: fetch a page and read it as a tree (tests/helpers/html_page.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from tests.helpers.html_page import Page


@pytest.fixture
def get_page(client: FlaskClient) -> Callable[..., Page]:
    """`get_page("/")`: GETs an HTML page, checks its status and type, and parses it."""

    def get(path: str, status: int = 200) -> Page:
        response = client.get(path)
        assert response.status_code == status, response.text
        assert response.mimetype == "text/html"
        return Page(response.text, path)

    return get
