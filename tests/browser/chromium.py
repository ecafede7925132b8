"""How the browser tests run Chromium: Debian's package, headless, and the two screen sizes they check."""

from __future__ import annotations

import shutil

CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# A small phone (iPhone SE, Android's common 360-375 px): the narrowest screen the pages are laid out for.
PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
TIMEOUT_MS = 15_000
