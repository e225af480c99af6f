"""The demo's campaigns on every channel with their costs, and the hosted forms that capture for them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadflow.campaigns import service as campaigns_service
from leadflow.campaigns.models import Campaign
from leadflow.capture.forms import service as form_service
from leadflow.capture.forms.schemas import FormCreate
from leadflow.capture.models import Form
from leadflow.demo.progress import Report
from leadflow.errors import Conflict


CAMPAIGNS = (
    ("Website brochure requests", "web-brochure", "web", "form", "website", "organic", "Product brochure",
     6, 6, 1200, 16),
    ("Trade fair: Elektrotechniek Utrecht", "fair-elektro-utrecht", "trade_fair", "trade_fair", "elektrotechniek",
     "event", "Free site survey", 5, 1, 38000, 9),
    ("Trade fair: Nor-Shipping Oslo", "fair-nor-shipping", "trade_fair", "trade_fair", "nor-shipping", "event",
     "Demo on the stand", 3, 1, 42000, 7),
    ("Telemarketing: installers NL/DE", "tm-installers", "telemarketing", "telemarketing", "call centre", "phone",
     "Energy check", 4, 3, 9500, 8),
    ("Newsletter: energy savings", "email-energy-news", "email", "email", "newsletter", "email",
     "Energy savings guide", 6, 6, 800, 12),
    ("LinkedIn: facility managers", "social-linkedin-fm", "social", "social", "linkedin", "paid_social",
     "Whitepaper: smart buildings", 4, 3, 6500, 11),
    ("Google Ads: industrial controls", "search-google-controls", "paid_search", "paid_search", "google", "cpc",
     "Price list", 6, 6, 5200, 15),
    ("Bought list: UK construction", "list-uk-construction", "other", "list", "bisnode", "list",
     "Catalogue", 2, 1, 7800, 8),
    ("Webinar: heat pumps for installers", "webinar-heat-pumps", "web", "webinar", "webinar", "webinar",
     "Live webinar", 2, 1, 3000, 8),
    ("Webinar: smart buildings", "webinar-smart-buildings", "web", "webinar", "webinar", "webinar",
     "Live webinar", 1, 1, 2600, 6),
)


@dataclass
class Plan:
    id: int
    code: str
    capture_channel: str
    starts: datetime
    ends: datetime
    share: int


def plan_campaigns(session: Session, rng: random.Random, moment: datetime, report: Report) -> list[Plan]:
    plans = []
    today = moment.date()
    for (name, code, channel, capture_channel, source, medium, offer, months_ago, months, monthly,
         share) in CAMPAIGNS:
        starts = today - timedelta(days=30 * months_ago)
        ends = min(today, starts + timedelta(days=30 * months - 1))
        campaign = session.scalar(select(Campaign).where(Campaign.code == code, Campaign.name == name))
        found = campaign is not None
        try:
            campaign = campaign or campaigns_service.create(session=session, values={
                "name": name, "code": code, "channel": channel, "source": source, "medium": medium, "offer": offer,
                "starts_on": starts, "ends_on": ends, "budget": Decimal(monthly * months), "currency": "EUR"})
        except Conflict:
            code = f"{code}-{rng.randrange(1000, 9999)}"
            campaign = campaigns_service.create(session=session, values={
                "name": name, "code": code, "channel": channel, "source": source, "medium": medium, "offer": offer,
                "starts_on": starts, "ends_on": ends, "budget": Decimal(monthly * months), "currency": "EUR"})
        for month in range(months):
            spent_on = starts + timedelta(days=30 * month + rng.randrange(0, 20))
            if spent_on > today:
                break
            amount = Decimal(monthly) * Decimal(rng.uniform(0.8, 1.15))
            if found:  # its costs came with it
                continue
            campaigns_service.add_cost(session=session, campaign=campaign, spent_on=spent_on,
                                       amount=amount.quantize(Decimal("0.01")), currency="EUR",
                                       note="Stand, travel and printing" if channel == "trade_fair" else
                                       f"Invoice {spent_on:%B %Y}")
        start_at = datetime.combine(starts, datetime.min.time(), tzinfo=moment.tzinfo)
        end_at = min(moment, datetime.combine(ends, datetime.max.time(), tzinfo=moment.tzinfo))
        if channel == "trade_fair":  # most leads in the days of the fair and the week after
            end_at = min(moment, start_at + timedelta(days=10))
        plans.append(Plan(campaign.id, code, capture_channel, start_at, end_at, share))
        report.campaigns += 1
    return plans


def publish_forms(session: Session, campaigns: list[Plan]) -> list[str]:
    """Hosted forms at /f/{slug}: a brochure request (English and Dutch) and a webinar registration."""
    codes = {plan.code.split("-")[0] + "-" + plan.code.split("-")[1]: plan.code for plan in campaigns}
    definitions = [
        {"name": "Brochure request", "default_language": "en", "languages": ["nl"],
         "title": {"en": "Get the product brochure", "nl": "Vraag de productbrochure aan"},
         "submit_label": {"en": "Send me the brochure", "nl": "Stuur mij de brochure"},
         "campaign": codes.get("web-brochure"),
         "fields": [
             {"maps_to": "first_name", "required": True, "label": {"en": "First name", "nl": "Voornaam"}},
             {"maps_to": "last_name", "required": True, "label": {"en": "Last name", "nl": "Achternaam"}},
             {"maps_to": "email", "required": True, "label": {"en": "Work email", "nl": "Zakelijk e-mailadres"}},
             {"maps_to": "company", "label": {"en": "Company", "nl": "Bedrijf"}},
             {"maps_to": "job_title", "label": {"en": "Job title", "nl": "Functie"}},
             {"maps_to": "phone", "label": {"en": "Phone", "nl": "Telefoon"}}],
         "consents": [{"purpose": "newsletter", "text": {
             "en": "Send me the monthly newsletter on energy savings",
             "nl": "Stuur mij de maandelijkse nieuwsbrief over energiebesparing"}}]},
        {"name": "Webinar registration", "default_language": "en",
         "title": {"en": "Register for the webinar: heat pumps for installers"},
         "campaign": codes.get("webinar-heat"),
         "fields": [
             {"maps_to": "first_name", "required": True, "label": {"en": "First name"}},
             {"maps_to": "last_name", "required": True, "label": {"en": "Last name"}},
             {"maps_to": "email", "required": True, "label": {"en": "Email"}},
             {"maps_to": "company", "required": True, "label": {"en": "Company"}},
             {"maps_to": "country", "label": {"en": "Country"}}]},
    ]
    slugs = []
    for values in definitions:
        values = FormCreate.model_validate({k: v for k, v in values.items() if v is not None}).model_dump()
        found = session.scalar(select(Form).where(Form.name == values["name"]).order_by(Form.id).limit(1))
        slugs.append((found or form_service.create(session=session, values=values)).slug)
    return slugs
