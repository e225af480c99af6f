"""The inbox's columns: a few always there, a default set, and a column chooser (`columns`) that the address,
the sort links and saved views carry; the table never asks for more width than the page has (browser tests)."""

from __future__ import annotations

import re

from tests.integration.people.factories import lead, person
from tests.integration.people.pages import form_token, sign_in


def _headings(html: str) -> list[str]:
    return re.findall(r'<th scope="col" class="col-(\w+)', html)


def test_the_default_columns_keep_the_table_narrow(client, auth, factory):
    lead(client, auth, first_name="Ida", company="Fjord AS", email="ida@fjord.example", job_title="Buyer")
    sign_in(client, person(factory, "marketing").email)
    page = client.get("/leads").text
    assert _headings(page) == ["name", "company", "country", "stage", "score", "owner", "campaign", "created"]
    assert '<span class="sub email">ida@fjord.example</span>' in page  # the email under the name, not a column
    assert "Buyer" not in page.split("<tbody>")[1]


def test_the_column_chooser_picks_columns_that_links_and_saved_views_keep(client, auth, factory):
    lead(client, auth, first_name="Ida", job_title="Buyer")
    sign_in(client, person(factory, "marketing").email)
    page = client.get("/leads", params=[("columns", "name"), ("columns", "job_title"), ("columns", "updated")]).text
    assert _headings(page) == ["name", "job_title", "stage", "score", "updated"]
    assert "Buyer" in page.split("<tbody>")[1]
    assert "columns=name%2Cjob_title%2Cupdated" in page  # the sort links keep the choice
    assert re.search(r'value="job_title" aria-label="Show the column Job title" checked', page)
    token = form_token(client, "/leads")
    saved = client.post("/leads/views", data={"csrf_token": token, "name": "Titles",
                                              "query": "columns=name%2Cjob_title"}, follow_redirects=False)
    assert saved.status_code == 303 and "columns=name%2Cjob_title" in saved.headers["location"]
    assert "/leads?columns=name%2Cjob_title" in client.get("/leads").text


def test_an_unknown_column_is_refused_beside_the_chooser(client, factory):
    sign_in(client, person(factory, "marketing").email)
    r = client.get("/leads", params={"columns": "salary"})
    assert r.status_code == 422 and "Columns: Unknown column “salary”" in r.text
    assert "data-keep-open" in r.text  # the filters stay open to show why
