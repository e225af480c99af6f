"""The demo shows every feature alive: behaviour over six months, hot, warm and cold leads in realistic shares,
Sales Ready leads (some moved to SQL by the rule), a stage history with reasons, BANT answers, won and lost leads
to learn from; and every lead page it makes opens."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from leadflow import db, demo, events, outbox
from leadflow.clock import now
from leadflow.outbox import OutboxMessage
from leadflow.app import create_app
from leadflow.leads.models import Activity, Lead, StageChange
from leadflow.people import service as people_service
from leadflow.qualification.models import BantAnswer
from leadflow.scoring.predict import service as predict_service
from leadflow.tracking.models import Event
from tests.conftest import make_settings
from tests.integration.people.pages import sign_in

OPEN = ("new", "mql", "sql", "opportunity", "nurture", "recycled")


def test_the_demo_company_is_alive_with_behaviour_scores_sales_ready_and_outcomes(fresh_database):
    db.upgrade(fresh_database.url)
    engine = db.make_engine(fresh_database.url)
    factory = db.make_sessionmaker(engine)
    try:
        with factory() as session:   # a server started before the demo booked its next model run for later
            outbox.publish(session, events.PREDICT_TICK, {}, available_at=now() + timedelta(minutes=10))
            session.commit()
        report = demo.run(factory, leads=400, seed=11)
        assert report.story is not None and report.story.events > 1000
        with factory() as session:   # ... and the demo's won and lost leads bring it forward: trained now
            due = session.scalars(select(OutboxMessage.available_at).where(
                OutboxMessage.topic == events.PREDICT_TICK, OutboxMessage.done_at.is_(None))).all()
            assert len(due) == 1 and due[0] <= now()
        with factory() as session:
            kinds = set(session.scalars(select(Event.type).distinct()))
            assert {"page_view", "download", "email_open", "email_click", "form_submit", "webinar_registered",
                    "webinar_attended", "call_outcome"} <= kinds
            bands = dict(session.execute(select(Lead.band, func.count()).where(
                Lead.merged_into_id.is_(None), Lead.stage.in_(OPEN)).group_by(Lead.band)).all())
            open_leads = sum(bands.values())
            assert bands.get(None) is None  # every lead scored
            assert 0.03 <= bands["hot"] / open_leads <= 0.2 and bands["hot"] < bands["warm"] < bands["cold"]
            ready = session.scalar(select(func.count()).select_from(Lead).where(Lead.sales_ready_at.is_not(None)))
            assert ready >= 5 and ready == report.story.sales_ready
            stages = dict(session.execute(select(Lead.stage, func.count()).where(Lead.merged_into_id.is_(None))
                                          .group_by(Lead.stage)).all())
            assert stages["mql"] > 10 and stages["sql"] > 10 and stages["customer"] > 5
            assert session.scalar(select(func.count()).select_from(Lead).where(
                Lead.stage == "disqualified", Lead.disqualify_reason.is_(None))) == 0
            moved = session.scalar(select(func.count(func.distinct(StageChange.lead_id))))
            assert moved >= sum(n for stage, n in stages.items() if stage != "new") * 0.9
            assert session.scalar(select(func.count(func.distinct(BantAnswer.lead_id)))) > 50
            labelled = predict_service.outcomes(session=session)
            won = sum(1 for outcome, _ in labelled.values() if outcome == 1)
            assert won >= 10 and len(labelled) - won >= 10  # enough won and lost leads for the model
            # one lead for each kind of timeline entry the demo writes
            pages = dict(session.execute(select(Activity.kind, func.min(Activity.lead_id))
                                         .join(Lead, Lead.id == Activity.lead_id)
                                         .where(Lead.merged_into_id.is_(None)).group_by(Activity.kind)).all())
            assert {"call", "email", "meeting", "note", "stage_changed", "bant_changed", "sales_ready"} <= set(pages)
            people_service.create_user(session=session, email="look@demo.example", role="admin", name="Look",
                                       password="looking around 1")
            session.commit()
        with TestClient(create_app(make_settings(fresh_database.url), engine=engine)) as client:
            sign_in(client, "look@demo.example", "looking around 1")
            for kind, lead_id in pages.items():
                page = client.get(f"/leads/{lead_id}")
                assert page.status_code == 200 and f"activity kind-{kind}" in page.text, kind
                assert client.get(f"/leads/{lead_id}/score", headers={"HX-Request": "true"}).status_code == 200
            hot = client.get("/leads", params={"band": "hot", "sort": "score"})
            assert hot.status_code == 200 and "No lead matches" not in hot.text
    finally:
        engine.dispose()
