"""Settings: every LAB_* environment variable the lab reads, with its type and default.

`load()` reads them when the app (or the notebook connection, or a migration) is made,
never at import time, so tests and the command line can set the environment first.
Each field's description is the "must be" phrase of the error a bad value gets.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MEGABYTE = 1024 * 1024


class ConfigError(ValueError):
    """A LAB_* variable holds a value the lab cannot use; str() names it and says why."""


BACKLOG_SCORES = ("impact", "fit", "effort", "confidence")
_WEIGHT = rf"(?:{'|'.join(BACKLOG_SCORES)})=\d{{1,3}}(?:\.\d{{1,3}})?"
WEIGHTS_PATTERN = rf"^{_WEIGHT}(?:,{_WEIGHT})*$"


def parse_weights(text: str) -> dict[str, float]:
    """Read backlog weights ("impact=3,fit=2,..."); a score not named weighs 0."""
    weights = dict.fromkeys(BACKLOG_SCORES, 0.0)
    named = set()
    for part in text.split(","):
        name, _, value = part.strip().partition("=")
        if name not in weights or name in named:
            raise ValueError(f"'{name}' is not a score, or is named twice")
        named.add(name)
        weights[name] = float(value)
    if not any(weights.values()):
        raise ValueError("at least one weight must be above 0")
    return weights


def _whole(default: int, low: int, high: int, unit: str) -> Any:
    """Declare a whole-number setting with its bounds, described for the error message."""
    return Field(default, ge=low, le=high,
                 description=f"a whole number of {unit} from {low} to {high}")


class Settings(BaseSettings):
    """The lab's settings, read from LAB_* variables (an empty variable counts as unset)."""

    model_config = SettingsConfigDict(env_prefix="LAB_", env_ignore_empty=True,
                                      extra="ignore", frozen=True)

    database_url: str | None = Field(
        None, description="a database URL such as sqlite:///lab.sqlite or postgresql://…")
    instance_path: Path | None = Field(None, description="a folder path")
    secret_key: SecretStr | None = Field(None, min_length=16,
                                         description="a random text of at least 16 characters")
    actor: str | None = Field(None, description="a name for the audit log")
    password: SecretStr | None = Field(None, description="a password")  # `lab user add`
    login_attempts: int = _whole(5, 1, 1000, "failed sign-ins")
    login_address_attempts: int = _whole(20, 1, 100_000, "failed sign-ins")
    login_pause_seconds: int = _whole(300, 1, 86_400, "seconds")
    fresh_login_minutes: int = _whole(15, 1, 1440, "minutes")
    session_idle_minutes: int = _whole(60, 1, 10_080, "minutes")
    session_hours: int = _whole(12, 1, 720, "hours")
    max_upload_mb: int = _whole(64, 1, 1024, "megabytes")
    lock_wait_seconds: int = _whole(5, 1, 600, "seconds")
    trusted_proxies: int = _whole(0, 0, 10, "proxies")
    https: bool = Field(False, description="true or false")
    # Processes a large refresh computes its batches in (lab.portfolio.stored): 0 is one
    # per core, 1 computes in place.
    refresh_workers: int = _whole(0, 0, 256, "processes")
    # Four eyes before a start: a manager outside the pilot approves its plan.
    approval: bool = Field(True, description="true or false")
    # How the backlog weighs its four scores (lab.pilots.backlog reads them).
    backlog_weights: str = Field(
        "impact=3,fit=2,effort=2,confidence=1", pattern=WEIGHTS_PATTERN,
        description="weights such as impact=3,fit=2,effort=2,confidence=1 (each score "
                    "named once, at least one weight above 0)")

    @field_validator("backlog_weights")
    @classmethod
    def _some_weight(cls, value: str) -> str:
        parse_weights(value)  # refuses all-zero weights and a score named twice
        return value
    currency: str = Field("EUR", pattern=r"^[A-Z]{3}$",
                          description="a three-letter ISO currency code such as EUR")
    # Notices (`lab notify`, `lab digest`): e-mail by SMTP, and a signed webhook.
    base_url: str = Field("http://localhost:5000", pattern=r"^https?://\S+$",
                          description="the app's address as people open it, such as "
                                      "https://lab.bank.example")
    smtp_host: str | None = Field(None, description="an SMTP server's host name")
    smtp_port: int = Field(587, ge=1, le=65535, description="a TCP port number from 1 to 65535")
    smtp_user: str | None = Field(None, description="an SMTP user name")
    smtp_password: SecretStr | None = Field(None, description="the SMTP user's password")
    smtp_from: str = Field("lab@localhost", pattern=r"^[^@\s]+@[^@\s]+$",
                           description="an e-mail address to send from")
    smtp_starttls: bool = Field(True, description="true or false")
    webhook_url: str | None = Field(None, pattern=r"^https?://\S+$",
                                    description="an http(s) URL that receives JSON POSTs")
    webhook_secret: SecretStr | None = Field(None, min_length=16,
                                             description="a random text of at least 16 "
                                                         "characters (the HMAC key)")
    webhook_attempts: int = _whole(3, 1, 20, "attempts")
    webhook_backoff_ms: int = _whole(1000, 0, 600_000, "milliseconds")


SECRETS = ("secret_key", "password", "smtp_password", "webhook_secret")
# The settings the app keeps in app.config (the password and the folder stay out of it).
APP_SETTINGS = ("database_url", "secret_key", "actor", "login_attempts",
                "login_address_attempts", "login_pause_seconds", "fresh_login_minutes",
                "session_idle_minutes", "session_hours", "max_upload_mb", "lock_wait_seconds",
                "trusted_proxies", "https", "currency", "approval",
                "backlog_weights")


def load() -> Settings:
    """Read the settings from the environment; refuse a bad value, naming the variable."""
    try:
        return Settings()
    except ValidationError as error:
        raise ConfigError(_explain(error)) from None


def _explain(error: ValidationError) -> str:
    """Say, for each bad variable, what it must be and what it was (never a secret)."""
    lines = []
    for problem in error.errors():
        name = str(problem["loc"][0])
        field = Settings.model_fields[name]
        value = str(problem.get("input"))
        shown = f"{len(value)} characters" if name in SECRETS else repr(value)
        lines.append(f"LAB_{name.upper()} must be {field.description}, not {shown}")
    return "; ".join(lines)


def app_config(settings: Settings) -> dict[str, Any]:
    """Return the settings the app keeps, as its upper-case config keys."""
    values = {}
    for name in APP_SETTINGS:
        value = getattr(settings, name)
        values[name.upper()] = value.get_secret_value() if isinstance(value, SecretStr) \
            else value
    return values


def default_instance_path() -> str:
    """Return the instance folder Flask would use for the lab, creating nothing."""
    from flask import Flask  # only needed when no folder is configured

    return Flask("lab").instance_path


def default_database_url(instance_path: str | Path) -> str:
    """Return the URL of the embedded SQLite file in the instance folder."""
    return f"sqlite:///{Path(instance_path) / 'lab.sqlite'}"


def database_url(settings: Settings) -> str:
    """Return the configured database URL, else the SQLite file in the instance folder."""
    if settings.database_url:
        return settings.database_url
    return default_database_url(settings.instance_path or default_instance_path())


def secret_key(instance_path: str | Path) -> str:
    """Return a secret key kept in the instance folder, creating it on first use."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(os.urandom(32).hex())
    return path.read_text().strip()
