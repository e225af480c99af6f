"""Settings: users, teams and API keys (a new key shown once)."""

from __future__ import annotations

from leadflow.web.pages import page_router

router = page_router(tags=["pages"])
