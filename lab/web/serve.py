"""Serve the app with a real, threaded WSGI server on one machine."""

from __future__ import annotations

import threading

from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from lab import web


def server(app: Flask, host: str = "127.0.0.1", port: int = 5000) -> BaseWSGIServer:
    """Make a threaded WSGI server for the app (port 0 picks a free port).

    The command line's app is made without its pages (to start quickly): they are
    added here, before the first request.
    """
    if not web.installed(app):
        web.init_app(app)
    return make_server(host, port, app, threaded=True)


def run(app: Flask, host: str = "127.0.0.1", port: int = 5000) -> None:
    """Serve the app until interrupted."""
    found = server(app, host, port)
    print(f"Serving lab on http://{host}:{found.server_port}/ (Ctrl+C to stop)", flush=True)
    try:
        found.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        found.server_close()


def in_thread(app: Flask, host: str = "127.0.0.1", port: int = 0) -> tuple[BaseWSGIServer, str]:
    """Start serving in a background thread; return the server and its base URL.

    Stop it with `stop`, which waits for every request thread: threads left running at
    interpreter exit can crash native extensions (greenlet, used by Playwright) there.
    """
    found = server(app, host, port)
    found.daemon_threads, found.block_on_close = False, True
    thread = threading.Thread(target=found.serve_forever, name="lab-server")
    thread.start()
    found.lab_thread = thread
    return found, f"http://{host}:{found.server_port}"


def stop(found: BaseWSGIServer) -> None:
    """Stop a server started by `in_thread` and wait for its threads to finish."""
    found.shutdown()
    found.server_close()  # joins the request threads (block_on_close)
    found.lab_thread.join()
