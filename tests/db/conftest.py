"""Fixtures of the database tests: a real SMTP server (aiosmtpd) and a real HTTP receiver
for the notices' e-mails and webhooks."""

from __future__ import annotations

import socket
import threading
import time
from email import message_from_bytes
from email.policy import default
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from lab import config

SECRET = "a-webhook-key-of-some-length"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """An aiosmtpd handler keeping every message it is given."""

    def __init__(self):
        self.messages: list[tuple[list[str], object]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.messages.append((list(envelope.rcpt_tos),
                              message_from_bytes(envelope.content, policy=default)))
        return "250 OK"


@pytest.fixture
def smtp():
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    inbox.port = port
    yield inbox
    controller.stop()


@pytest.fixture
def receiver():
    """A local HTTP server taking webhook POSTs; it answers 500 to the first `fail` ones,
    each after `delay` seconds."""
    state = {"fail": 0, "calls": [], "bodies": [], "delay": 0.0}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state["calls"].append(dict(self.headers))
            time.sleep(state["delay"])  # a slow receiver keeps racing senders overlapping
            if state["fail"] > 0:
                state["fail"] -= 1
                self.send_response(500)
                self.end_headers()
                return
            state["bodies"].append((dict(self.headers), body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state["url"] = f"http://127.0.0.1:{server.server_port}/hook"
    yield state
    server.shutdown()
    server.server_close()


def settings_for(smtp, receiver, **overrides) -> config.Settings:
    return config.Settings(**{"smtp_host": "127.0.0.1", "smtp_port": smtp.port,
                              "smtp_starttls": False, "smtp_from": "lab@bank.example",
                              "webhook_url": receiver["url"], "webhook_secret": SECRET,
                              "webhook_backoff_ms": 1, "base_url": "https://lab.bank.example",
                              **overrides})
