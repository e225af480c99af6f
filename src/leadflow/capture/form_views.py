"""Moved to leadflow.capture.forms.views (the hosted forms' builder pages); kept for app.py until it mounts the new path."""

from leadflow.capture.forms.views import router  # noqa: F401
