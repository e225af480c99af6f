"""`leadflow webhook create|list|deliveries|replay`: endpoints (webhooks and CRM connectors) and their deliveries."""

from __future__ import annotations

from typing import Annotated

import typer

from leadflow.errors import Conflict, Invalid, NotFound

app = typer.Typer(help="Outbound webhooks and CRM connectors (HubSpot, Salesforce).", no_args_is_help=True)


def _fail(exc: Exception) -> None:
    typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(1)


@app.command("create")
def create(
    url: Annotated[str, typer.Option("--url", help="the webhook's URL, or the CRM's base URL")],
    events: Annotated[str | None, typer.Option("--events", help="comma-separated event names, or * for all")] = None,
    secret: Annotated[str | None, typer.Option("--secret", help="webhooks: the signing secret (generated and "
                                                                "printed once when not given)")] = None,
    kind: Annotated[str, typer.Option("--kind", help="webhook, hubspot or salesforce")] = "webhook",
    token: Annotated[str | None, typer.Option("--token", help="connectors: the CRM's access token")] = None,
    name: Annotated[str | None, typer.Option("--name", help="a name to know it by")] = None,
    api_version: Annotated[str | None, typer.Option("--api-version", help="Salesforce: e.g. v60.0")] = None,
    external_id_field: Annotated[str | None, typer.Option(
        "--external-id-field", help="Salesforce: the Lead's external id field, e.g. Leadflow_Id__c")] = None,
) -> None:
    """Create an endpoint; events are sent to it from now on."""
    from leadflow.console import open_db
    from leadflow.db import unit_of_work
    from leadflow.handoff import payloads
    from leadflow.handoff import service as handoff_service

    names = [n.strip() for n in events.split(",") if n.strip()] if events is not None else None
    options = {k: v for k, v in (("api_version", api_version), ("external_id_field", external_id_field)) if v}
    if kind == payloads.WEBHOOK and token is not None:
        _fail(Invalid.one("token", "a webhook has a --secret, not a --token"))
    if kind != payloads.WEBHOOK and secret is not None:
        _fail(Invalid.one("secret", "a connector has a --token, not a --secret"))
    _, _, factory = open_db()
    try:
        with unit_of_work(factory) as session:
            endpoint, generated = handoff_service.create_endpoint(
                session=session, url=url, events=names, kind=kind, name=name,
                secret=secret if kind == payloads.WEBHOOK else token, options=options, actor="cli")
    except (Invalid, Conflict, NotFound) as exc:
        _fail(exc)
    typer.echo(f"endpoint {endpoint.id} created: {endpoint.kind} {endpoint.url} ({', '.join(endpoint.events)})",
               err=True)
    if generated:
        typer.echo("the generated signing secret (shown only now) is on stdout", err=True)
        typer.echo(generated)


@app.command("list")
def list_endpoints() -> None:
    """Every endpoint: id, kind, name, url, events, active, secret set, deliveries by status."""
    from leadflow.console import open_db
    from leadflow.handoff import queries as handoff_queries
    from leadflow.handoff import signing

    _, _, factory = open_db(reads_only=True)
    with factory() as session:
        counts = handoff_queries.counts(session=session)
        for e in handoff_queries.endpoints(session=session):
            tally = " ".join(f"{k}={v}" for k, v in sorted(counts.get(e.id, {}).items())) or "-"
            typer.echo("\t".join([str(e.id), e.kind, e.name, e.url, ",".join(e.events),
                                  "active" if e.active else "inactive", signing.last4(e.secret), tally]))


@app.command("deliveries")
def deliveries(
    status: Annotated[str | None, typer.Option("--status", help="pending, failed, delivered or dead")] = None,
    endpoint: Annotated[int | None, typer.Option("--endpoint", help="one endpoint's id")] = None,
    limit: Annotated[int, typer.Option("--limit")] = 50,
) -> None:
    """The delivery log, newest first: delivery id, endpoint, event, lead, status, attempts, last code and error."""
    from leadflow.console import open_db
    from leadflow.handoff import payloads
    from leadflow.handoff import queries as handoff_queries

    if status is not None and status not in payloads.STATUSES:
        _fail(Invalid.one("status", f"must be one of {', '.join(payloads.STATUSES)}"))
    _, _, factory = open_db(reads_only=True)
    with factory() as session:
        for d in handoff_queries.deliveries(session=session, status=status, endpoint_id=endpoint, limit=limit):
            typer.echo("\t".join([d.delivery_id, str(d.endpoint_id), d.event, str(d.lead_id or "-"), d.status,
                                  str(d.attempts), str(d.last_status_code or "-"),
                                  (d.last_error or "-").replace("\n", " ")[:200]]))


@app.command("replay")
def replay(delivery_id: Annotated[str, typer.Argument(help="the X-Leadflow-Delivery id")]) -> None:
    """Send a delivery again, with the same delivery id and body (the worker sends it)."""
    from leadflow.console import open_db
    from leadflow.db import unit_of_work
    from leadflow.handoff import service as handoff_service

    _, _, factory = open_db()
    try:
        with unit_of_work(factory) as session:
            delivery = handoff_service.replay(delivery_id, session=session)
    except (Conflict, NotFound) as exc:
        _fail(exc)
    typer.echo(f"delivery {delivery.delivery_id} queued again (attempts so far: {delivery.attempts})", err=True)
