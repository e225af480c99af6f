"""The surveys stage's tables."""

from __future__ import annotations
