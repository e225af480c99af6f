"""Moved to leadflow.capture.imports.channel (the import channel); kept for app.py until it mounts the new path."""

from leadflow.capture.imports.channel import router  # noqa: F401
