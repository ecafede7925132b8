"""Admin fixtures: a keeper's account and a browser signed in as them."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from blogroll.storage import users
from blogroll.storage.models import User

from .forms import PASSWORD, sign_in


@pytest.fixture
def keeper(session: Session) -> User:
    user = users.create_user(session, "keeper", PASSWORD)
    session.commit()
    return user


@pytest.fixture
def browser(app: Flask, keeper: User) -> FlaskClient:
    """A client signed in as `keeper`, keeping its cookies like a browser."""
    client = app.test_client()
    sign_in(client)
    return client
