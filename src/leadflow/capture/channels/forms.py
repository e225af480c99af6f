"""Moved to leadflow.capture.forms.channel (the hosted forms' channel); kept for app.py until it mounts the new path."""

from leadflow.capture.forms.channel import router  # noqa: F401
