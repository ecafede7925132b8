"""The README is the product's front door: its settings table and commands must stay true."""

import re
from pathlib import Path

from blogroll.config import Settings, env_name

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_every_setting_is_in_the_readme_table() -> None:
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", README, flags=re.MULTILINE))
    expected = {env_name(name) for name in Settings.model_fields}
    assert expected - documented == set(), "add these settings to the README table"
    assert documented - expected == set(), "the README lists settings that do not exist"


def test_ci_runs_the_readme_test_command() -> None:
    assert "scripts/test               # runs the test suite" in README
    assert re.search(r"^scripts/test$", (ROOT / ".ci" / "run").read_text(), flags=re.MULTILINE)


README_ES = (ROOT / "README.es.md").read_text()


def _commands(markdown: str) -> list[str]:
    """The commands of every ```sh block, without their comments (those are in the README's language)."""
    blocks = re.findall(r"^```sh\n(.*?)^```", markdown, flags=re.MULTILINE | re.DOTALL)
    return [line.split(" # ")[0].rstrip() for block in blocks for line in block.splitlines() if line.strip()]


def test_the_spanish_readme_gives_the_same_commands_as_the_english_quick_start() -> None:
    spanish = _commands(README_ES)
    english = _commands(README)
    assert spanish, "README.es.md has no commands"
    assert spanish == english[: len(spanish)], "README.es.md's commands differ from README.md's"


def test_each_readme_links_to_the_other_at_the_top() -> None:
    assert "[Español](README.es.md)" in README.splitlines()[2]
    assert "[English](README.md)" in README_ES.splitlines()[2]
