"""The stage list is the one place a stage plugs in: what each stage declares agrees with its code, every published
topic has a handler or is declared as having none, every table holding lead ids is declared by exactly one stage
(the one owning it), no router's path is caught by another router included before it, and .importlinter's
contracts follow the stage list."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

from starlette.routing import Match

from leadflow import events, jobs, stages, tables
from leadflow.stage import OnMerge
from tests.unit.test_topics import _published

SRC = Path(stages.__file__).resolve().parent
ROOT = SRC.parent.parent
LEAD_COLUMNS = ("lead_id",)


def test_every_stage_folder_is_in_the_stage_list_once_with_its_stage_py():
    names = [stage.name for stage in stages.ALL_STAGES]
    assert len(names) == len(set(names))
    folders = {path.parent.name for path in SRC.glob("*/models.py")}
    assert folders == set(names), "a folder with models.py is a stage: give it a stage.py and a line in stages.py"
    for stage in stages.ALL_STAGES:
        assert (SRC / stage.name / "stage.py").is_file()
        assert stage.models is None or stage.models.__name__ == f"leadflow.{stage.name}.models"
        assert stage.owns.strip()


def test_every_published_topic_has_a_handler_or_is_declared_as_having_none():
    published = {topic for stage in stages.ALL_STAGES for topic in stage.publishes} | {events.EMAIL_SEND}
    handled, declared = set(jobs.handlers()), set(jobs.without_handler())
    assert not published - handled - declared, "published, and nobody subscribes nor is declared to"
    for stage in stages.ALL_STAGES:
        assert set(stage.unhandled) <= stage.publishes, f"{stage.name} declares unhandled topics it does not publish"
        assert all(why.strip() for why in stage.unhandled.values())
        assert not set(stage.unhandled) & handled - set(jobs.without_handler()), "declared unhandled, yet handled"


def test_each_stage_subscribes_to_the_topics_it_declares_and_publishes_only_those_it_declares():
    for stage in stages.ALL_STAGES:
        assert set(stage.handlers()) == stage.subscribes, stage.name
    names = {value: name for name, value in vars(events).items() if name.isupper() and isinstance(value, str)}
    declared = {stage.name: {names[t] for t in stage.publishes} for stage in stages.ALL_STAGES}
    for constant, places in _published().items():
        for place in places:
            folder = place.split("/")[1] if place.count("/") > 1 else None  # leadflow/<stage>/...:line
            if folder in declared:
                assert constant in declared[folder], f"{place}: {folder}'s stage.py does not declare {constant}"


def test_several_stages_handlers_of_one_topic_run_bottom_stage_first():
    order = [stage.name for stage in stages.bottom_up()]
    steps = stages.handlers()[events.LEAD_UPDATED]
    owners = [step.__module__.split(".")[1] for step in steps]
    assert owners == sorted(owners, key=order.index)
    assert owners == ["identity", "qualification", "routing", "handoff", "segments", "journeys", "analytics"]


def test_every_table_holding_a_lead_id_is_declared_by_exactly_one_stage_the_one_owning_it():
    holding = {table.name for table in tables.metadata.tables.values()
               if any(column in table.c for column in LEAD_COLUMNS)}
    declared: dict[str, list[str]] = {}
    for stage in stages.ALL_STAGES:
        for lead_table in stage.lead_tables:
            declared.setdefault(lead_table.name, []).append(stage.name)
            table = tables.metadata.tables[lead_table.name]
            assert lead_table.name in stages.tables_of(stage), f"{stage.name} declares {lead_table.name}, not its own"
            assert all(c in table.c for c in lead_table.lead_columns), lead_table
            assert all(any(fk.column.table.name == "leads" for fk in table.c[c].foreign_keys)
                       for c in lead_table.lead_columns), f"{lead_table}: a lead column refers to leads.id"
            if lead_table.on_merge is OnMerge.MOVE:
                assert lead_table.id_column in table.c and table.c[lead_table.id_column].primary_key
            assert lead_table.why.strip()
    assert not holding - set(declared), f"tables with a lead_id no stage declares: {holding - set(declared)}"
    assert all(len(owners) == 1 for owners in declared.values()), declared


def test_no_route_is_caught_by_a_route_of_a_router_included_before_it():
    """Catch-all paths (`/things/{id}`) go after the paths they would also match (`/things/new`)."""
    ordered = [routes.router for routes in stages.routers()]
    flat = [(n, route) for n, router in enumerate(ordered) for route in router.routes if hasattr(route, "methods")]
    for n, route in flat:
        path = re.sub(r"\{[^}]+\}", "7", route.path)
        for method in route.methods:
            first = next(r for _, r in flat if r.matches({"type": "http", "path": path, "method": method})[0]
                         == Match.FULL)
            owner = next(m for m, r in flat if r is first)
            assert owner == n, f"{method} {route.path} is caught first by {first.path} ({first.endpoint.__module__})"


def test_the_navigation_is_ordered_and_every_entry_is_reachable_from_its_stage():
    entries = stages.navigation()
    assert len({e.order for e in entries}) == len(entries) and len({e.path for e in entries}) == len(entries)
    from leadflow.people import roles

    assert all(e.permission in roles.PERMISSIONS for e in entries)


def _importlinter() -> configparser.ConfigParser:
    parser = configparser.ConfigParser()
    parser.read(ROOT / ".importlinter")
    return parser


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.strip().splitlines() if line.strip()]


def test_the_layers_contract_lists_the_stages_in_the_order_of_the_stage_list():
    layers = _lines(_importlinter()["importlinter:contract:stages"]["layers"])
    assert layers == [f"leadflow.{stage.name}" for stage in stages.ALL_STAGES]


def test_the_other_contracts_cover_every_stage():
    parser = _importlinter()
    every = {f"leadflow.{stage.name}" for stage in stages.ALL_STAGES}
    assert every <= set(_lines(parser["importlinter:contract:web"]["forbidden_modules"]))
    containers = set(_lines(parser["importlinter:contract:within"]["containers"]))
    assert every <= containers, "every stage is a container of the within-stage contract"
    assert all(c in every or c.rsplit(".", 1)[0] in every for c in containers), "containers are stages or their parts"
    top = _lines(parser["importlinter:contract:within"]["layers"])[0]
    assert top == "(stage)", "a stage's stage.py sits above its routes and commands"
