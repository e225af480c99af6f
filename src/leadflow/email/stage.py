"""The email stage as the application sees it: marketing email templates, messages, sending, bounces, unsubscribes."""

from __future__ import annotations

from leadflow import events
from leadflow.email import models
from leadflow.stage import LeadTable, OnMerge, Stage

STAGE = Stage(
    name="email",
    models=models,
    owns="marketing email: templates, messages and their sending, bounces, unsubscribes and preferences, one-off "
         "sends and A/B tests",
    publishes=frozenset({
        events.EMAIL_DELIVERED,
        events.EMAIL_BOUNCED,
        events.EMAIL_OPENED,
        events.EMAIL_CLICKED,
        events.EMAIL_UNSUBSCRIBED,
        events.EMAIL_PASS,
        events.EMAIL_BOUNCES,
        events.EMAIL_CAMPAIGN_SEND,
    }),
    unhandled={
        events.EMAIL_DELIVERED: "being built (issue 14)",
        events.EMAIL_BOUNCED: "being built (issue 14)",
        events.EMAIL_OPENED: "being built (issue 14)",
        events.EMAIL_CLICKED: "being built (issue 14)",
        events.EMAIL_UNSUBSCRIBED: "being built (issue 14)",
        events.EMAIL_PASS: "being built (issue 14)",
        events.EMAIL_BOUNCES: "being built (issue 14)",
        events.EMAIL_CAMPAIGN_SEND: "being built (issue 14)",
    },
    lead_tables=(LeadTable("email_messages", on_merge=OnMerge.KEEP,
                           why="what was sent to whom: the merged lead's history, with the address it went to"),),
)
