"""The lifecycle stage machine of a lead: its stages, the allowed moves and the reasons for disqualifying.

Pure: standard library only; it never touches the database or the web.
"""

from __future__ import annotations

from dataclasses import dataclass

STAGES = ("new", "mql", "sql", "opportunity", "customer", "nurture", "disqualified", "recycled")

# The stages of a lead someone is working: what counts against a salesperson's open-lead capacity.
WORKED = ("new", "mql", "sql", "opportunity")

STAGE_LABELS = {
    "new": "New", "mql": "MQL", "sql": "SQL", "opportunity": "Opportunity", "customer": "Customer",
    "nurture": "Nurture", "disqualified": "Disqualified", "recycled": "Recycled",
}

# From each stage, the stages a lead may move to (the docs' table in docs/qualification.md is this one).
MOVES: dict[str, tuple[str, ...]] = {
    "new": ("mql", "sql", "nurture", "disqualified"),
    "mql": ("sql", "nurture", "disqualified", "recycled"),
    "sql": ("opportunity", "nurture", "disqualified", "recycled"),
    "opportunity": ("customer", "nurture", "disqualified", "recycled"),
    "customer": ("recycled",),
    "nurture": ("mql", "sql", "disqualified", "recycled"),
    "disqualified": ("recycled",),
    "recycled": ("new", "mql", "sql", "nurture", "disqualified"),
}

DISQUALIFY_REASONS: dict[str, str] = {
    "competitor": "Competitor",
    "student": "Student or researcher",
    "no_budget": "No budget",
    "no_need": "No need",
    "wrong_person": "Wrong person",
    "spam": "Spam or fake",
    "duplicate": "Duplicate",
    "unreachable": "Unreachable",
    "lost": "Lost to no decision or a competitor",
    "other": "Other (say why in the note)",
}

# Stages at or beyond Sales Ready: a lead here that matches the rule only gets its sales_ready_at.
PAST_SQL = ("sql", "opportunity", "customer")


@dataclass(frozen=True)
class Move:
    """A decided move, or the reason it is refused (with the moves allowed from where the lead stands)."""

    from_stage: str
    to_stage: str
    allowed: bool
    problem: str | None = None
    field: str = "stage"
    allowed_moves: tuple[str, ...] = ()


def allowed_moves(stage: str | None) -> tuple[str, ...]:
    return MOVES.get(stage or "new", ())


def check_move(from_stage: str | None, to_stage: str, *, reason: str | None = None, note: str | None = None
               ) -> Move:
    """Whether a lead may move from one stage to another; disqualifying needs a known reason (and 'other' a note)."""
    current = from_stage or "new"
    moves = allowed_moves(current)
    if to_stage not in STAGES:
        return Move(current, to_stage, False, f"must be one of {', '.join(STAGES)}", allowed_moves=moves)
    if to_stage == current:
        return Move(current, to_stage, False, f"the lead is already {STAGE_LABELS[current]}", allowed_moves=moves)
    if to_stage not in moves:
        listed = ", ".join(moves) or "none"
        return Move(current, to_stage, False,
                    f"cannot move from {current} to {to_stage}; allowed from {current}: {listed}",
                    allowed_moves=moves)
    if to_stage == "disqualified":
        if not reason:
            return Move(current, to_stage, False, "a reason is required to disqualify: "
                        + ", ".join(DISQUALIFY_REASONS), field="reason", allowed_moves=moves)
        if reason not in DISQUALIFY_REASONS:
            return Move(current, to_stage, False, "must be one of " + ", ".join(DISQUALIFY_REASONS),
                        field="reason", allowed_moves=moves)
        if reason == "other" and not (note or "").strip():
            return Move(current, to_stage, False, "say why in a note when the reason is 'other'", field="note",
                        allowed_moves=moves)
    return Move(current, to_stage, True, allowed_moves=moves)
