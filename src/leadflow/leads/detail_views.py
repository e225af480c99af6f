"""A lead's page: the profile edited in place, company, timeline, consents, notes."""

from __future__ import annotations

from leadflow.web.pages import page_router

router = page_router(tags=["pages"])
