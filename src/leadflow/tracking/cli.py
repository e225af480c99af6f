"""`leadflow tracking link --lead ID --url URL`: a signed click address and open pixel for a lead (for emails
sent elsewhere, tests and integrators)."""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(help="Behaviour tracking: signed email links.", no_args_is_help=True)


@app.command("link")
def link(lead: Annotated[int, typer.Option("--lead", help="the lead the email goes to")],
         url: Annotated[str, typer.Option("--url", help="where the click leads (http or https)")],
         campaign: Annotated[int | None, typer.Option("--campaign", help="the email campaign's id")] = None,
         message: Annotated[str | None, typer.Option("--message", help="the message's id")] = None) -> None:
    """Print a click address that records email_click and redirects to URL, and the open pixel's address."""
    from leadflow.console import open_db
    from leadflow.settings import ensure_secret_key
    from leadflow.tracking import email_service

    settings, engine, _ = open_db()
    secret = ensure_secret_key(settings, engine)
    try:
        click = email_service.click_url(settings.base_url, secret, lead, url, campaign_id=campaign,
                                           message_id=message)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"click: {click}")
    typer.echo(f"open:  {email_service.open_url(settings.base_url, secret, lead, campaign_id=campaign, message_id=message)}")
