"""`leadflow demo`: an empty database filled with a working company; a database with leads is refused."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from leadflow import db
from leadflow.app import create_app
from leadflow.campaigns.models import Campaign, CampaignCost
from leadflow.capture.models import Capture, Form
from leadflow.followup.models import Contact, Followup, Task
from leadflow.leads.lifecycle import WORKED
from leadflow.leads.models import Activity, Company, Lead
from leadflow.people import roles
from leadflow.people import service as people_service
from leadflow.people.models import CallListLead, User
from leadflow.pipeline.models import Opportunity, Quote
from tests.conftest import make_settings
from tests.integration.live import run_cli
from tests.integration.people.pages import sign_in


def _count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


def test_demo_fills_an_empty_database_and_refuses_a_second_run(fresh_database):
    url = fresh_database.url
    assert run_cli(url, "migrate").returncode == 0
    result = run_cli(url, "demo", "--leads", "300", "--seed", "7")
    assert result.returncode == 0, result.stderr
    password = re.search(r"password for all of them: (\S+)", result.stderr).group(1)

    engine = db.make_engine(url)
    factory = db.make_sessionmaker(engine)
    try:
        with factory() as session:
            assert 280 <= _count(session, Lead, Lead.merged_into_id.is_(None)) <= 300
            assert len(set(session.scalars(select(Lead.country).distinct()))) == 6
            assert _count(session, Capture) >= 300
            assert _count(session, Company, Company.parent_id.is_not(None)) >= 20
            assert _count(session, CampaignCost) >= 10
            channels = set(session.scalars(select(Campaign.channel)))
            assert {"web", "email", "telemarketing", "trade_fair", "social", "paid_search"} <= channels
            assert set(session.scalars(select(User.role))) == set(roles.ROLES)
            kinds = set(session.scalars(select(Activity.kind).distinct()))
            assert {"captured", "call", "email", "meeting", "note"} <= kinds
            oldest = session.scalar(select(func.min(Activity.occurred_at)))
            newest = session.scalar(select(func.max(Lead.created_at)))
            assert (newest - oldest).days > 90
            assert len(set(session.scalars(select(Lead.stage)))) >= 6
            assert _count(session, Lead, Lead.owner_id.is_not(None)) > 50
            assert _count(session, CallListLead) > 0
            assert _count(session, Form) == 2
            # The sales follow-up: hand-overs, most followed up, open ones only on leads sales still works.
            assert _count(session, Followup) > 30 and _count(session, Contact) > 20
            assert _count(session, Opportunity) > 5 and _count(session, Quote) > 0
            open_stages = set(session.scalars(select(Lead.stage).join(Followup, Followup.lead_id == Lead.id)
                                              .where(Followup.status == "open")))
            assert open_stages <= set(WORKED)
            task_stages = set(session.scalars(select(Lead.stage).join(Task, Task.lead_id == Lead.id)
                                              .where(Task.status == "open")))
            assert task_stages <= set(WORKED)
            rep = session.scalar(select(User).where(User.role == roles.SALES_REP).order_by(User.id))
            _, key = people_service.create_api_key(session=session, name="test")
            session.commit()

        app = create_app(make_settings(url))
        with TestClient(app) as client:
            listed = client.get("/api/v1/leads", headers={"Authorization": f"Bearer {key}"}, params={"limit": 5})
            assert listed.status_code == 200 and len(listed.json()["items"]) == 5
            assert sign_in(client, rep.email, password).status_code == 303
            assert client.get("/companies").status_code == 200

        again = run_cli(url, "demo", "--leads", "300")
        assert again.returncode == 2
        assert "the demo data is there already" in again.stderr
        with factory() as session:
            assert _count(session, Lead, Lead.merged_into_id.is_(None)) <= 300
    finally:
        engine.dispose()
