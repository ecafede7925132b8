"""API tokens: shown once at creation, stored only as a SHA-256 hash, checked in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from blogroll.storage.db import savepoint
from blogroll.storage.models import MAX_ID, ApiToken

TOKEN_PREFIX = "blr_"  # noqa: S105 - a marker that makes leaked tokens easy to grep for


class TokenNameTaken(Exception):
    """Token names are unique so that `tokens revoke NAME` is unambiguous."""


def hash_token(token: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is enough: there is nothing to brute-force.
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, name: str) -> tuple[ApiToken, str]:
    """Returns the stored row and the token itself, which is never stored and cannot be shown again."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(name=name, token_hash=hash_token(token))
    with savepoint(session, lambda: TokenNameTaken(f"a token named {name!r} already exists")):
        session.add(row)
    return row, token


def list_tokens(session: Session) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).order_by(ApiToken.id)))


def revoke_token(session: Session, name_or_id: str) -> ApiToken | None:
    """Deletes the token with this name (or numeric id); returns it, or None if there is none."""
    query = select(ApiToken).where(ApiToken.name == name_or_id)
    row = session.scalars(query).first()
    if row is None and name_or_id.isdecimal() and 0 < int(name_or_id) <= MAX_ID:
        row = session.get(ApiToken, int(name_or_id))
    if row is not None:
        session.delete(row)
        session.flush()
    return row


def verify_token(session: Session, token: str) -> ApiToken | None:
    """The token's row if it is valid. The lookup is by hash and the final check constant-time."""
    expected = hash_token(token)
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == expected)).first()
    if row is None or not hmac.compare_digest(row.token_hash, expected):
        return None
    return row
