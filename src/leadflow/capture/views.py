"""Quick entry for trade fairs and the phone, and a lead's raw captures."""

from __future__ import annotations

from leadflow.web.pages import page_router

router = page_router(tags=["pages"])
