"""Serving: `lab serve` and wsgi.py run the same app factory."""

from __future__ import annotations

import importlib
import urllib.request

from lab.app import create_app
from lab.cli.serve import serve_command
from lab.web.serve import in_thread, stop


def assert_serves_the_login_page(app):
    """Serve the app over real HTTP and check /login comes back with security headers."""
    server, base = in_thread(app)
    try:
        with urllib.request.urlopen(f"{base}/login", timeout=10) as response:
            assert response.status == 200
            assert response.headers["X-Content-Type-Options"] == "nosniff"
    finally:
        stop(server)


def test_the_threaded_server_answers_real_http(app):
    assert_serves_the_login_page(app)


def test_the_command_lines_app_gets_its_pages_when_served(database_url):
    # The CLI makes its app without the web layer so commands start fast; serving it
    # must add the pages and the security headers all the same.
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "t"}, with_web=False)
    assert "auth.login" not in app.view_functions
    assert_serves_the_login_page(app)


def test_lab_serve_passes_host_and_port_to_the_server(app, runner, monkeypatch):
    served = []
    monkeypatch.setattr("lab.cli.serve.run", lambda *args: served.append(args))
    result = runner.invoke(serve_command, ["--host", "0.0.0.0", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert served == [(app, "0.0.0.0", 8123)]


def test_lab_serve_refuses_a_bad_port(runner):
    result = runner.invoke(serve_command, ["--port", "70000"])
    assert result.exit_code == 2 and "70000" in result.output


def test_wsgi_py_serves_the_app_configured_from_the_environment(database_url, tmp_path,
                                                                monkeypatch):
    monkeypatch.setenv("LAB_DATABASE_URL", database_url)
    monkeypatch.setenv("LAB_INSTANCE_PATH", str(tmp_path / "instance"))
    wsgi = importlib.import_module("wsgi")
    wsgi = importlib.reload(wsgi)
    assert wsgi.app.config["DATABASE_URL"] == database_url
    assert wsgi.app.test_client().get("/login").status_code == 200
