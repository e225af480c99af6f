"""Follow-up pages (scorecard_views)."""

from fastapi import APIRouter

router = APIRouter()
