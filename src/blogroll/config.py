"""Blogroll's settings: one typed object, read from the environment, `.env` and secret files."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

SECRETS_DIR = Path("/run/secrets")

# Fields whose value may come from a file named by `<ENV NAME>_FILE` (Docker/Compose secrets).
SECRET_FIELDS = ("database_url", "database_password", "submission_webhook_url")


# Plain scheme names people write, mapped to the drivers Blogroll ships with.
DEFAULT_DRIVERS = {
    "postgres": "postgresql+psycopg",
    "postgresql": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mariadb": "mysql+pymysql",
    "mariadb+pymysql": "mysql+pymysql",
}


# `BLOGROLL_RUN_WORKERS=auto` runs one process per CPU up to this many: a third process brings no
# speed on two cores and costs another 80-140 MB (BENCHMARKS.md, session 10).
RUN_WORKERS_AUTO_MAX = 2


def auto_or_a_count(
    value: object, *, fewest: int, most: int | None = None, fewest_means: str = ""
) -> Literal["auto"] | int:
    """`auto` or a whole number of processes from `fewest` to `most` (None: no limit), read and refused
    alike for every such setting; the message echoes the value, since a count is no secret."""
    if isinstance(value, str):
        value = value.strip().lower()
        if value == "auto":
            return "auto"
        if value.isdecimal():
            value = int(value)
    if (
        isinstance(value, int)
        and not isinstance(value, bool)
        and value >= fewest
        and (most is None or value <= most)
    ):
        return value
    low = f"{fewest} ({fewest_means})" if fewest_means else str(fewest)
    bounds = f"({low} or more)" if most is None else f"from {low} to {most}"
    raise ValueError(f"expected `auto` or a number of processes {bounds}, not {value!r}")


def parse_run_workers(value: object) -> Literal["auto"] | int:
    """A `BLOGROLL_RUN_WORKERS` or `--workers` value: `auto` or 1 server process or more."""
    return auto_or_a_count(value, fewest=1)


def run_worker_count(value: Literal["auto"] | int) -> int:
    """The number of server processes `blogroll run` starts for a `BLOGROLL_RUN_WORKERS` value."""
    if value != "auto":
        return value
    try:
        cpus = len(os.sched_getaffinity(0))  # the CPUs this process may use (a container's cpuset)
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, RUN_WORKERS_AUTO_MAX))


class SettingsError(Exception):
    """A setting is missing or wrong; the message is one line telling the operator how to fix it."""


class SecretFileSource(PydanticBaseSettingsSource):
    """Reads `X_FILE=/path` for each secret field `X`, so secrets never have to sit in the environment."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for field_name in SECRET_FIELDS:
            variable = env_name(field_name)
            path = os.environ.get(f"{variable}_FILE")
            if not path:
                continue
            alias = self.settings_cls.model_fields[field_name].validation_alias
            try:
                values[str(alias or field_name)] = Path(path).read_text(encoding="utf-8").strip()
            except OSError as error:
                raise SettingsError(
                    f"{variable}_FILE={path} cannot be read ({error.strerror}): "
                    f"point it at a readable file or set {variable} instead"
                ) from error
        return values


def env_name(field_name: str) -> str:
    """The environment variable that sets a field."""
    if field_name == "database_url":
        return "DATABASE_URL"
    return f"BLOGROLL_{field_name.upper()}"


