"""What a demo run reports as it goes (its progress, its report) and keeps between runs (how far it got, so a
run that stopped midway is resumed).
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadflow import db
from leadflow.demo import story as demo_story


Progress = Callable[[str, int, int], None]  # what is being done, how much of it is done, out of how much


@dataclass
class Report:
    users: list[tuple[str, str, str]] = field(default_factory=list)  # email, role, team
    password: str | None = None
    companies: int = 0
    campaigns: int = 0
    leads: int = 0
    captures: int = 0
    activities: int = 0
    duplicates_in_review: int = 0
    forms: list[str] = field(default_factory=list)
    resumed: bool = False  # this run continued one that had stopped midway
    story: demo_story.Told | None = None  # behaviour, stage history, BANT, scores and Sales Ready
    sales: dict = field(default_factory=dict)  # follow-ups, contacts, tasks, opportunities, quotes
STATE_KEY = "demo"


def read_state(session: Session) -> dict | None:
    value = session.scalar(select(db.InstanceSetting.value).where(db.InstanceSetting.key == STATE_KEY))
    return json.loads(value) if value else None


def still_running(state: dict) -> bool:
    """Whether the run that wrote this state is alive (on this machine; a process elsewhere is not known)."""
    pid = state.get("pid")
    if not pid or pid == os.getpid() or state.get("host") != socket.gethostname():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def keep_state(session: Session, state: dict) -> None:
    """How far the demo got, in the transaction that got it there."""
    session.merge(db.InstanceSetting(key=STATE_KEY, value=json.dumps(state)))
    session.flush()
