"""Fixtures of people's tests: a real SMTP server (aiosmtpd) and a real HTTP server standing in for a chat webhook."""

from __future__ import annotations

import json
import threading
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from leadflow.settings import get_settings
from tests.integration.live import free_port


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


@pytest.fixture
def smtp(monkeypatch):
    """A real SMTP server on a free port; the worker reads its address from the environment."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    for name, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "SMTP_STARTTLS": "false",
                        "SMTP_FROM": "crm@example.com"}.items():
        monkeypatch.setenv(f"LEADFLOW_{name}", value)
    get_settings.cache_clear()
    yield inbox
    controller.stop()
    get_settings.cache_clear()


class ChatServer:
    """Receives what a Slack incoming webhook would: JSON posts, answered with `status` (200 by default)."""

    def __init__(self):
        self.posts: list[tuple[str, dict]] = []
        self.status = 200
        received = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                received.posts.append((self.path, json.loads(self.rfile.read(length) or b"null")))
                self.send_response(received.status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/services/T000/B000/secretpart"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)


@pytest.fixture
def chat():
    server = ChatServer()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture
def mail_configured(monkeypatch):
    """An SMTP server named in the settings (none listens: the emails are only queued), so alerts go by email too."""
    monkeypatch.setenv("LEADFLOW_SMTP_HOST", "127.0.0.1")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
