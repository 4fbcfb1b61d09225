"""Settings: one typed home for every LAB_* variable, with a clear error for a bad value."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from lab import config
from lab.app import create_app


@pytest.fixture
def clean_environment(monkeypatch, tmp_path):
    """Remove every LAB_* variable but the instance folder."""
    for name in list(os.environ):
        if name.startswith("LAB_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("LAB_INSTANCE_PATH", str(tmp_path / "instance"))


def test_the_defaults_are_safe_for_one_machine(clean_environment):
    settings = config.load()
    assert settings.max_upload_mb == 64
    assert (settings.trusted_proxies, settings.https) == (0, False)
    assert (settings.session_idle_minutes, settings.session_hours) == (60, 12)
    assert settings.secret_key is None and settings.database_url is None
    # 30 accounts tried once each from one address must not all be tried.
    assert (settings.login_attempts, settings.login_address_attempts) == (5, 20)


@pytest.mark.parametrize(("name", "value", "message"), [
    ("LAB_MAX_UPLOAD_MB", "lots",
     "LAB_MAX_UPLOAD_MB must be a whole number of megabytes from 1 to 1024, not 'lots'"),
    ("LAB_MAX_UPLOAD_MB", "0",
     "LAB_MAX_UPLOAD_MB must be a whole number of megabytes from 1 to 1024, not '0'"),
    ("LAB_HTTPS", "maybe", "LAB_HTTPS must be true or false, not 'maybe'"),
    ("LAB_TRUSTED_PROXIES", "-1",
     "LAB_TRUSTED_PROXIES must be a whole number of proxies from 0 to 10, not '-1'"),
    ("LAB_SESSION_IDLE_MINUTES", "1.5",
     "LAB_SESSION_IDLE_MINUTES must be a whole number of minutes from 1 to 10080, not '1.5'"),
    ("LAB_SECRET_KEY", "hunter2",
     "LAB_SECRET_KEY must be a random text of at least 16 characters, not 7 characters"),
])
def test_a_bad_value_is_refused_naming_the_variable(clean_environment, monkeypatch, name,
                                                    value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(config.ConfigError) as refused:
        create_app()
    assert str(refused.value) == message


def test_settings_reach_the_app_config(clean_environment, monkeypatch):
    monkeypatch.setenv("LAB_MAX_UPLOAD_MB", "8")
    monkeypatch.setenv("LAB_HTTPS", "true")
    monkeypatch.setenv("LAB_SECRET_KEY", "a" * 32)
    monkeypatch.setenv("LAB_PASSWORD", "not for the app config")
    app = create_app()
    assert app.config["MAX_CONTENT_LENGTH"] == 8 * 1024 * 1024
    assert app.config["HTTPS"] is True and app.config["SECRET_KEY"] == "a" * 32
    assert "not for the app config" not in {str(value) for value in app.config.values()}


def test_an_empty_variable_counts_as_unset(clean_environment, monkeypatch):
    monkeypatch.setenv("LAB_MAX_UPLOAD_MB", "")
    assert config.load().max_upload_mb == 64


def test_the_command_line_says_what_is_wrong_in_one_line(clean_environment, monkeypatch,
                                                          tmp_path):
    monkeypatch.setenv("LAB_LOGIN_ATTEMPTS", "many")
    lab = os.path.join(os.path.dirname(sys.executable), "lab")
    done = subprocess.run([lab, "check"], capture_output=True, text=True, env=os.environ)
    assert done.returncode == 1
    assert done.stderr.strip() == ("Error: LAB_LOGIN_ATTEMPTS must be a whole number of "
                                   "failed sign-ins from 1 to 1000, not 'many'")
