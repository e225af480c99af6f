"""`leadflow journeys list | show | publish | pause | resume | enrol | simulate | template`: nurture journeys from the
command line, as the system (every lead). A problem exits 1 naming the field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Nurture journeys: list, show, publish, pause, enrol leads, simulate, make from a template.",
                  no_args_is_help=True)


def _fail(exc) -> None:
    from leadflow.errors import Invalid

    if isinstance(exc, Invalid):
        for error in exc.errors:
            typer.echo(f"{error.field}: {error.reason}", err=True)
    else:
        typer.echo(str(exc), err=True)
    raise typer.Exit(1) from None


def _run(work, *, reads_only: bool = False):
    """Open the database, do the work in one transaction (committed unless it only reads); domain errors exit 1."""
    from leadflow.console import open_db
    from leadflow.errors import DomainError

    _, engine, factory = open_db(reads_only=reads_only)
    try:
        with factory() as session:
            try:
                out = work(session)
            except DomainError as exc:
                session.rollback()
                _fail(exc)
            if not reads_only:
                session.commit()
            return out
    finally:
        engine.dispose()


@app.command("list")
def list_journeys() -> None:
    """Every journey: its number, status, live version, leads in it now and finished."""
    from leadflow.journeys import queries

    rows = _run(lambda session: queries.listing(session=session), reads_only=True)
    typer.echo(f"{'id':>4}  {'status':<8} {'live':<5} {'active':>7} {'done':>7} {'goal':>6} {'exited':>7}  name")
    for r in rows:
        live = f"v{r['live_version']}" if r["live_version"] else "-"
        changed = "  (draft changes)" if r["has_draft"] and r["live_version"] else ""
        typer.echo(f"{r['id']:>4}  {r['status']:<8} {live:<5} {r['active']:>7} {r['done']:>7} {r['goal']:>6} "
                   f"{r['exited']:>7}  {r['name']}{changed}")


def _lines(items: list, depth: int = 0) -> list[str]:
    from leadflow.journeys import drawing

    out = []
    pad = "  " * depth
    for item in items:
        if isinstance(item, drawing.Goto):
            out.append(f"{pad}-> {item.label}")
            continue
        counts = item.counts
        tally = f"  [{counts.get('waiting', 0)} waiting, {counts.get('passed', 0)} passed]" if counts else ""
        out.append(f"{pad}{item.step_id}: {item.title} ({item.kind_label}): {item.detail}{tally}")
        for way in item.ways:
            went = f" [{way.went} went]" if way.went else ""
            out.append(f"{pad}  {'otherwise' if way.index == 'else' else 'when ' + way.label}{went}:")
            out.extend(_lines(way.column, depth + 2) if way.column else [f"{pad}    (the run ends)"])
    return out


@app.command()
def show(journey_id: int, json_out: Annotated[bool, typer.Option("--json", help="the definition as JSON")] = False,
         version: Annotated[int | None, typer.Option(help="a version's number (default: the draft, else the "
                                                          "newest)")] = None) -> None:
    """The journey's steps as a flow (with the counts per step), or its definition as JSON."""
    from leadflow.journeys import choices, drafts, drawing, queries

    def read(session):
        journey = queries.get(journey_id, session=session)
        definition = (queries.version(journey_id, version, session=session).definition if version
                      else drafts.working(journey_id, session=session)[0])
        names = choices.names(choices.pickers(session=session))
        return journey, definition, drawing.draw(definition, queries.drawn_counts(journey_id, session=session),
                                                 names), queries.versions(journey_id, session=session)

    journey, definition, boxes, versions = _run(read, reads_only=True)
    if json_out:
        typer.echo(json.dumps(definition, indent=2))
        return
    live = next((v.number for v in versions if v.id == journey.live_version_id), None)
    typer.echo(f"{journey.name} ({journey.status}; live: {f'v{live}' if live else 'not published'}; "
               f"versions: {', '.join(str(v.number) + ('' if v.published_at else ' draft') for v in versions)})")
    for line in _lines(boxes):
        typer.echo(line)


@app.command()
def publish(journey_id: int) -> None:
    """Publish the draft: new leads start on it; leads already in the journey finish on their version."""
    from leadflow.journeys import drafts

    number = _run(lambda session: drafts.make_live(journey_id, session=session, by="cli").number)
    typer.echo(f"Published version {number} of journey {journey_id}.")


@app.command()
def pause(journey_id: int, resume: Annotated[bool, typer.Option("--resume", help="resume it instead")] = False) -> None:
    """Pause a journey (no step is taken and no lead enters until it resumes), or resume it."""
    from leadflow.journeys import drafts

    _run(lambda session: drafts.set_status(journey_id, "live" if resume else "paused", session=session))
    typer.echo(f"Journey {journey_id} {'resumed' if resume else 'paused'}.")


