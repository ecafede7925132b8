"""Settings come from the environment, `.env` and secret files; mistakes stop start-up with one line."""

from pathlib import Path

import pytest

from blogroll.config import SettingsError, load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No setting leaks in from the developer's shell or checkout."""
    import os

    for name in list(os.environ):
        if name.startswith("BLOGROLL_") or name.startswith("DATABASE_URL"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_embedded_sqlite_is_the_default(tmp_path: Path) -> None:
    settings = load_settings(secrets_dir=tmp_path / "none")
    assert settings.sqlalchemy_url.get_backend_name() == "sqlite"
    assert settings.sqlalchemy_url.database == str(tmp_path / "data" / "blogroll.db")
    assert settings.is_embedded


def test_settings_are_read_from_blogroll_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BLOGROLL_GREETING", "Hi, planet!")
    monkeypatch.setenv("BLOGROLL_PORT", "9001")
    settings = load_settings()
    assert settings.greeting == "Hi, planet!"
    assert settings.port == 9001


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("BLOGROLL_GREETING=from .env\n")
    assert load_settings().greeting == "from .env"


@pytest.mark.parametrize(
    ("given", "driver"),
    [
        ("postgresql://u@db/blogroll", "postgresql+psycopg"),
        ("postgres://u@db/blogroll", "postgresql+psycopg"),
        ("mysql://u@db/blogroll", "mysql+pymysql"),
        ("mariadb://u@db/blogroll", "mysql+pymysql"),
        ("postgresql+psycopg://u@db/blogroll", "postgresql+psycopg"),
    ],
)
def test_plain_database_urls_get_the_shipped_drivers(
    monkeypatch: pytest.MonkeyPatch, given: str, driver: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", given)
    assert load_settings().sqlalchemy_url.drivername == driver


def test_database_password_comes_from_a_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secret = tmp_path / "db_password"
    secret.write_text("s3cret-from-file\n")
    monkeypatch.setenv("DATABASE_URL", "postgresql://blogroll@db:5432/blogroll")
    monkeypatch.setenv("BLOGROLL_DATABASE_PASSWORD_FILE", str(secret))
    settings = load_settings()
    assert settings.sqlalchemy_url.password == "s3cret-from-file"
    assert "s3cret" not in repr(settings)
    assert "s3cret" not in settings.sqlalchemy_url.render_as_string(hide_password=True)


def test_database_url_comes_from_a_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secret = tmp_path / "database_url"
    secret.write_text("postgresql://blogroll:pw@db/blogroll")
    monkeypatch.setenv("DATABASE_URL", "sqlite:///ignored.db")
    monkeypatch.setenv("DATABASE_URL_FILE", str(secret))
    assert load_settings().sqlalchemy_url.host == "db"


def test_secrets_directory_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "blogroll_database_password").write_text("from-run-secrets")
    monkeypatch.setenv("DATABASE_URL", "postgresql://blogroll@db/blogroll")
    assert load_settings(secrets_dir=secrets).sqlalchemy_url.password == "from-run-secrets"


def test_unreadable_secret_file_is_one_clear_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BLOGROLL_DATABASE_PASSWORD_FILE", str(tmp_path / "missing"))
    with pytest.raises(SettingsError) as raised:
        load_settings()
    message = str(raised.value)
    assert message.startswith("BLOGROLL_DATABASE_PASSWORD_FILE=")
    assert "cannot be read (No such file or directory)" in message
    assert "\n" not in message


def test_production_requires_a_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BLOGROLL_ENV", "production")
    with pytest.raises(SettingsError, match="DATABASE_URL is required when BLOGROLL_ENV=production"):
        load_settings()


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("BLOGROLL_PORT", "eighty", "BLOGROLL_PORT: Input should be a valid integer"),
        ("BLOGROLL_PORT", "70000", "BLOGROLL_PORT: Input should be less than or equal to 65535"),
        ("BLOGROLL_ENV", "staging", "BLOGROLL_ENV: Input should be 'development' or 'production'"),
        (
            "BLOGROLL_PAUSE_AFTER_FAILURES",
            "-1",
            "BLOGROLL_PAUSE_AFTER_FAILURES: Input should be greater than",
        ),
        (
            "BLOGROLL_PAUSE_AFTER_DAYS",
            "a month",
            "BLOGROLL_PAUSE_AFTER_DAYS: Input should be a valid integer",
        ),
        (
            "BLOGROLL_ENTRY_RETENTION_DAYS",
            "-5",
            "BLOGROLL_ENTRY_RETENTION_DAYS: Input should be greater than",
        ),
        ("BLOGROLL_ENTRIES_PER_BLOG", "1.5", "BLOGROLL_ENTRIES_PER_BLOG: Input should be a valid integer"),
        ("BLOGROLL_MICRO_CACHE", "yes", "BLOGROLL_MICRO_CACHE: Input should be 'auto', 'on' or 'off'"),
        (
            "BLOGROLL_MICRO_CACHE_MAX_BYTES",
            "1000",
            "BLOGROLL_MICRO_CACHE_MAX_BYTES: Input should be greater than or equal to 65536",
        ),
        (
            "BLOGROLL_MICRO_CACHE_MAX_ENTRIES",
            "0",
            "BLOGROLL_MICRO_CACHE_MAX_ENTRIES: Input should be greater than or equal to 1",
        ),
        *[
            (
                "BLOGROLL_PARSE_PROCESSES",
                value,
                "BLOGROLL_PARSE_PROCESSES: expected `auto` or a number of processes from 0 "
                "(parse in-thread) to 64",
            )
            for value in ("many", "-1", "65", "1.5", "")
        ],
        (
            "BLOGROLL_PARSE_PROCESSES",
            "65",
            "BLOGROLL_PARSE_PROCESSES: expected `auto` or a number of processes from 0 "
            "(parse in-thread) to 64, not 65",
        ),
        (
            "BLOGROLL_RUN_WORKERS",
            "two",
            "BLOGROLL_RUN_WORKERS: expected `auto` or a number of processes (1 or more), not 'two'",
        ),
        ("BLOGROLL_PARSE_TIMEOUT", "0", "BLOGROLL_PARSE_TIMEOUT: Input should be greater than 0"),
    ],
)
def test_invalid_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert expected in str(raised.value)
    assert "\n" not in str(raised.value)


