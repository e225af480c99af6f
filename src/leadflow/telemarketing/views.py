"""The telemarketing pages: the call lists a person works (to be grown: the calling screen, scripts, throughput)."""

from __future__ import annotations


from leadflow.web.pages import page_router

router = page_router(tags=["pages"])
