"""The funnel dashboard as a page and as htmx partials (every count linking to the leads behind it), its CSV, and
`leadflow analytics funnel | cohorts | split | attribution` on a database of their own."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from leadflow import clock, db
from leadflow.analytics import funnel_cli
from tests.conftest import make_settings
from tests.integration.analytics.story import DAY, Story, moment
from tests.integration.people.factories import person
from tests.integration.people.pages import sign_in

T0 = moment("2026-01-05 09:00")
NOW = moment("2026-06-01 12:00")
JANUARY = "from=2026-01-01&to=2026-01-31"


def _tell(story: Story, factory) -> dict:
    """a: MQL at +1, SQL at +3; b: disqualified at +1 (spam); c: new. All in January."""
    a = story.lead(T0, email="a@pages.example", campaign="PAGES")
    story.move(a, T0 + DAY, "mql")
    story.move(a, T0 + 3 * DAY, "sql")
    b = story.lead(T0 + DAY, email="b@pages.example")
    story.move(b, T0 + 2 * DAY, "disqualified", reason="spam")
    c = story.lead(T0 + 2 * DAY, email="c@pages.example")
    story.refresh(factory, NOW)
    return {"a": a, "b": b, "c": c}


def test_the_page_shows_each_table_and_links_every_count_to_the_leads_behind_it(client, story, factory):
    leads = _tell(story, factory)
    marketer = person(factory, "marketing")
    assert sign_in(client, marketer.email).status_code in (302, 303)
    page = client.get(f"/dashboards/funnel?{JANUARY}")
    assert page.status_code == 200, page.text
    html = page.text
    for title in ("Funnel", "Cohorts by month of coming in", "against 25/25/50", "Attribution"):
        assert title in html
    assert 'href="/dashboards/leads?from=2026-01-01&amp;to=2026-01-31&amp;step=leads"' in html
    assert 'href="/dashboards/leads?from=2026-01-01&amp;to=2026-01-31&amp;step=sqls"' in html
    assert "group=month&amp;key=2026-01-01&amp;step=mqls" in html
    assert "{# chart" not in html  # the charts' spots are template comments
    behind = story.get("/api/v1/analytics/leads", **{"from": "2026-01-01", "to": "2026-01-31", "group": "month",
                                                      "key": "2026-01-01", "step": "mqls"})
    assert behind.status_code == 200 and [lead["id"] for lead in behind.json()["leads"]] == [leads["a"]]

    part = client.get(f"/dashboards/funnel/split?{JANUARY}&days=7", headers={"HX-Request": "true"})
    assert part.status_code == 200 and "<html" not in part.text and 'id="split-part"' in part.text
    assert 'id="funnel-part"' not in part.text
    whole = client.get(f"/dashboards/funnel/split?{JANUARY}")
    assert whole.status_code == 200 and "<html" in whole.text and 'id="funnel-part"' in whole.text

    exported = client.get(f"/dashboards/funnel/cohorts/export?{JANUARY}")
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert exported.text.splitlines()[1].startswith("2026-01,3,1,1,0,0,")

    bad = client.get("/dashboards/funnel?from=2026-02-30&to=2026-03-01")
    assert bad.status_code == 422 and "from" in bad.text
    bad_part = client.get("/dashboards/funnel/split?days=0", headers={"HX-Request": "true"})
    assert bad_part.status_code == 422 and "days" in bad_part.text
    assert client.get("/dashboards/funnel/nothing", headers={"HX-Request": "true"}).status_code == 404


def test_a_salesperson_sees_their_own_leads_on_the_page(client, story, factory):
    leads = _tell(story, factory)
    rep = person(factory, "sales_rep")
    story.owner(leads["a"], rep.id)
    story.refresh(factory, NOW)
    assert sign_in(client, rep.email).status_code in (302, 303)
    part = client.get(f"/dashboards/funnel/funnel?{JANUARY}", headers={"HX-Request": "true"})
    assert part.status_code == 200
    assert 'step=leads" title="The 1 lead(s) behind this figure">1</a>' in part.text


@pytest.fixture
def cli_db(fresh_database, monkeypatch):
    from leadflow.settings import get_settings

    db.upgrade(fresh_database.url)
    monkeypatch.setenv("LEADFLOW_DATABASE_URL", fresh_database.url)
    monkeypatch.setenv("LEADFLOW_SECRET_KEY", "test-secret-" + "x" * 40)
    get_settings.cache_clear()
    yield fresh_database
    get_settings.cache_clear()
    clock.set_clock(None)


def test_the_commands_print_the_tables(cli_db):
    from leadflow.app import create_app
    from leadflow.people import service as people_service

    engine = db.make_engine(cli_db.url)
    factory = db.make_sessionmaker(engine)
    with factory() as session:
        _, key = people_service.create_api_key(session=session, name="cli tests")
        session.commit()
    with TestClient(create_app(make_settings(cli_db.url), engine=engine)) as client:
        _tell(Story(client, {"Authorization": f"Bearer {key}"}), factory)

    def run(*args):
        result = CliRunner().invoke(funnel_cli.app, [*args, "--from", "2026-01-01", "--to", "2026-01-31"],
                                    catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    shown = run("funnel")
    assert "Leads that came in from 2026-01-01 to 2026-01-31" in shown
    assert [line.split()[:2] for line in shown.splitlines()[2:4]] == [["Leads", "3"], ["MQLs", "1"]]
    assert run("cohorts").splitlines()[2].split()[:2] == ["2026-01", "3"]
    split = run("split")
    assert "Sales Ready at once" in split and "Discarded at once" in split
    assert run("attribution").splitlines()[0].startswith("1 lead(s) became an SQL")
    assert run("attribution", "--csv").splitlines()[0].startswith("key,label,leads,conversions_first_touch")
    bad = CliRunner().invoke(funnel_cli.app, ["attribution", "--goal", "mql"])
    assert bad.exit_code == 1 and "goal: one of sql, revenue" in bad.output
    engine.dispose()
