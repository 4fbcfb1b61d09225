"""The app factory: the one place the Flask app is assembled."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask

from lab import config, db, web


def create_app(test_config: dict[str, Any] | None = None, *, with_web: bool = True) -> Flask:
    """Create the app: the LAB_* settings, then the test config.

    ``with_web=False`` leaves out the pages and the API: the command line makes its app so,
    to start quickly, and `lab serve` adds them (`lab.web.init_app`) before serving.
    """
    settings = config.load()
    instance_path = str(settings.instance_path) if settings.instance_path else None
    app = Flask("lab", instance_path=instance_path, instance_relative_config=True)
    app.config.update(config.app_config(settings))
    if test_config:
        app.config.update(test_config)
    # The folder holds the SQLite file and the secret key: its owner's only.
    os.makedirs(app.instance_path, mode=0o700, exist_ok=True)
    if not app.config.get("DATABASE_URL"):
        app.config["DATABASE_URL"] = config.default_database_url(app.instance_path)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = config.secret_key(app.instance_path)
        app.extensions["lab.secret_key_file"] = os.path.join(app.instance_path, "secret_key")
    db.init_app(app)
    if with_web:
        web.init_app(app)
    return app
