"""Serving: `lab serve` and wsgi.py run the same app factory."""

from __future__ import annotations

import importlib
import socket
import urllib.error
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


def test_the_server_tells_no_software_or_python_version(app):
    server, base = in_thread(app)
    try:
        with urllib.request.urlopen(f"{base}/login", timeout=10) as response:
            assert "Server" not in response.headers
            assert not any("python" in value.lower() or "werkzeug" in value.lower()
                           for value in response.headers.values())
    finally:
        stop(server)


def test_a_huge_body_is_refused_before_it_is_sent(app):
    # The declared length alone is enough: the server answers 413 without waiting for
    # (or buffering) the 500 MB it announces.
    server, base = in_thread(app)
    host, port = base.removeprefix("http://").split(":")
    try:
        with socket.create_connection((host, int(port)), timeout=5) as connection:
            connection.sendall(b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: "
                               b"application/x-www-form-urlencoded\r\nContent-Length: "
                               + str(500 * 1024 * 1024).encode() + b"\r\n\r\nemail=a")
            reply = connection.recv(4096).decode("latin-1")
    finally:
        stop(server)
    assert reply.startswith("HTTP/1.1 413")


def test_a_body_just_past_the_limit_gets_the_apps_own_message(app):
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    server, base = in_thread(app)
    request = urllib.request.Request(f"{base}/login", data=b"x" * (1024 * 1024 + 10),
                                     headers={"Content-Type": "application/octet-stream"})
    try:
        urllib.request.urlopen(request, timeout=10)
    except urllib.error.HTTPError as refused:
        assert refused.code == 413
        assert "larger than the 1 MB limit" in refused.read().decode()
    else:
        raise AssertionError("a body past the limit was accepted")
    finally:
        stop(server)
