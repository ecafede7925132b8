"""Accounts: users with argon2id password hashes, server-side sessions, and the sign-in throttle.

Plain functions over a session, like the other storage modules; the web layer (blogroll.accounts)
decides when to call them. Nothing here ever logs, returns or stores a password in clear.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from contextlib import suppress
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from blogroll.storage.db import savepoint
from blogroll.storage.models import SignInFailure, SiteKey, User, WebSession, utcnow

# argon2-cffi's defaults are RFC 9106's second recommendation for argon2id (64 MiB, 3 passes),
# above OWASP's minimum; the parameters are stored in each hash, so raising them later is safe.
HASHER = PasswordHasher()
# Verified against when the account does not exist, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = HASHER.hash(secrets.token_urlsafe(16))

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
MAX_NAME_LENGTH = 100
# OWASP: throttle by account and by client address, here 10 failures within 15 minutes.
MAX_FAILURES = 10
FAILURE_WINDOW = dt.timedelta(minutes=15)


class UserNameTaken(Exception):
    """User names are unique: they are what people sign in with."""


class UnknownUser(Exception):
    """There is no user by that name."""


class BadPassword(ValueError):
    """The password does not meet the rules; the message says which, never the password."""


@dataclass(frozen=True)
class Throttled(Exception):
    """Too many recent failures for this account or address; try again after `retry_after` seconds."""

    retry_after: int


def check_name(name: str) -> str:
    """The name, stripped, or a ValueError saying what is wrong with it."""
    name = name.strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"a user name must be 1 to {MAX_NAME_LENGTH} characters")
    if any(not character.isprintable() for character in name):
        raise ValueError("a user name cannot contain control or invisible characters")
    return name


def check_password(password: str) -> str:
    # Length is what OWASP asks for; no composition rules, and every character is allowed.
    if len(password) < MIN_PASSWORD_LENGTH:
        raise BadPassword(f"the password must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise BadPassword(f"the password must be at most {MAX_PASSWORD_LENGTH} characters")
    return password


def create_user(session: Session, name: str, password: str) -> User:
    user = User(name=check_name(name), password_hash=HASHER.hash(check_password(password)))
    with savepoint(session, lambda: UserNameTaken(f"a user named {user.name!r} already exists")):
        session.add(user)
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.name)))


def get_user(session: Session, name: str) -> User | None:
    return session.scalars(select(User).where(User.name == name.strip())).first()


def delete_user(session: Session, name: str) -> User:
    """Deletes the user; their sessions go with them (the foreign key cascades)."""
    user = _existing(session, name)
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    session.delete(user)
    session.flush()
    return user


def set_password(session: Session, name: str, password: str) -> User:
    """Changes the password and ends every session of the user, this browser's included."""
    user = _existing(session, name)
    user.password_hash = HASHER.hash(check_password(password))
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    session.flush()
    return user


def _existing(session: Session, name: str) -> User:
    user = get_user(session, name)
    if user is None:
        raise UnknownUser(f"there is no user named {name.strip()!r}")
    return user


def authenticate(
    session: Session, name: str, password: str, *, address: str, now: dt.datetime | None = None
) -> User | None:
    """The user if the name and password are right; None (and a recorded failure) if not.

    A throttled account or address raises `Throttled` before the password is even checked, so a
    guess that happens to be right while throttled signs nobody in.
    """
    now = now or utcnow()
    name = name.strip()[:MAX_NAME_LENGTH]
    address = address[:64]
    _check_throttle(session, name, address, now)
    user = get_user(session, name) if name else None
    if _verify(user.password_hash if user else _DUMMY_HASH, password) and user is not None:
        if HASHER.check_needs_rehash(user.password_hash):
            user.password_hash = HASHER.hash(password)
        session.execute(delete(SignInFailure).where(SignInFailure.user_name == name))
        return user
    session.add(SignInFailure(user_name=name, address=address, failed_at=now))
    session.flush()
    return None


def _verify(password_hash: str, password: str) -> bool:
    try:
        return HASHER.verify(password_hash, password[:MAX_PASSWORD_LENGTH])
    except (VerificationError, InvalidHashError):
        return False


def _check_throttle(session: Session, name: str, address: str, now: dt.datetime) -> None:
    since = now - FAILURE_WINDOW
    session.execute(delete(SignInFailure).where(SignInFailure.failed_at < since))
    for column, value in ((SignInFailure.user_name, name), (SignInFailure.address, address)):
        count, oldest = session.execute(
            select(func.count(), func.min(SignInFailure.failed_at)).where(
                column == value, SignInFailure.failed_at >= since
            )
        ).one()
        if count >= MAX_FAILURES:
            # Counting is by the window: the oldest failure ageing out lets one more try in.
            oldest_at = oldest.replace(tzinfo=dt.UTC) if oldest.tzinfo is None else oldest
            wait = (oldest_at + FAILURE_WINDOW - now).total_seconds()
            raise Throttled(retry_after=max(1, int(wait) + 1))


# Sessions


def hash_session_id(session_id: str) -> str:
    # 256 random bits: a fast hash suffices, there is nothing to brute-force.
    return hashlib.sha256(session_id.encode()).hexdigest()


def new_session_id() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class SessionRules:
    """How long a session lives: since it was last used (idle) and since it began (absolute)."""

    idle: dt.timedelta
    absolute: dt.timedelta

    def expired(self, row: WebSession, now: dt.datetime) -> bool:
        return now - row.last_seen_at > self.idle or now - row.created_at > self.absolute


def load_session(
    session: Session, session_id: str, rules: SessionRules, now: dt.datetime | None = None
) -> WebSession | None:
    """The live session with this id, or None when there is none or it has expired."""
    row = session.get(WebSession, hash_session_id(session_id))
    if row is None or rules.expired(row, now or utcnow()):
        return None
    return row


def save_session(
    session: Session, session_id: str, *, user_id: int | None, data: str, now: dt.datetime | None = None
) -> None:
    now = now or utcnow()
    row = session.get(WebSession, hash_session_id(session_id))
    if row is None:
        session.add(
            WebSession(
                id_hash=hash_session_id(session_id),
                user_id=user_id,
                data=data,
                created_at=now,
                last_seen_at=now,
            )
        )
    else:
        row.user_id, row.data, row.last_seen_at = user_id, data, now
    session.flush()


def end_session(session: Session, session_id: str) -> None:
    session.execute(delete(WebSession).where(WebSession.id_hash == hash_session_id(session_id)))


def delete_expired_sessions(session: Session, rules: SessionRules, now: dt.datetime | None = None) -> int:
    now = now or utcnow()
    result = session.execute(
        delete(WebSession).where(
            or_(WebSession.last_seen_at < now - rules.idle, WebSession.created_at < now - rules.absolute)
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


def site_key(session: Session, name: str) -> str | None:
    """A key the site signs with (see SiteKey), or None if there is none yet."""
    return session.scalar(select(SiteKey.value).where(SiteKey.name == name))


def make_site_key(session: Session, name: str) -> str:
    """The key, made at random if the database has none (the migration makes one; a database emptied
    by hand has none). Two processes racing here agree on whichever key was stored first."""
    with suppress(KeyTaken), savepoint(session, KeyTaken):
        session.add(SiteKey(name=name, value=secrets.token_hex(32)))
    value = site_key(session, name)
    assert value is not None
    return value


class KeyTaken(Exception):
    """Another process stored the key first."""
