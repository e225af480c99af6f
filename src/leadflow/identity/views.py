"""Possible duplicates: the review queue, a lead's duplicates panel, merge and "not the same"."""

from __future__ import annotations

from leadflow.web.pages import page_router

router = page_router(tags=["pages"])
