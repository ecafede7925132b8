"""Settings for tests: the values a test gives and the defaults, never the machine's own configuration."""

from __future__ import annotations

from typing import Any

from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from blogroll.config import Settings


class _GivenSettings(Settings):
    """`Settings` read from its keyword arguments alone: a developer's `BLOGROLL_*` or `DATABASE_URL`
    variables, `.env` and secret files stay out of every test."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def make_settings(database_url: str | None = None, **overrides: Any) -> Settings:
    """Test settings: `database_url` (else the SQLite file in `data_dir`), quiet logs, and `overrides`."""
    values: dict[str, Any] = {"log_level": "WARNING"}
    if database_url is not None:
        values["database_url"] = database_url
    values.update(overrides)
    return _GivenSettings(**values)
