"""The scoring service on a real database: live scoring of events, fit rescoring, full rescoring."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from leadflow import clock
from leadflow.leads.models import Lead
from leadflow.scoring import service as scoring_service
from leadflow.scoring.models import LeadScore
from leadflow.tracking.models import Event

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def frozen():
    moment = {"now": NOW}
    clock.set_clock(lambda: moment["now"])
    yield moment
    clock.set_clock(None)


def _lead(session, **fields) -> Lead:
    fields.setdefault("email", f"x{id(fields)}@acme.example")
    lead = Lead(**fields)
    session.add(lead)
    session.flush()
    return lead


def _events(session, lead_id, *specs) -> list[Event]:
    events = [Event(lead_id=lead_id, type=t, occurred_at=at, received_at=at, source="api", properties=props)
              for t, props, at in specs]
    session.add_all(events)
    session.flush()
    return events


def test_pricing_page_view_scores_the_lead_at_once_and_explains_why(session, frozen):
    lead = _lead(session, job_title="Marketing Manager")
    changed = scoring_service.score_events(_events(
        session, lead.id, ("page_view", {"url": "https://acme.example/pricing"}, NOW)), session=session)
    assert changed == {lead.id}
    # manager 8 fit; page view 1 + pricing 10 behaviour
    assert lead.score == 19 and lead.grade == "D" and lead.band == "cold"
    rules_hit = [reason["rule"] for reason in lead.score_explanation]
    assert rules_hit[0] == "pricing-page" and "seniority-manager" in rules_hit
    row = session.get(LeadScore, lead.id)
    assert row.behaviour == 11 and row.fit == 8


def test_behaviour_points_halve_after_the_half_life_and_old_events_arrive_decayed(session, frozen):
    lead = _lead(session)
    scoring_service.score_events(_events(session, lead.id, ("webinar_attended", {}, NOW)), session=session)
    assert lead.score == 20
    frozen["now"] = NOW + timedelta(days=30)
    scoring_service.score_events(_events(session, lead.id, ("webinar_registered", {}, NOW - timedelta(days=30))),
                                 session=session)
    # 20 halved to 10, plus 10 points a month older than the first: 10 * 2^-1 = 5 as of NOW, then halved: 2.5
    assert lead.score == round(10 + 2.5)


def test_fit_rescore_keeps_behaviour_and_moves_the_grade(session, frozen):
    lead = _lead(session, job_title="Intern")
    scoring_service.score_events(_events(session, lead.id, ("form_submit", {}, NOW)), session=session)
    assert lead.grade == "D" and lead.score == 0  # -20 + 10, never below zero
    lead.job_title = "CEO"
    lead.custom_fields = {"employees": "1,200"}
    session.flush()
    changed = scoring_service.rescore_fit([lead.id], session=session, bant={lead.id: {"budget": "yes", "need": "crm",
                                                                             "timeline": "Q1"}})
    assert changed == {lead.id}
    assert lead.grade == "A"  # 25 + 15 + 12
    assert lead.score == 25 + 15 + 12 + 10


def test_rescore_from_history_matches_live_scoring(session, frozen):
    lead = _lead(session, job_title="Director of IT")
    events = _events(session, lead.id, *[("page_view", {"url": f"https://a.example/p{i}"}, NOW - timedelta(hours=i))
                                          for i in range(15)], ("download", {"name": "Case study"}, NOW))
    scoring_service.score_events(events, session=session)
    live = (lead.score, lead.grade, lead.band)
    scoring_service.rescore_leads([lead.id], session=session)
    session.refresh(lead)
    assert (lead.score, lead.grade, lead.band) == live
