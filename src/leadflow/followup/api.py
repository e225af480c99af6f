"""Follow-up JSON API (api)."""

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1")
