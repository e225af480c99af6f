"""The scorecard page as its users work it: a manager sees their team's reps with flags in words, picks a row for
the money table, exports CSV and edits the norms; a rep sees their own row only; a telemarketer cannot open it."""

from __future__ import annotations

import pytest

from leadflow import clock
from tests.integration.followup.test_scorecard import MARCH, NOW, story  # noqa: F401  (the same small case)
from tests.integration.people.factories import person
from tests.integration.people.pages import form_token, sign_in


@pytest.fixture(autouse=True)
def frozen():
    clock.set_clock(lambda: NOW)
    yield
    clock.set_clock(None)


def test_a_manager_sees_flags_in_words_the_money_table_and_edits_norms(client, story):  # noqa: F811
    a, c = story["a"], story["c"]
    sign_in(client, story["manager"].email)
    page = client.get("/scorecard", params={**MARCH, "group": "rep"})
    assert page.status_code == 200, page.text
    assert "Scorecard" in page.text and 'href="/scorecard"' in page.text  # in the navigation
    assert a.email in page.text and c.email not in page.text  # C is in another team
    assert "below norm" in page.text and "above norm" in page.text  # A: followed up 50 %, overdue 50 %
    assert f'href="/leads?owner={a.id}"' not in page.text  # a count of hand-overs is not the owner's inbox

    chosen = client.get("/scorecard", params={**MARCH, "group": "rep", "row": a.id})
    assert "30,000.00" in chosen.text and "60,000.00" in chosen.text  # A: 4 leads x 15,000 per followed-up lead

    csv = client.get("/scorecard/export", params={**MARCH, "group": "team"})
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert ",North," in csv.text and ",South," not in csv.text

    token = form_token(client, "/scorecard")
    bad = client.post("/scorecard/norms", data={"csrf_token": token, "norm_won_pct": "300"})
    assert bad.status_code == 422 and "a percentage from 0 to 100" in bad.text
    saved = client.post("/scorecard/norms", data={"csrf_token": token, "norm_followed_up_pct": "40",
                                                  "norm_overdue_pct": "60"}, follow_redirects=False)
    assert saved.status_code == 303
    after = client.get("/scorecard", params={**MARCH, "group": "rep", "row": a.id})
    assert "below norm" in after.text  # quote made 25 % < 80 % still
    assert "above norm" not in after.text


def test_a_rep_sees_their_own_row_and_no_norm_form(client, story):  # noqa: F811
    a, b = story["a"], story["b"]
    sign_in(client, a.email)
    page = client.get("/scorecard", params={**MARCH, "group": "rep"})
    assert page.status_code == 200
    assert a.email in page.text and b.email not in page.text
    assert 'action="/scorecard/norms"' not in page.text
    assert client.post("/scorecard/norms", data={"csrf_token": form_token(client, "/scorecard"),
                                                 "norm_won_pct": "1"}).status_code == 403


def test_bad_dates_say_why_and_a_telemarketer_cannot_open_the_page(client, factory):
    manager = person(factory, "sales_manager")
    sign_in(client, manager.email)
    page = client.get("/scorecard", params={"period": "custom", "from": "2026-03-31", "to": "2026-03-01"})
    assert page.status_code == 422 and "the end of the period comes before its start" in page.text
    sign_in(client, person(factory, "telemarketer").email)
    assert client.get("/scorecard").status_code == 403
