"""The browser tests' Spanish words are the catalog's: a changed translation fails here, by name,
before a browser test fails on a label it cannot find."""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po

from .words import ENGLISH, SPANISH

CATALOG = Path(__file__).parents[2] / "src/blogroll/translations/es/LC_MESSAGES/messages.po"


def test_each_spanish_word_is_the_catalogs_translation_of_its_message() -> None:
    with CATALOG.open("rb") as file:
        catalog = read_po(file)
    differ = {
        message: (spanish, None if catalog.get(message) is None else catalog.get(message).string)
        for message, spanish in SPANISH.items()
        if catalog.get(message) is None or catalog.get(message).string != spanish
    }
    assert differ == {}


def test_english_covers_the_same_messages_and_a_missing_one_is_an_error() -> None:
    assert ENGLISH.table.keys() == SPANISH.keys()
    assert ENGLISH("Added %(name)s.", name="Notes") == "Added Notes."
    try:
        ENGLISH("Not a message of the table")
    except KeyError:
        pass
    else:
        raise AssertionError("a message outside the table must be an error")
