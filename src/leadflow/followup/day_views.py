"""Follow-up pages (day_views)."""

from fastapi import APIRouter

router = APIRouter()
