"""The capture stage as the application sees it: every channel a lead comes in by, forms and imports."""

from __future__ import annotations

from leadflow import events
from leadflow.capture import models
from leadflow.stage import Command, LeadTable, NavEntry, OnMerge, Routes, Stage


def routers() -> list[Routes]:
    from leadflow.capture import api, views
    from leadflow.capture.forms import channel as forms_channel
    from leadflow.capture.forms import views as form_views
    from leadflow.capture.imports import channel as imports_channel
    from leadflow.capture.imports import views as import_views
    from leadflow.capture.channels import api as channel_api
    from leadflow.capture.channels import (
        compat_google_ads,
        compat_hubspot,
        compat_mautic,
        compat_meta,
        compat_salesforce,
        floor,
    )

    modules = (channel_api, forms_channel, imports_channel, api, compat_salesforce, compat_hubspot, compat_meta,
               compat_mautic, compat_google_ads, views, form_views, import_views)
    return [*(Routes(module.router) for module in modules), Routes(floor.router, setting="bench_floor")]


def commands() -> list[Command]:
    from leadflow.capture import cli

    return [Command(("export", "captures"), cli.export_captures), Command("import", cli.import_file)]


def handlers() -> dict:
    from leadflow.capture import jobs

    return {events.IMPORT_RUN: jobs.run_import, events.CAPTURE_RETRY: jobs.retry_pending}


def schedules() -> list:
    from leadflow.capture import jobs

    return [jobs.ensure_scheduled]


def hooks() -> dict:
    from leadflow.capture import queries

    # What tracking (below) reads of the forms: the origins whose pages may send beacons.
    return {"form_origins": queries.form_origins}


STAGE = Stage(
    name="capture",
    owns="every channel a lead arrives by (API, forms, imports, ad platforms' webhooks) and the capture log",
    models=models,
    routers=routers,
    navigation=(NavEntry("Quick entry", "/leads/new", "leads:create", order=30),
                NavEntry("Forms", "/forms", "forms:read", order=60),
                NavEntry("Imports", "/imports", "imports:read", order=70)),
    commands=commands,
    handlers=handlers,
    subscribes=frozenset({events.IMPORT_RUN, events.CAPTURE_RETRY}),
    schedules=schedules,
    publishes=frozenset({events.LEAD_CAPTURED, events.LEAD_RECAPTURED, events.CAPTURE_RETRY, events.IMPORT_RUN}),
    lead_tables=(LeadTable("captures", on_merge=OnMerge.MOVE, why="the submissions the person made"),),
    template_package="leadflow.capture",
    hooks=hooks,
)
