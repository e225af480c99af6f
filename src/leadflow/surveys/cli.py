"""`leadflow surveys list|show|template|link`: the surveys, one survey's questions and latest responses, the shipped
brochure follow-up survey, and a lead's signed link."""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(help="Surveys: short questionnaires answered through signed links.", no_args_is_help=True)


def _fail(exc) -> None:
    for error in getattr(exc, "errors", None) or [exc]:
        typer.echo(f"error: {getattr(error, 'field', 'survey')}: {getattr(error, 'reason', error)}", err=True)
    raise typer.Exit(1) from None


@app.command("list")
def list_surveys() -> None:
    """Every survey: id, key, version, whether it is on, how many responses."""
    from leadflow.console import open_db
    from leadflow.surveys import queries

    _, _, factory = open_db(reads_only=True)
    with factory() as session:
        rows = queries.listing(session=session)
        counts = queries.response_counts([s.id for s in rows], session=session)
        if not rows:
            typer.echo("no surveys yet: `leadflow surveys template brochure` adds the brochure follow-up")
        for s in rows:
            typer.echo(f"{s.id}\t{s.key}\tv{s.version}\t{'on' if s.active else 'off'}\t"
                       f"{counts.get(s.id, 0)} responses\t{s.name}")


@app.command("show")
def show(survey: Annotated[str, typer.Argument(help="the survey's id or key")],
         responses: Annotated[int, typer.Option("--responses", help="how many latest responses to print")] = 10
         ) -> None:
    """A survey's questions (where each answer goes) and its latest responses."""
    from leadflow.console import open_db
    from leadflow.errors import NotFound
    from leadflow.surveys import domain, queries
    from leadflow.surveys import service as survey_service

    _, _, factory = open_db(reads_only=True)
    with factory() as session:
        try:
            found = survey_service.find(survey, session=session)
        except NotFound as exc:
            _fail(exc)
        typer.echo(f"{found.name} ({found.key}, version {found.version}, {'on' if found.active else 'off'})")
        typer.echo(f"title: {found.title}")
        for q in found.questions:
            options = ", ".join(o["value"] for o in q.get("options", []))
            typer.echo(f"- {q['key']}: {q['label']} [{q['kind']}{', required' if q.get('required') else ''}]"
                       f"{' -> ' + q['maps_to'] if q.get('maps_to') else ''}{' (' + options + ')' if options else ''}")
        by_key = {q["key"]: q for q in found.questions}
        for r in queries.responses(found.id, session=session, limit=max(0, responses)):
            answers = "; ".join(f"{k}={domain.answer_label(by_key.get(k), v)}" for k, v in r["answers"].items())
            typer.echo(f"response {r['id']} lead {r['lead_id']} at {r['submitted_at']:%Y-%m-%d %H:%M}: {answers}")


@app.command("template")
def template(name: Annotated[str, typer.Argument(help="the shipped template: brochure")]) -> None:
    """Add a shipped survey (brochure: the brochure follow-up: need, timeline, budget, authority, next step);
    nothing changes when it is there already."""
    from leadflow.console import open_db
    from leadflow.db import unit_of_work
    from leadflow.surveys import service as survey_service

    if name != "brochure":
        typer.echo("error: template: the shipped template is 'brochure'", err=True)
        raise typer.Exit(1)
    _, _, factory = open_db()
    with unit_of_work(factory) as session:
        survey, made = survey_service.ensure_brochure(session=session)
        survey_id, key = survey.id, survey.key
    typer.echo(f"survey {survey_id} {key} " + ("created" if made else "was there already"))


@app.command("link")
def link(survey: Annotated[str, typer.Argument(help="the survey's id or key")],
         lead: Annotated[int, typer.Option("--lead", help="the lead who answers")],
         message: Annotated[int | None, typer.Option("--message", help="the email message's id")] = None) -> None:
    """Print the lead's signed address of the survey (no login needed to answer)."""
    from leadflow.console import open_db
    from leadflow.errors import NotFound
    from leadflow.leads import service as leads_service
    from leadflow.settings import ensure_secret_key
    from leadflow.surveys import links
    from leadflow.surveys import service as survey_service

    settings, engine, factory = open_db(reads_only=True)
    with factory() as session:
        try:
            found = survey_service.find(survey, session=session)
            leads_service.get_lead(lead, session=session)
        except NotFound as exc:
            _fail(exc)
        survey_id = found.id
    typer.echo(links.survey_url(settings, survey_id, lead, message, secret_key=ensure_secret_key(settings, engine)))
