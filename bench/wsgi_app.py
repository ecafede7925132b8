"""WSGI entry points for comparing servers (bench/servers.py): Blogroll itself, and the hello world."""

from __future__ import annotations

from bench.hello import hello_app
from blogroll import create_app
from blogroll.config import load_settings

app = create_app()
hello = hello_app(load_settings())
