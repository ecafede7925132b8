"""Creates each named secret file that does not exist yet, with a random value; never prints a value.

Run by the one-shot `secrets` service of compose.yaml as `init-secrets.py NAME...`, as the app user
(UID 10001), on the `secrets` volume mounted at /run/secrets. Existing files are left alone: the
database was initialised with them, and an operator may have supplied their own.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

SECRETS_DIR = Path(os.environ.get("SECRETS_DIR", "/run/secrets"))


def ensure_secret(name: str) -> bool:
    """Writes `name` atomically if it is missing (mode 0440: the owner and its group may read it)."""
    path = SECRETS_DIR / name
    if path.exists():
        return False
    partial = path.with_name(f".{name}.partial")
    partial.unlink(missing_ok=True)
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o440)
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        # URL-safe, so it can also sit in a connection URL without quoting.
        file.write(secrets.token_urlsafe(32))
        file.flush()
        os.fsync(file.fileno())
    os.replace(partial, path)
    return True


def main(names: list[str]) -> int:
    if not names:
        print("usage: init-secrets.py NAME...", file=sys.stderr)
        return 2
    for name in names:
        if "/" in name or name.startswith("."):
            print(f"refusing secret name {name!r}", file=sys.stderr)
            return 2
        try:
            created = ensure_secret(name)
        except OSError as error:
            print(f"cannot write {SECRETS_DIR / name}: {error.strerror}", file=sys.stderr)
            return 1
        print(f"secret {name}: {'generated' if created else 'kept'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
