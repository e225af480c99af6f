"""Company pages: the list, and a company with its hierarchy as a tree."""

from __future__ import annotations

from leadflow.web.pages import page_router

router = page_router(tags=["pages"])
