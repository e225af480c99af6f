"""What a stage declares about itself (its `<stage>/stage.py`): routers, navigation, commands, jobs, topics and the
tables that hold lead ids. Plain data: the list of stages and the assembly from it are in `leadflow.stages`.

Code (routers, commands, handlers) is named through a function of the stage that imports it when called, so the
CLI and the worker do not import every web page to start.

Pure: standard library only; it never touches the database or the web."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

# Where a router goes among all routers: a path that would also match another router's path (a catch-all such as
# `/x/{anything}`) comes after it. Routers with the same order keep the order of the stage list, then their own.
FIRST, NORMAL, LAST = 0, 50, 100


@dataclass(frozen=True)
class Routes:
    """One FastAPI router of the stage (JSON API, pages, or public endpoints)."""

    router: Any
    order: int = NORMAL
    setting: str | None = None  # included only when this setting is true (`bench_floor`: the benchmark's floors)


@dataclass(frozen=True)
class NavEntry:
    """An item of the main navigation, shown to users holding `permission`; `order` places it among all stages'
    items (lower first); `icon` names one in web/templates/icons.html, or None for a word alone; `section`, when
    given, is the address prefix of the pages it is current for (else `path`)."""

    label: str
    path: str
    permission: str
    order: int
    icon: str | None = None
    section: str | None = None  # the addresses it stands for when wider than `path` ("/email" for "/email/sends")


@dataclass(frozen=True)
class Command:
    """A command mounted on `leadflow`: `path` ("rescore", or ("export", "leads") inside a group the CLI owns), and
    either a Typer app (`group=True`: a group of subcommands) or a function; `build`, when given, makes the function
    from the assembled stages (`leadflow export leads` gets the columns other stages add)."""

    path: str | tuple[str, ...]
    target: Any = None
    group: bool = False
    build: Callable[[Any], Any] | None = None


class OnMerge(enum.Enum):
    """What a merge does with the rows of the lead merged away, and what unmerge does then."""

    MOVE = "move"  # they become the survivor's; unmerge moves back those rows still on the survivor
    KEEP = "keep"  # they stay with the merged lead (its own history or derived values the owner keeps up to date)
    DELETE = "delete"  # derived rows the owner rebuilds: deleted at the merge; unmerge leaves the rebuilding to it


@dataclass(frozen=True)
class LeadTable:
    """A table of the stage holding lead ids, and how merge and unmerge treat its rows (`id` names its key)."""

    name: str
    lead_columns: tuple[str, ...] = ("lead_id",)
    on_merge: OnMerge = OnMerge.KEEP
    why: str = ""
    id_column: str = "id"


def batch(handler: Callable | None = None, *, sends: bool = False, size: int | None = None):
    """Mark a handler as taking a list of payloads (`handler(session, payloads)`): the worker hands it every due
    message of its topic it claimed (up to `size`, else `worker.BATCH`) in one transaction; if the batch fails, each
    message runs alone, so one bad message fails alone. A handler that `sends` outside the database (email,
    webhooks) is never run again after a failed batch (what it sent would go twice): its messages are recorded as
    failed and retried later. A hundred thousand leads becoming Sales Ready at once are routed a chunk at a time."""
    def mark(function: Callable) -> Callable:
        function.takes_batch = True  # type: ignore[attr-defined]
        function.sends = sends  # type: ignore[attr-defined]
        function.batch_size = size  # type: ignore[attr-defined]
        return function

    return mark if handler is None else mark(handler)


def takes_batch(handler: Callable | None) -> bool:
    return getattr(handler, "takes_batch", False)


def _none() -> tuple:
    return ()


@dataclass(frozen=True)
class Stage:
    """A stage as the application sees it. `routers`, `commands`, `handlers` and `schedules` are functions of the
    stage returning its code (imported when called); everything else is data."""

    name: str
    owns: str  # one line: what the stage owns, for docs/architecture.md
    models: Any = None  # the stage's models module (its tables)
    routers: Callable[[], Sequence[Routes]] = _none
    navigation: tuple[NavEntry, ...] = ()
    commands: Callable[[], Sequence[Command]] = _none
    handlers: Callable[[], Mapping[str, Callable]] = dict  # topic -> handler(session, payload)
    subscribes: frozenset[str] = frozenset()  # the topics of `handlers`, as data
    schedules: Callable[[], Sequence[Callable]] = _none  # each books its periodic job's first run
    publishes: frozenset[str] = frozenset()
    unhandled: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))  # topic -> who will subscribe
    lead_tables: tuple[LeadTable, ...] = ()
    hooks: Callable[[], Mapping[str, Any]] = dict  # values other stages' code is given by the composition root
    template_package: str | None = None  # the package holding templates/<stage>/, when it has pages
