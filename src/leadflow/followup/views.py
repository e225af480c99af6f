"""Follow-up pages (views)."""

from fastapi import APIRouter

router = APIRouter()
