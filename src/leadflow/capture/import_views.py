"""Moved to leadflow.capture.imports.views (the import pages); kept for app.py until it mounts the new path."""

from leadflow.capture.imports.views import router  # noqa: F401
