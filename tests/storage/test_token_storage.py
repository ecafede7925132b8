"""API tokens: shown once, stored only as a hash, compared in constant time, revocable."""

import hashlib
import hmac
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from blogroll.storage import tokens
from blogroll.storage.models import ApiToken


def test_create_token(session: Session) -> None:
    row, token = tokens.create_token(session, "ci")
    session.commit()

    assert token.startswith("blr_")
    assert len(token) >= 40
    assert row.name == "ci"
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert row.last_used_at is None


def test_only_the_hash_is_stored(session: Session) -> None:
    _row, token = tokens.create_token(session, "ci")
    session.commit()
    stored = session.execute(text("SELECT * FROM api_tokens")).all()
    assert len(stored) == 1
    secret = token.removeprefix("blr_")
    for value in stored[0]:
        assert secret not in str(value)


def test_tokens_are_random(session: Session) -> None:
    made = {tokens.create_token(session, f"t{n}")[1] for n in range(5)}
    assert len(made) == 5


def test_token_names_are_unique(session: Session) -> None:
    tokens.create_token(session, "ci")
    with pytest.raises(tokens.TokenNameTaken):
        tokens.create_token(session, "ci")
    session.commit()
    assert [row.name for row in tokens.list_tokens(session)] == ["ci"]


def test_verify_token(session: Session) -> None:
    row, token = tokens.create_token(session, "ci")
    other_row, other = tokens.create_token(session, "other")
    session.commit()

    assert tokens.verify_token(session, token) is row
    assert tokens.verify_token(session, other) is other_row
    for wrong in ("", "blr_", token + "x", token[:-1], token.upper(), " " + token, row.token_hash):
        assert tokens.verify_token(session, wrong) is None


def test_verify_compares_in_constant_time(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    _row, token = tokens.create_token(session, "ci")
    session.commit()
    compared: list[tuple[Any, Any]] = []
    real_compare_digest = hmac.compare_digest

    def compare_digest(a: Any, b: Any) -> bool:
        compared.append((a, b))
        return real_compare_digest(a, b)

    monkeypatch.setattr(hmac, "compare_digest", compare_digest)

    assert tokens.verify_token(session, token) is not None
    assert compared == [(tokens.hash_token(token), tokens.hash_token(token))]


def test_list_tokens(session: Session) -> None:
    for name in ("b", "a", "c"):
        tokens.create_token(session, name)
    session.commit()
    assert [row.name for row in tokens.list_tokens(session)] == ["b", "a", "c"]


def test_revoke_by_name(session: Session) -> None:
    _row, token = tokens.create_token(session, "ci")
    tokens.create_token(session, "kept")
    session.commit()

    revoked = tokens.revoke_token(session, "ci")
    session.commit()

    assert revoked is not None and revoked.name == "ci"
    assert tokens.verify_token(session, token) is None
    assert [row.name for row in tokens.list_tokens(session)] == ["kept"]


def test_revoke_by_id(session: Session) -> None:
    row, token = tokens.create_token(session, "ci")
    session.commit()
    assert tokens.revoke_token(session, str(row.id)) is row
    assert tokens.verify_token(session, token) is None


def test_a_name_wins_over_an_id(session: Session) -> None:
    first, _ = tokens.create_token(session, "first")
    named, _ = tokens.create_token(session, str(first.id))
    session.commit()
    assert tokens.revoke_token(session, str(first.id)) is named
    assert [row.name for row in tokens.list_tokens(session)] == ["first"]


@pytest.mark.parametrize("name_or_id", ["nobody", "424242", "", "99999999999999999999"])
def test_revoke_unknown(session: Session, name_or_id: str) -> None:
    tokens.create_token(session, "ci")
    session.commit()
    assert tokens.revoke_token(session, name_or_id) is None
    assert session.scalars(select(ApiToken.name)).all() == ["ci"]
