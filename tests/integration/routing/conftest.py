"""Routing tests use people's real SMTP server."""

from tests.integration.people.conftest import smtp  # noqa: F401