@app.command()
def enrol(journey_id: int, lead: Annotated[list[int] | None, typer.Option(help="a lead's number (repeat)")] = None,
          segment: Annotated[int | None, typer.Option(help="a segment's number: its members enter")] = None) -> None:
    """Enrol leads by hand, or a segment's members."""
    from leadflow.errors import Invalid
    from leadflow.journeys import queries, service

    def work(session):
        if segment is not None:
            queries.get(journey_id, session=session)
            service.enrol_later(journey_id, f"segment:{segment}", session=session)
            return {"segment_id": segment, "enrolling": True}
        if not lead:
            raise Invalid.one("lead", "give --lead N (repeat it) or --segment N")
        return service.enrol(journey_id, list(lead), session=session, source="by hand")

    typer.echo(json.dumps(_run(work), default=str))


@app.command()
def simulate(journey_id: int,
             latest: Annotated[int, typer.Option(help="sample: the latest N leads")] = 100,
             segment: Annotated[int | None, typer.Option(help="sample: a segment's members instead")] = None,
             rate: Annotated[list[str] | None, typer.Option(help="NAME=PERCENT (delivered, opened, clicked, "
                                                                 "survey_answered, answer_quote...), repeat")] = None,
             seed: Annotated[int, typer.Option()] = 1,
             version: Annotated[str | None, typer.Option(help="a version's number (default: the draft)")] = None,
             start: Annotated[str | None, typer.Option(help="the virtual clock's start (default: now)")] = None,
             paths: Annotated[int, typer.Option(help="sample leads' paths to show")] = 3,
             json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Run the journey over sample leads on a virtual clock: counts per step, ways at each branch, a few paths."""
    from leadflow.errors import Invalid
    from leadflow.journeys import simulation
    from leadflow.people.service import SYSTEM

    values: dict = {"latest": latest, "seed": seed, "version": version, "start": start}
    if segment is not None:
        values.update(source="segment", segment_id=segment)
    for item in rate or ():
        name, eq, number = item.partition("=")
        if not eq:
            _fail(Invalid.one("rate", f"'{item}': write NAME=PERCENT"))
        values[name.strip()] = number.strip()
    out = _run(lambda session: simulation.run(journey_id, values, SYSTEM, session=session, keep_paths=paths),
               reads_only=True)
    out.pop("definition", None)
    if json_out:
        typer.echo(json.dumps(out, indent=2, default=str))
        return
    typer.echo(f"{out['leads']} sample leads through {out['simulated']} (seed {seed}): "
               + ", ".join(f"{n} {k}" for k, n in out["ends"].items() if n))
    for step_id, n in out["reached"].items():
        ways = out["ways"].get(step_id)
        typer.echo(f"  {step_id:<20} {n:>6} reached" + (
            "  ways: " + ", ".join(f"{'otherwise' if w == 'else' else 'way ' + str(int(w) + 1)}={c}"
                                   for w, c in sorted(ways.items())) if ways else ""))
    for p in out["paths"]:
        typer.echo(f"{p['label']} ({p['end']}):")
        for v in p["visits"]:
            typer.echo(f"  {v['at'][:16].replace('T', ' ')}  {v['step']}: {v['what']}")


@app.command()
def template(name: Annotated[str, typer.Argument(help="brochure")] = "brochure") -> None:
    """Make a journey from a ready template (brochure: the seeds' brochure follow-up), as a draft."""
    from leadflow.errors import Invalid
    from leadflow.journeys import template as journeys_template

    if name != "brochure":
        _fail(Invalid.one("name", "the templates are: brochure"))
    journey = _run(lambda session: journeys_template.create_brochure_template(session=session, actor="cli"))
    typer.echo(f"Made journey {journey.id}: {journey.name} (a draft: look it over, simulate it, publish it).")


@app.command("import")
def import_definition(path: Path, name: Annotated[str | None, typer.Option(help="a new journey's name")] = None,
                      journey: Annotated[int | None, typer.Option(help="replace this journey's draft")] = None) -> None:
    """A definition from a JSON file: a new journey (--name) or a journey's new draft (--journey)."""
    from leadflow.errors import Invalid
    from leadflow.journeys import drafts, editing

    text = path.read_text(encoding="utf-8")

    def work(session):
        definition = editing.from_json(text)
        if journey is not None:
            drafts.save(journey, definition, session=session)
            return journey
        if not name:
            raise Invalid.one("name", "give --name for a new journey, or --journey N")
        return drafts.create(session=session, name=name, definition=definition, by="cli").id

    journey_id = _run(work)
    typer.echo(f"Saved the draft of journey {journey_id}.")
