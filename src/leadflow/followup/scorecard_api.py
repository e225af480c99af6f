"""Follow-up JSON API (scorecard_api)."""

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1")