def test_a_malformed_database_url_is_refused_without_echoing_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "not a url with password hunter2")
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert str(raised.value) == (
        "invalid settings: DATABASE_URL: not a database URL; "
        "expected sqlite:///path, postgresql://user@host/db or mysql://user@host/db"
    )


def test_feed_health_defaults_and_zero_turns_them_off(monkeypatch: pytest.MonkeyPatch) -> None:
    defaults = load_settings()
    assert (defaults.pause_after_failures, defaults.pause_after_days) == (20, 30)
    assert (defaults.entry_retention_days, defaults.entries_per_blog) == (365, 500)
    for variable in ("PAUSE_AFTER_FAILURES", "PAUSE_AFTER_DAYS", "ENTRY_RETENTION_DAYS", "ENTRIES_PER_BLOG"):
        monkeypatch.setenv(f"BLOGROLL_{variable}", "0")
    off = load_settings()
    assert (
        off.pause_after_failures,
        off.pause_after_days,
        off.entry_retention_days,
        off.entries_per_blog,
    ) == (
        0,
        0,
        0,
        0,
    )


def test_the_submission_webhook_url_comes_from_a_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secret = tmp_path / "webhook"
    secret.write_text("https://hooks.example.org/T0KEN-hunter2\n")
    monkeypatch.setenv("BLOGROLL_SUBMISSION_WEBHOOK_URL_FILE", str(secret))
    settings = load_settings()
    assert settings.submission_webhook_url is not None
    assert settings.submission_webhook_url.get_secret_value() == "https://hooks.example.org/T0KEN-hunter2"
    assert "hunter2" not in repr(settings)
    assert load_settings(submission_webhook_url="").submission_webhook_url is None
    assert load_settings(submission_webhook_url=None).submission_webhook_timeout == 5.0


@pytest.mark.parametrize(
    "value", ["ftp://hooks.example.org/hunter2", "hooks.example.org/hunter2", "https://"]
)
def test_a_webhook_url_that_is_not_a_web_address_is_refused_without_echoing_it(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("BLOGROLL_SUBMISSION_WEBHOOK_URL", value)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert str(raised.value) == (
        "invalid settings: BLOGROLL_SUBMISSION_WEBHOOK_URL: not a web address; "
        "expected https://host/path (or http://)"
    )


def test_parse_processes_is_auto_or_a_count(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().parse_processes == 0
    for value, expected in (("AUTO", "auto"), ("0", 0), (" 3 ", 3), ("64", 64)):
        monkeypatch.setenv("BLOGROLL_PARSE_PROCESSES", value)
        assert load_settings().parse_processes == expected
