"""Configuration from `LAB_*` environment variables, read when the app is made."""

from __future__ import annotations

import os
from pathlib import Path

# Every setting the app understands, with its default. Nothing is read at import time:
# the app factory calls `from_environment()`, so tests and the CLI can set the
# environment first.
DEFAULTS: dict[str, object] = {
    "DATABASE_URL": None,  # None: a SQLite file in the instance folder
    "SECRET_KEY": None,  # None: a random key kept in the instance folder
    "LOGIN_ATTEMPTS": 5,  # failed logins per account and address before a pause
    "LOGIN_PAUSE_SECONDS": 300,
    "FRESH_LOGIN_MINUTES": 15,  # sign-off needs a login at most this old
    "ACTOR": None,  # who CLI changes are audited as; None: the operating-system user
    "CURRENCY": "EUR",  # the lab's one currency: totals are summed in it, never converted
}


def from_environment(environ: dict[str, str] | None = None) -> dict[str, object]:
    """Return the settings given as LAB_* variables, converted to the defaults' types."""
    environ = os.environ if environ is None else environ
    settings = {}
    for name, default in DEFAULTS.items():
        raw = environ.get(f"LAB_{name}")
        if raw is None or raw == "":
            continue
        if isinstance(default, int) and not isinstance(default, bool):
            try:
                settings[name] = int(raw)
            except ValueError:
                raise ValueError(f"LAB_{name} must be a whole number, not {raw!r}") from None
        else:
            settings[name] = raw
    return settings


def default_database_url(instance_path: str | Path) -> str:
    """Return the URL of the embedded SQLite file in the instance folder."""
    return f"sqlite:///{Path(instance_path) / 'lab.sqlite'}"


def secret_key(instance_path: str | Path) -> str:
    """Return a secret key kept in the instance folder, creating it on first use."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(os.urandom(32).hex())
    return path.read_text().strip()
