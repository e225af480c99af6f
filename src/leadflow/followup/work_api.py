"""Follow-up JSON API (work_api)."""

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1")
