"""What one-off sends and A/B tests add to the email stage's declaration (stage.py): their routes, commands, the
worker handler of email.campaign_send and the navigation entry. Kept apart so the stage's file only lists them."""

from __future__ import annotations

from leadflow import events
from leadflow.stage import Routes

SUBSCRIBES = frozenset({events.EMAIL_CAMPAIGN_SEND})


def routers() -> list[Routes]:
    from leadflow.email import sends_api, sends_views

    return [Routes(sends_api.router), Routes(sends_views.router)]


def mount_commands(app) -> None:
    """Put `send`, `sends`, `results`, `cancel`, `experiment` and `ab-test` on the email command group (once)."""
    from leadflow.email import sends_cli

    if not getattr(app, "_sends_mounted", False):
        sends_cli.mount(app)
        app._sends_mounted = True


def handlers() -> dict:
    from leadflow.email import sends_jobs

    return dict(sends_jobs.HANDLERS)
