"""What a web process imports: the app and its read path leave out the libraries only the feed
worker, discovery and the submission webhook use, so each web process stays lighter (BENCHMARKS.md,
"Session 11: memory")."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from blogroll.storage import db
from blogroll.storage.migrate import upgrade
from tests.helpers.settings import make_settings

# Fetching, parsing and sanitizing feeds, and Alembic (the readiness probe's schema check):
# together about 9 MB of each web process's RSS.
WORKER_LIBRARIES = ("alembic", "charset_normalizer", "feedparser", "httpx", "nh3")


def test_the_web_app_and_its_read_path_import_none_of_the_worker_libraries(tmp_path: Path) -> None:
    """Checked by name in a fresh interpreter, since a memory figure would flake."""
    url = f"sqlite:///{tmp_path / 'blogroll.db'}"
    engine = db.make_engine(make_settings(url))
    upgrade(engine)
    engine.dispose()
    script = (
        "import sys\n"
        "from blogroll import create_app\n"
        "client = create_app().test_client()\n"
        "for path in ('/', '/api/v1/blogs', '/api/v1/entries', '/feed.atom', '/healthz'):\n"
        "    assert client.get(path).status_code == 200, path\n"
        f"print(sorted(name for name in {WORKER_LIBRARIES!r} if name in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        # Only the database from the environment; no .env in this folder.
        env={"PATH": os.environ.get("PATH", ""), "DATABASE_URL": url, "BLOGROLL_LOG_LEVEL": "WARNING"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "[]"
