"""Imports in the browser: upload, the column mapping to correct, progress, the reject file."""

from __future__ import annotations

from leadflow.web.pages import page_router

router = page_router(tags=["pages"])
