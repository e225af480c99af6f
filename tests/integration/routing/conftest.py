"""Routing tests use people's real SMTP server."""

from tests.integration.people.conftest import mail_configured, smtp  # noqa: F401
