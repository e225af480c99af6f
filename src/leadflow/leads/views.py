"""The lead inbox: filters, full-text search, sorting, keyset pages, saved views, bulk actions."""

from __future__ import annotations

from leadflow.web.pages import page_router

router = page_router(tags=["pages"])