class Settings(BaseSettings):
    """Every knob of Blogroll. Names are `BLOGROLL_<FIELD>` except the standard `DATABASE_URL`."""

    model_config = SettingsConfigDict(
        env_prefix="BLOGROLL_",
        env_file=".env",
        extra="ignore",
    )

    env: Literal["development", "production"] = Field(
        default="development",
        description="`production` requires an explicit DATABASE_URL and hides debugging aids.",
    )
    data_dir: Path = Field(
        default=Path("data"),
        description="Folder for the embedded SQLite database; created on first run.",
    )
    database_url: SecretStr | None = Field(
        default=None,
        validation_alias="DATABASE_URL",
        description="SQLAlchemy URL: sqlite:///..., postgresql+psycopg://..., mysql+pymysql://... "
        "Defaults to a SQLite file in the data folder.",
    )
    database_password: SecretStr | None = Field(
        default=None,
        description="Database password, if not in DATABASE_URL (use BLOGROLL_DATABASE_PASSWORD_FILE).",
    )
    database_connect_timeout: float = Field(
        default=3.0, gt=0, description="Seconds to wait for the database to accept a connection."
    )
    database_pool_size: int = Field(default=5, ge=1, description="Connections kept per process.")
    greeting: str = Field(
        default="Hello from Blogroll!", description="Shown on the home page and by GET /api/v1/."
    )
    site_title: str = Field(default="Blogroll", description="Title of the pages and Atom feed.")
    page_size: int = Field(default=30, ge=1, le=200, description="Entries per page on HTML pages.")
    max_body_bytes: int = Field(
        default=2 * 1024 * 1024, ge=1024, description="Largest request body accepted (413 above)."
    )
    host: str = Field(default="127.0.0.1", description="Address `blogroll run`/`serve` bind to.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `blogroll run`/`serve` use.")
    web_workers: int = Field(default=2, ge=1, description="Server processes for `blogroll serve`.")
    run_workers: Literal["auto"] | int = Field(
        default="auto",
        description="Server processes for `blogroll run` (the feed worker runs in one of them); "
        f"`auto`: one per CPU, at most {RUN_WORKERS_AUTO_MAX} (each adds about 100 MB).",
    )
    web_threads: int = Field(default=4, ge=1, description="Threads per server process.")
    micro_cache: Literal["auto", "on", "off"] = Field(
        default="auto",
        description="Anonymous reads answered from memory for up to 1 s (src/blogroll/micro_cache.py); "
        "`auto`: on for `blogroll run`, off for `blogroll serve` (its proxy caches them).",
    )
    micro_cache_max_bytes: int = Field(
        default=32 * 1024 * 1024,
        ge=64 * 1024,
        description="Memory the micro-cache's copies may take per server process; an answer over a "
        "sixteenth of it is not kept.",
    )
    micro_cache_max_entries: int = Field(
        default=2000, ge=1, description="Copies the micro-cache keeps at most per server process."
    )
    graceful_timeout: int = Field(
        default=20, ge=1, description="Seconds in-flight requests get to finish on SIGTERM."
    )
    trusted_proxies: int = Field(
        default=0, ge=0, description="How many proxies in front set X-Forwarded-* (1 behind nginx)."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Logging level of every process."
    )
    access_log: bool = Field(
        default=True, description="Log each request (off behind a proxy that logs them already)."
    )
    metrics: bool = Field(
        default=True,
        description="Serve Prometheus metrics at `/metrics` (the proxy never passes it on; scrape the app).",
    )
    worker_metrics_port: int = Field(
        default=0,
        ge=0,
        le=65535,
        description="Port `blogroll worker` serves its own `/metrics` on, at BLOGROLL_HOST; 0: none.",
    )
    log_format: Literal["text", "json"] = Field(
        default="text",
        description="`text` for people; `json`: one JSON object per line, for log collectors.",
    )

    # Sign-in to the admin pages
    session_idle_timeout: int = Field(
        default=60 * 60, ge=60, description="Seconds a signed-in session lasts without being used."
    )
    session_max_age: int = Field(
        default=12 * 60 * 60, ge=60, description="Seconds a signed-in session lasts at most, used or not."
    )

    # Feed worker
    fetch_interval: int = Field(
        default=30 * 60, ge=60, description="Seconds between two fetches of the same blog's feed."
    )
    fetch_concurrency: int = Field(default=16, ge=1, le=200, description="Feeds one worker fetches at once.")
    fetch_per_host: int = Field(default=2, ge=1, description="Feeds fetched at once from the same host.")
    fetch_connect_timeout: float = Field(default=10.0, gt=0, description="Seconds to wait for a connection.")
    fetch_read_timeout: float = Field(
        default=20.0, gt=0, description="Seconds to wait for each read from a feed server."
    )
    fetch_total_timeout: float = Field(
        default=60.0, gt=0, description="Seconds one fetch may take in all, redirects included."
    )
    max_feed_bytes: int = Field(
        default=5 * 1024 * 1024, ge=1024, description="Largest feed read, after decompression."
    )
    fetch_max_backoff: int = Field(
        default=24 * 60 * 60, ge=60, description="Longest wait, in seconds, before retrying a failing feed."
    )
    fetch_poll_interval: float = Field(
        default=15.0, gt=0, description="Seconds an idle worker waits before looking for due blogs again."
    )
    allow_private_feeds: bool = Field(
        default=False,
        description="Fetch feeds on loopback, private and link-local addresses (tests, private networks).",
    )
    fetch_icons: bool = Field(
        default=True,
        description="Fetch each blog's icon from its site (weekly) to show beside its name; false: "
        "the worker asks blogs' sites for nothing but their feeds.",
    )
    worker_name: str = Field(
        default_factory=socket.gethostname,
        min_length=1,
        max_length=255,
        description="The name a worker's claims carry; restarted under the same name, it takes back "
        "what it held at once. Default: the host name (the container's, under Docker).",
    )
    fetch_user_agent: str | None = Field(
        default=None, description="User-Agent of feed requests; default `Blogroll/<version> (feed reader)`."
    )
    worker_heartbeat_file: Path | None = Field(
        default=None,
        description="File `blogroll worker` touches on every loop, for a container health check.",
    )
    embedded_worker: bool = Field(
        default=True, description="`blogroll run` also fetches feeds, in one of its server processes."
    )
    parse_processes: int | Literal["auto"] = Field(
        default=0,
        description="Processes that parse and sanitize fetched feeds beside a worker's fetch threads "
        "(worker.parse_pool); 0: the fetch threads parse (measured faster on a busy 2-core machine, "
        "see BENCHMARKS.md); `auto`: one per core but one, at least one.",
    )
    parse_timeout: float = Field(
        default=30.0,
        gt=0,
        description="Seconds a parse process may spend on one feed before it is stopped and the feed "
        "recorded as failed.",
    )

    # Feeds that look after themselves: dead ones paused, old entries pruned
    pause_after_failures: int = Field(
        default=20, ge=0, description="Failed fetches in a row after which a blog is paused; 0: never."
    )
    pause_after_days: int = Field(
        default=30,
        ge=0,
        description="Days of failed fetches without a success after which a blog is paused; 0: never.",
    )
    entry_retention_days: int = Field(
        default=365,
        ge=0,
        description="Entries published longer ago than this many days are deleted (and not stored); 0: kept.",
    )
    entries_per_blog: int = Field(
        default=500, ge=0, description="Newest entries kept per blog; older ones are deleted; 0: all kept."
    )

    # Blogs suggested by readers (/submit, POST /api/v1/submissions), waiting for a keeper
    submissions_per_hour: int = Field(
        default=5, ge=0, description="Submissions one client address may make per hour; 0: none accepted."
    )
    submission_queue_limit: int = Field(
        default=200,
        ge=0,
        description="Pending submissions at most; further ones wait until a keeper decides.",
    )
    submission_webhook_url: SecretStr | None = Field(
        default=None,
        description="An http(s) URL that gets a JSON `submission.created` event POSTed for each new "
        "submission; it may hold a token (use BLOGROLL_SUBMISSION_WEBHOOK_URL_FILE). Default: none.",
    )
    submission_webhook_timeout: float = Field(
        default=5.0, gt=0, le=60, description="Seconds the webhook's connect and each read may take."
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # A `_FILE` secret beats the plain variable, which beats `.env`, which beats /run/secrets.
        return (
            init_settings,
            SecretFileSource(settings_cls),
            env_settings,
            dotenv_settings,
            file_secret_settings,
        )

    @field_validator("run_workers", mode="before")
    @classmethod
    def _run_workers_is_auto_or_a_count(cls, value: object) -> object:
        return parse_run_workers(value)

    @field_validator("database_url")
    @classmethod
    def _database_url_parses(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            try:
                make_url(value.get_secret_value())
            except ArgumentError:
                # The value is not echoed: it may hold a password.
                raise ValueError(
                    "not a database URL; expected sqlite:///path, postgresql://user@host/db or mysql://user@host/db"
                ) from None
        return value

    @field_validator("parse_processes", mode="before")
    @classmethod
    def _parse_processes_is_auto_or_a_count(cls, value: object) -> object:
        """One readable message instead of pydantic's two for the two halves of the union."""
        return auto_or_a_count(value, fewest=0, most=64, fewest_means="parse in-thread")

    @field_validator("submission_webhook_url")
    @classmethod
    def _webhook_url_is_http(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        parts = urlsplit(value.get_secret_value().strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            # The value is not echoed: it may hold a token.
            raise ValueError("not a web address; expected https://host/path (or http://)")
        return SecretStr(value.get_secret_value().strip())

    @model_validator(mode="after")
    def _production_needs_a_database(self) -> Settings:
        if self.env == "production" and not self.database_url:
            raise ValueError(
                "DATABASE_URL is required when BLOGROLL_ENV=production "
                "(set it, or DATABASE_URL_FILE, to your database server's URL)"
            )
        return self

    @property
    def sqlalchemy_url(self) -> URL:
        """The database URL with the secret-file password filled in."""
        if self.database_url:
            url = make_url(self.database_url.get_secret_value())
            driver = DEFAULT_DRIVERS.get(url.drivername)
            if driver:
                url = url.set(drivername=driver)
        else:
            url = make_url(f"sqlite:///{(self.data_dir / 'blogroll.db').resolve()}")
        if self.database_password is not None:
            url = url.set(password=self.database_password.get_secret_value())
        return url

    @property
    def is_embedded(self) -> bool:
        return self.sqlalchemy_url.get_backend_name() == "sqlite"


def load_settings(*, secrets_dir: Path = SECRETS_DIR, **overrides: Any) -> Settings:
    """Builds settings, turning any problem into one readable `SettingsError` line.

    Files in `secrets_dir` (Docker's /run/secrets) named like a variable, e.g.
    `blogroll_database_password`, are read too.
    """
    try:
        return Settings(_secrets_dir=secrets_dir if secrets_dir.is_dir() else None, **overrides)
    except ValidationError as error:
        problems = []
        for problem in error.errors():
            name = _setting_name(problem["loc"])
            message = problem["msg"].removeprefix("Value error, ")
            problems.append(f"{name}: {message}" if name else message)
        raise SettingsError("invalid settings: " + "; ".join(problems)) from None


def _setting_name(location: tuple[int | str, ...]) -> str:
    if not location:
        return ""
    field = str(location[0])
    if field == "DATABASE_URL":
        return field
    return env_name(field) if field in Settings.model_fields else field


def current_settings() -> Settings:
    """The settings of the app handling the current request."""
    from flask import current_app

    settings: Settings = current_app.config["BLOGROLL_SETTINGS"]
    return settings
