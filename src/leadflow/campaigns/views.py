"""Campaign pages: the list, and a campaign with its cost entries and lead counts."""

from __future__ import annotations

from leadflow.web.pages import page_router

router = page_router(tags=["pages"])
