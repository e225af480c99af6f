"""Charts as the server sends them: Chart.js served by leadflow itself as JavaScript; the scorecard's charts carry
the figures of its tables (in their JSON and in their own table), their norms, and text that cannot end the JSON
block; pages without charts load no chart script."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from leadflow import clock
from tests.integration.followup import factories as f
from tests.integration.followup.test_scorecard import MARCH, NOW, story  # noqa: F401  (the same small case)
from tests.integration.people.factories import person
from tests.integration.people.pages import sign_in

FIGURE = re.compile(r'<figure class="chart chart-(\w+)" id="([\w-]+)".*?</figure>', re.DOTALL)
DATA = re.compile(r'<script type="application/json" class="chart-data">(.*?)</script>', re.DOTALL)
CANVAS = re.compile(r'<canvas id="([\w-]+)-canvas" class="chart-canvas" role="img" aria-label="([^"]+)">')
ROW = re.compile(r'<tr>\s*<th scope="row">(?:<a href="[^"]*">)?(.*?)(?:</a>)?</th>\s*(.*?)</tr>', re.DOTALL)
CELL = re.compile(r'<td class="num" data-value="([^"]*)">([^<]*)</td>')


@pytest.fixture(autouse=True)
def frozen():
    clock.set_clock(lambda: NOW)
    yield
    clock.set_clock(None)


def charts(html: str) -> dict[str, dict]:
    """Each chart of a page by its id: its kind, its JSON, its canvas's label and its table's rows."""
    found = {}
    for match in FIGURE.finditer(html):
        body = match.group(0)
        canvas = CANVAS.search(body)
        rows = [(label, [(value, shown.strip()) for value, shown in CELL.findall(cells)])
                for label, cells in ROW.findall(body)]
        found[match.group(2)] = {"kind": match.group(1), "data": json.loads(DATA.search(body).group(1)),
                                 "label": canvas.group(2), "canvas": canvas.group(1), "rows": rows}
    return found


@pytest.mark.parametrize("path", ["/static/vendor/chart/chart.umd.min.js", "/static/charts.js"])
def test_chart_scripts_are_served_by_leadflow_as_javascript(client, path):
    r = client.get(path)
    assert r.status_code == 200, f"{path} is missing: run `make install` (it copies Chart.js into web/static/vendor)"
    assert "javascript" in r.headers["content-type"]
    if "vendor" in path:
        assert b"Chart.js v4." in r.content[:200]
    assert client.get("/static/vendor/chart/LICENSE.md").status_code == 200


def test_the_scorecard_charts_carry_the_tables_figures_and_norms(client, story):  # noqa: F811
    a, b = story["a"], story["b"]
    sign_in(client, story["manager"].email)
    page = client.get("/scorecard", params={**MARCH, "group": "rep", "row": a.id})
    assert page.status_code == 200, page.text
    head = page.text.split("</head>")[0]
    assert re.search(r'<script src="/static/vendor/chart/chart\.umd\.min\.js\?v=[^"]+" defer></script>', head)
    assert re.search(r'<script src="/static/charts\.js\?v=[^"]+" defer></script>', head)
    found = charts(page.text)
    assert set(found) == {"sc-chart-followed-up", "sc-chart-overdue", "sc-chart-money"}

    followed = found["sc-chart-followed-up"]
    data = followed["data"]
    assert followed["kind"] == data["kind"] == "bar" and data["unit"] == "percent"
    names = {a.id: data["labels"].index(f"sales_rep {a.email}"), b.id: data["labels"].index(f"sales_rep {b.email}")}
    assert data["series"][0]["values"][names[a.id]] == 50.0  # A: 2 of 4 followed up (the API's figures)
    assert data["series"][0]["values"][names[b.id]] == 100.0
    assert data["norm"]["value"] == 80.0 and data["norm"]["direction"] == ">="
    assert data["links"][names[a.id]] == f"/scorecard?group=rep&period=custom&from=2026-03-01&to=2026-03-31&row={a.id}"
    assert "Norm: at least 80.0 %; 1 of 2 below it" in followed["label"]
    assert followed["rows"] == [(label, [(f"{v:.1f}", f"{v:.1f} %")]) for label, v in
                                zip(data["labels"], data["series"][0]["values"], strict=True)]

    overdue = found["sc-chart-overdue"]["data"]
    assert overdue["series"][0]["values"][names[a.id]] == 50.0 and overdue["norm"] == {
        "value": 10.0, "direction": "<=", "label": "Norm: at most 10.0 %"}

    money = found["sc-chart-money"]["data"]
    assert money["unit"] == "money" and money["currency"] == "EUR"
    assert money["labels"] == ["25 %", "50 % (actual)", "75 %", "100 %"]
    assert money["series"][0]["values"] == [15000.0, 30000.0, 45000.0, 60000.0]  # 4 leads x 15,000 per lead
    assert money["series"][0]["highlight"] == [1]
    assert [cells[0][1] for _, cells in found["sc-chart-money"]["rows"]] == [
        "15,000.00 EUR", "30,000.00 EUR", "45,000.00 EUR", "60,000.00 EUR"]


def test_a_rep_sees_a_chart_of_their_own_row(client, story):  # noqa: F811
    sign_in(client, story["a"].email)
    found = charts(client.get("/scorecard", params={**MARCH, "group": "rep"}).text)
    assert len(found["sc-chart-followed-up"]["data"]["labels"]) == 1
    assert found["sc-chart-followed-up"]["data"]["series"][0]["values"] == [50.0]


def test_text_in_a_chart_cannot_end_its_json_block(client, factory):
    admin = person(factory, "admin")
    rep = person(factory, "sales_rep")
    with factory() as s:
        f.handover(s, f.lead(s), rep.id, handed_at=datetime(2026, 3, 2, 9, tzinfo=UTC), contact_after=1,
                   source='</script><script>alert("x")</script>')
        s.commit()
    sign_in(client, admin.email)
    page = client.get("/scorecard", params={**MARCH, "group": "source"})
    assert page.status_code == 200
    assert "<script>alert" not in page.text
    data = charts(page.text)["sc-chart-followed-up"]["data"]
    assert data["labels"] == ['</script><script>alert("x")</script>']


def test_pages_without_charts_load_no_chart_script(client, factory):
    sign_in(client, person(factory, "sales_manager").email)
    refused = client.get("/scorecard", params={"period": "custom", "from": "2026-03-31", "to": "2026-03-01"})
    assert refused.status_code == 422 and "chart.umd" not in refused.text
    assert "chart.umd" not in client.get("/login").text


def test_a_long_chart_is_summarised_by_its_highest_and_lowest_and_an_unknown_kind_fails_the_render():
    from jinja2 import UndefinedError

    from leadflow.web import pages

    module = pages.environment().get_template("charts.html").make_module({})
    labels = [f"Rep {c}" for c in "ABCDEFGH"]
    html = str(module.chart("c", "bar", "Followed up", labels,
                            [{"name": "Followed up", "values": [50, None, 90.5, 10, 60, 70, 80, 85]}], "percent",
                            norm={"value": 80, "direction": ">="}))
    label = CANVAS.search(html).group(2)
    assert label == ("Followed up, bar chart of 8 items: highest Rep C 90.5 %, lowest Rep D 10.0 %. "
                     "Norm: at least 80.0 %; 4 of 7 below it. The figures are in the table below.")
    assert '<td class="num" data-value="">—</td>' in html  # no figure: a dash, and no point
    with pytest.raises(UndefinedError, match="raise_unknown_chart_kind"):
        str(module.chart("c", "pie", "x", ["a"], [{"name": "n", "values": [1]}], "count"))
