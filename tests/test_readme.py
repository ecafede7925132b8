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
