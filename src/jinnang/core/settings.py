"""Settings from environment (JINNANG_*) and an optional TOML file.

Precedence: explicit arguments > environment > config file (JINNANG_CONFIG or
./jinnang.toml) > defaults.
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

API_ROLES = ("rep", "manager", "crm", "admin")


@dataclass(frozen=True)
class ApiKey:
    """One configured API key: who it speaks for (a rep or manager id) and, for a manager, the team."""

    key: str
    role: str
    subject: str
    team: frozenset[str] = field(default_factory=frozenset)


def parse_api_keys(spec: str) -> dict[str, ApiKey]:
    """'k1:rep:rep-07,k2:manager:mgr-02:rep-07|rep-08' → {key: ApiKey}; a malformed or repeated key is a ValueError."""
    keys: dict[str, ApiKey] = {}
    for number, entry in enumerate(filter(None, (e.strip() for e in spec.split(","))), start=1):
        parts = entry.split(":")
        if len(parts) < 3 or parts[1] not in API_ROLES or not parts[0]:
            raise ValueError(f"entry {number} ({entry!r}) must be key:role:subject[:team] "
                             f"with role one of {', '.join(API_ROLES)}")
        if parts[0] in keys:  # silently keeping the last role would hand out whatever came last
            raise ValueError(f"entry {number} repeats the key of an earlier entry")
        team = frozenset(filter(None, parts[3].split("|"))) if len(parts) > 3 else frozenset()
        keys[parts[0]] = ApiKey(key=parts[0], role=parts[1], subject=parts[2], team=team)
    return keys


def _config_file() -> Path:
    return Path(os.environ.get("JINNANG_CONFIG", "jinnang.toml"))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JINNANG_", extra="forbid")

    data_dir: Path = Path(".jinnang")
    # None: SQLite in the data dir (the embedded default); "postgresql+psycopg://user:pw@host/db" for a server
    database_url: str | None = None
    # "in-process": the web process runs uploads' ingest jobs itself (tests, scripts); "workers": it only registers
    # them and `jinnang worker` processes run them (`jinnang serve` starts its own workers; docs/production.md)
    job_runner: Literal["in-process", "workers"] = "in-process"
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=1, le=65535)
    ocr_engine: Literal["rapidocr", "tesseract"] = "rapidocr"
    # "use-multilingual" = the packaged Universal Sentence Encoder; anything else must be
    # a local sentence-transformers model directory (never a hub name: nothing downloads).
    embedding_model: str = "use-multilingual"
    # where `jinnang learn` keeps the shipped training notes' features (the same for every data dir, so one copy a
    # machine; scripts/setup.sh prepares it); None: $XDG_CACHE_HOME/jinnang/learning (~/.cache/jinnang/learning)
    learning_cache: Path | None = None
    chroma_host: str | None = None  # set to use a Chroma server instead of the embedded store
    chroma_port: int = Field(default=8001, ge=1, le=65535)
    # the database on the Chroma server: two deployments (or test runs) sharing a server each need their own,
    # since the playbook's rebuild removes every vector of its collections that its store does not hold
    chroma_database: str = Field(default="default_database", pattern=r"^[A-Za-z0-9_-]{3,63}$")
    max_upload_bytes: int = Field(default=20 * 1024 * 1024, gt=0)
    max_image_pixels: int = Field(default=60_000_000, gt=0)
    # API keys: "key:role:subject[:team]" entries separated by commas. subject is the rep or
    # manager id the key belongs to; team lists rep ids a manager may see ("rep-01|rep-02").
    api_keys: str = Field(default="")
    # delivery channels of alerts (企业微信/钉钉 robots, SMTP) and the schedule of the nightly jobs;
    # None: the packaged file, which delivers only in-app notifications
    alerts_file: Path | None = None
    # sign-in through an OpenID Connect provider (企业微信, 钉钉 and 飞书 speak OAuth2/OIDC); all three set,
    # the sign-in page offers it. The claim names the jinnang user (users are made by an admin first).
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    oidc_username_claim: str = "preferred_username"
    oidc_label: str = "企业微信"
    # "json": one JSON object a log line (core/logs.py); read when `jinnang serve` starts
    log_format: Literal["text", "json"] = "text"
    # threads a web process answers blocking requests with: fewer threads fight less for the GIL (under 50
    # clients p99 search 1.07–1.13 s with the default 40, 0.60–0.84 s with 8), but 8 slow uploads at once hold the rest
    web_threads: int = Field(default=8, ge=1, le=200)
    # /metrics answers only loopback clients unless this is set (a Prometheus on another host)
    metrics_public: bool = False
    # the address pages link to in messages sent outside the app (an alert's "open the account")
    public_url: str = "http://127.0.0.1:8000"

    @field_validator("api_keys")
    @classmethod
    def _keys_parse(cls, value: str) -> str:
        parse_api_keys(value)
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=_config_file()))

    @field_validator("database_url")
    @classmethod
    def _url_known(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("sqlite:///", "postgresql+psycopg://", "postgresql://")):
            raise ValueError("must start with sqlite:///, postgresql+psycopg:// or postgresql://")
        if value is not None and value.startswith("postgresql://"):  # psycopg 3 is the driver installed
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value

    @property
    def db_url(self) -> str:
        """The SQLAlchemy URL of the database: `database_url`, or the data dir's SQLite file."""
        return self.database_url or f"sqlite:///{self.sqlite_path}"

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "jinnang.sqlite3"

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"


class SettingsError(ValueError):
    """A setting from the environment or the config file is invalid; the message names it."""


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else "settings"
        raise SettingsError(f"setting {name} (JINNANG_{name.upper()} or {_config_file()}): {first['msg']}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"config file {_config_file()} is not valid TOML: {exc}") from None
