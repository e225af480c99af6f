"""The qualification stage as the application sees it: BANT answers, fit and grade, the Sales Ready rule."""

from __future__ import annotations

from leadflow import events
from leadflow.qualification import models
from leadflow.stage import LeadTable, NavEntry, OnMerge, Routes, Stage


def routers() -> list[Routes]:
    from leadflow.qualification import api, views

    return [Routes(api.router), Routes(views.router)]


def handlers() -> dict:
    from leadflow.qualification import jobs

    return {events.LEAD_UPDATED: jobs.lead_changed, events.LEAD_CAPTURED: jobs.lead_changed,
            events.LEAD_RECAPTURED: jobs.lead_changed, events.LEADS_MERGED: jobs.leads_merged,
            events.LEADS_UNMERGED: jobs.leads_unmerged,
            events.SCORING_RESCORED: jobs.start_check, events.SALES_READY_CHECK: jobs.check_chunk}


def hooks() -> dict:
    from leadflow.qualification import service

    # A lead edited on its page (leads, a bottom stage) has its fit, grade and Sales Ready brought up to date in the
    # same request; the inbox's CSV export and `leadflow export leads` carry qualification's columns.
    return {"lead_edited": service.fields_changed, "lead_export_columns": service.export_columns(),
            "bant_values": service.bant_values}  # what scoring's fit rules and predictions read of BANT


STAGE = Stage(
    name="qualification",
    owns="BANT answers, fit and grade, the Sales Ready rule and its verdicts",
    models=models,
    routers=routers,
    navigation=(NavEntry("Sales Ready", "/settings/sales-ready", "qualification:rule", order=100),),
    handlers=handlers,
    subscribes=frozenset({events.LEAD_UPDATED, events.LEAD_CAPTURED, events.LEAD_RECAPTURED, events.LEADS_MERGED,
                          events.LEADS_UNMERGED, events.SCORING_RESCORED, events.SALES_READY_CHECK}),
    publishes=frozenset({events.SALES_READY_CHECK, events.LEAD_SALES_READY}),
    lead_tables=(LeadTable("bant_answers", on_merge=OnMerge.MOVE, why="what the person answered"),),
    hooks=hooks,
    template_package="leadflow.qualification",
)
