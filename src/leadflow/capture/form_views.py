"""The form builder: fields, consents, thank-you, allowed origins, live preview, embed code."""

from __future__ import annotations

from leadflow.web.pages import page_router

router = page_router(tags=["pages"])
