"""The lead page's follow-up panel."""

from leadflow.web.pages import page_router

router = page_router(tags=["pages"])
