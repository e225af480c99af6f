"""The inbox's columns: the ones always there, the ones shown unless the `columns` parameter chooses others, and
the order they stand in. Pure: standard library only."""

from __future__ import annotations

ALWAYS = ("name", "stage", "score")
# What the column chooser offers, with its heading; the first five are shown by default.
CHOOSABLE = {"company": "Company", "country": "Country", "owner": "Owner", "campaign": "Campaign / source",
             "created": "Created", "job_title": "Job title", "updated": "Last activity"}
DEFAULT = ("company", "country", "owner", "campaign", "created")
ORDER = ("name", "job_title", "company", "country", "stage", "score", "owner", "campaign", "created", "updated")
LABELS = {"name": "Name", "stage": "Stage", "score": "Score", **CHOOSABLE}
# Narrow screens leave these out first (see inbox.css): the table keeps to the width of the page.
SECONDARY = frozenset({"campaign", "created", "updated", "job_title"})


def chosen(values: list[str]) -> tuple[str, ...]:
    """The columns to show for the `columns` parameter (repeated, or comma-separated); none given: the default.
    Raises ValueError naming a column that does not exist."""
    wanted = {v.strip() for value in values for v in value.split(",") if v.strip()}
    unknown = sorted(wanted - set(CHOOSABLE) - set(ALWAYS))
    if unknown:
        raise ValueError(f"Unknown column \u201c{unknown[0][:40]}\u201d: choose from {', '.join(CHOOSABLE)}.")
    shown = (wanted or set(DEFAULT)) | set(ALWAYS)
    return tuple(key for key in ORDER if key in shown)
