"""Serve the app on one machine with waitress, a production WSGI server.

Waitress answers with no Server header (so neither its version nor Python's is told),
and refuses a request body past the upload limit before reading it.
"""

from __future__ import annotations

import threading

from flask import Flask
from waitress.server import BaseWSGIServer, create_server

from lab import web

THREADS = 8
# Up to this far past the limit the app itself answers 413 with its own message (it
# only reads the declared length); beyond, waitress refuses without buffering the body.
BODY_SLACK = 1024 * 1024


def server(app: Flask, host: str = "127.0.0.1", port: int = 5000) -> BaseWSGIServer:
    """Make a waitress server for the app (port 0 picks a free port).

    The command line's app is made without its pages (to start quickly): they are
    added here, before the first request.
    """
    if not web.installed(app):
        web.init_app(app)
    return create_server(app, host=host, port=port, threads=THREADS, ident="",
                         max_request_body_size=app.config["MAX_CONTENT_LENGTH"] + BODY_SLACK)


def run(app: Flask, host: str = "127.0.0.1", port: int = 5000) -> None:
    """Serve the app until interrupted."""
    found = server(app, host, port)
    print(f"Serving lab on http://{host}:{found.effective_port}/ (Ctrl+C to stop)", flush=True)
    try:
        found.run()
    except KeyboardInterrupt:
        pass
    finally:
        found.close()
        found.task_dispatcher.shutdown()


def in_thread(app: Flask, host: str = "127.0.0.1", port: int = 0) -> tuple[BaseWSGIServer, str]:
    """Start serving in a background thread; return the server and its base URL.

    Stop it with `stop`, which waits for every request thread: threads left running at
    interpreter exit can crash native extensions (greenlet, used by Playwright) there.
    """
    found = server(app, host, port)
    thread = threading.Thread(target=found.run, name="lab-server")
    thread.start()
    found.lab_thread = thread
    return found, f"http://{host}:{found.effective_port}"


def stop(found: BaseWSGIServer) -> None:
    """Stop a server started by `in_thread` and wait for its threads to finish."""

    def close_everything() -> None:
        # Runs in the server's own loop thread, so no socket is closed under its feet;
        # with nothing left to watch, the loop ends.
        for channel in list(found._map.values()):
            channel.close()

    found.trigger.pull_trigger(close_everything)
    found.lab_thread.join()
    found.task_dispatcher.shutdown()
