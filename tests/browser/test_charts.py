"""Charts in Chromium (templates/charts.html, static/charts.js), on the scorecard of a past month: drawn by the Chart.js
leadflow serves itself, under the pages' CSP; a bar opens its row; drawn again after an htmx swap with the old charts
destroyed; no animation when motion is reduced; their tables opened for printing and closed after; every kind and
unit the macro knows."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from leadflow import clock, db
from leadflow.followup.models import Followup
from leadflow.leads.models import Lead
from tests.browser.conftest import Console, sign_in

pytestmark = pytest.mark.browser

# Every chart of the page drawn: Chart.js loaded, a Chart on each canvas, each canvas with a size.
DRAWN = """() => { const cs = [...document.querySelectorAll('figure.chart canvas.chart-canvas')];
  return cs.length > 0 && !!window.Chart
    && cs.every(c => Chart.getChart(c) && c.clientWidth > 0 && c.clientHeight > 0); }"""
# Each chart as drawn, beside its JSON and its table.
CHARTS = """() => { const text = e => e.textContent.trim();
  return [...document.querySelectorAll('figure.chart')].map(f => {
  const canvas = f.querySelector('canvas.chart-canvas');
  const chart = Chart.getChart(canvas);
  return {id: f.id, role: canvas.getAttribute('role'), label: canvas.getAttribute('aria-label'),
          width: canvas.clientWidth, height: canvas.clientHeight,
          json: JSON.parse(f.querySelector('script[type="application/json"]').textContent),
          labels: chart.data.labels, values: chart.data.datasets.map(d => [...d.data]),
          kinds: chart.data.datasets.map(d => d.type || chart.config.type), animation: chart.options.animation,
          open: f.querySelector('details.chart-figures').open,
          table: [...f.querySelectorAll('table.chart-table tbody tr')].map(tr =>
            [text(tr.querySelector('th')), [...tr.querySelectorAll('td')].map(text)])};
}); }"""
# The page's CSP violations, seen from before its first script.
CSP_WATCH = ("window.__csp = []; document.addEventListener('securitypolicyviolation', "
             "e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));")


def open_charts(browser, site, *, width: int = 1400, height: int = 900, reduced: bool = True):
    """A context at this width (motion reduced unless asked), watching CSP violations and every request."""
    context = browser.new_context(base_url=site.base, viewport={"width": width, "height": height}, locale="en-GB",
                                  timezone_id="UTC", reduced_motion="reduce" if reduced else "no-preference")
    context.add_init_script(CSP_WATCH)
    page = context.new_page()
    requests: list[tuple[str, int]] = []
    page.on("response", lambda r: requests.append((r.url, r.status)))
    return context, page, Console(page), requests


def check_drawn(page, site, console, requests) -> list[dict]:
    """The charts drawn from leadflow's own Chart.js with no error and no CSP violation; each as CHARTS reads it,
    its drawing, JSON and table agreeing."""
    page.wait_for_function(DRAWN)
    page.wait_for_load_state("networkidle")
    assert console.take() == []
    assert page.evaluate("window.__csp") == []
    vendor = [(url, status) for url, status in requests if "/vendor/chart/chart.umd.min.js" in url]
    assert vendor and all(url.startswith(site.base + "/static/") and status == 200 for url, status in vendor), vendor
    assert all(url.startswith((site.base + "/", "data:")) for url, _ in requests), requests  # nothing from elsewhere
    charts = page.evaluate(CHARTS)
    for chart in charts:
        data = chart["json"]
        assert chart["role"] == "img" and chart["label"].startswith(data["title"])
        assert chart["width"] > 0 and chart["height"] > 0
        assert chart["labels"] == data["labels"]
        assert chart["values"][:len(data["series"])] == [s["values"] for s in data["series"]]
        if data["norm"]:  # the target line: a line dataset across the plot at the norm
            assert chart["kinds"][-1] == "line"
            assert all(data["norm"]["value"] in ((point["x"], point["y"]) if isinstance(point, dict) else (point,))
                       for point in chart["values"][-1])
        assert [label for label, _ in chart["table"]] == data["labels"]
        assert [cells for _, cells in chart["table"]] == [[shown(s["values"][i], data) for s in data["series"]]
                                                         for i in range(len(data["labels"]))]
    return charts


def shown(value, data) -> str:
    """A figure as the chart's table writes it."""
    if value is None:
        return "—"
    return {"percent": f"{value:.1f} %", "money": f"{value:,.2f} {data['currency'] or ''}".strip(),
            "count": f"{value:,.0f}", "hours": f"{value:.1f} h", "days": f"{value:.1f} days"}[data["unit"]]


@pytest.fixture(scope="module")
def past_month(site) -> dict[str, str]:
    """Hand-overs in a month long past (nobody else's): Sam follows all up, Olga one in four; from two sources."""
    first = (clock.now().date().replace(day=1) - timedelta(days=95)).replace(day=1)
    engine = db.make_engine(site.url)
    factory = db.make_sessionmaker(engine)
    start = clock.now().replace(year=first.year, month=first.month, day=2, hour=9, minute=0, second=0, microsecond=0)
    with factory() as session:
        for i in range(16):
            owner = site.rep if i % 2 else site.other_rep
            lead = Lead(email=f"charts-browser-{i}@example.com", owner_id=owner.id)
            session.add(lead)
            session.flush()
            handed = start + timedelta(hours=3 * i)
            contacted = owner is site.rep or i % 8 == 0
            session.add(Followup(lead_id=lead.id, owner_id=owner.id, handed_at=handed,
                                 due_at=handed + timedelta(hours=24), source="chart-fair" if i % 4 else "chart-web",
                                 status="followed_up" if contacted else "open",
                                 first_contact_at=handed + timedelta(hours=2) if contacted else None))
        session.commit()
    engine.dispose()
    last = (date(first.year + first.month // 12, first.month % 12 + 1, 1) - timedelta(days=1))
    return {"period": "custom", "from": first.isoformat(), "to": last.isoformat()}


def _query(params: dict[str, str], **extra) -> str:
    return "&".join(f"{k}={v}" for k, v in {**params, **extra}.items())


def test_a_bar_opens_its_row_and_the_tables_open_for_printing(browser, site, past_month):
    context, page, console, requests = open_charts(browser, site)
    try:
        sign_in(page, site.admin)
        page.goto("/scorecard?" + _query(past_month, group="rep"))
        charts = {c["id"]: c for c in check_drawn(page, site, console, requests)}
        followed = charts["sc-chart-followed-up"]
        assert followed["animation"] is False  # motion reduced
        assert followed["json"]["norm"]["value"] == 80.0
        assert not followed["open"]  # drawn: the table waits behind its summary
        sam = followed["labels"].index("Sam Rep")
        assert followed["values"][0][sam] == 100.0

        # the bar of Sam Rep opens his row (the money table below the charts is his)
        point = page.evaluate("""(i) => { const c = document.querySelector('#sc-chart-followed-up-canvas');
          const bar = Chart.getChart(c).getDatasetMeta(0).data[i]; return {x: bar.x, y: bar.y,
          base: bar.base, horizontal: bar.horizontal}; }""", sam)
        middle = ((point["x"] + point["base"]) / 2, point["y"]) if point["horizontal"] else (
            point["x"], (point["y"] + point["base"]) / 2)
        page.locator("#sc-chart-followed-up-canvas").click(position={"x": middle[0], "y": middle[1]})
        page.wait_for_url(f"**row={site.rep.id}**")
        expect(page.locator("#sc-money-title")).to_contain_text("Sam Rep")
        page.wait_for_function(DRAWN)

        page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
        assert page.evaluate("[...document.querySelectorAll('details.chart-figures')].every(d => d.open)")
        page.evaluate("window.dispatchEvent(new Event('afterprint'))")
        assert page.evaluate("[...document.querySelectorAll('details.chart-figures')].every(d => !d.open)")
        assert console.take() == [] and page.evaluate("window.__csp") == []
    finally:
        context.close()


def test_charts_swapped_in_by_htmx_are_drawn_and_the_old_ones_destroyed(browser, site, past_month):
    context, page, console, requests = open_charts(browser, site, width=768, height=1024, reduced=False)
    try:
        sign_in(page, site.admin)
        page.goto("/scorecard?" + _query(past_month, group="rep"))
        before = check_drawn(page, site, console, requests)
        assert before[0]["animation"] is not False  # motion not reduced: animated
        page.evaluate("""(url) => htmx.ajax('GET', url, {target: '.scorecard-charts', select: '.scorecard-charts',
                                                       swap: 'outerHTML'})""",
                      "/scorecard?" + _query(past_month, group="source"))
        page.wait_for_function("""() => { const f = document.querySelector('#sc-chart-followed-up');
          const c = f && Chart.getChart(f.querySelector('canvas'));
          return !!c && c.data.labels.includes('chart-web'); }""")
        after = {c["id"]: c for c in check_drawn(page, site, console, requests)}
        assert {"chart-fair", "chart-web"} <= set(after["sc-chart-followed-up"]["labels"])
        canvases = page.evaluate("document.querySelectorAll('canvas.chart-canvas').length")
        assert page.evaluate("Object.keys(Chart.instances).length") == canvases  # the rep charts were destroyed
        assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    finally:
        context.close()


def test_every_kind_and_unit_draws_under_the_pages_csp(browser, site):
    """The macro's other kinds (stacked bars with a norm, a line, a doughnut) and units, written into a leadflow
    page (its CSP in force) and drawn by the scripts it loads."""
    from leadflow.web import pages

    module = pages.environment().get_template("charts.html").make_module({})
    figures = "".join(str(x) for x in (
        module.chart("k-stacked", "stacked", "Calls by week", ["W1", "W2", "W3"],
                     [{"name": "Reached", "values": [4, 6, 5]}, {"name": "No answer", "values": [2, None, 3]}],
                     "count", norm={"value": 9, "direction": ">="}),
        module.chart("k-line", "line", "First contact", ["Jan", "Feb", "Mar"],
                     [{"name": "Median", "values": [5.5, 4.4, 3]}], "hours", norm=4),
        module.chart("k-doughnut", "doughnut", "Won value by source", ["web", "fair"],
                     [{"name": "Won", "values": [12000, 3000.5]}], "money", currency="EUR"),
        module.chart("k-bars", "bar", "Two series side by side", ["A", "B"],
                     [{"name": "This year", "values": [1, 2]}, {"name": "Last year", "values": [2, 1]}], "days",
                     norm={"value": 1.5, "direction": "<="})))
    context, page, console, requests = open_charts(browser, site, reduced=False)
    try:
        page.goto("/login")
        page.set_content(f"<!doctype html><html lang='en'><head>{module.chart_assets()}</head>"
                         f"<body><main>{figures}</main></body></html>")
        charts = {c["id"]: c for c in check_drawn(page, site, console, requests)}
        assert charts["k-stacked"]["kinds"] == ["bar", "bar", "line"]
        assert page.evaluate("Chart.getChart(document.querySelector('#k-stacked canvas')).options.scales.y.stacked")
        assert charts["k-stacked"]["table"][1] == ["W2", ["6", "—"]]
        assert charts["k-line"]["kinds"] == ["line", "line"] and charts["k-line"]["table"][1] == ["Feb", ["4.4 h"]]
        assert charts["k-doughnut"]["kinds"] == ["doughnut"]
        assert charts["k-doughnut"]["table"][1] == ["fair", ["3,000.50 EUR"]]
        assert charts["k-bars"]["values"][-1] == [1.5, 1.5]  # beside grouped bars the norm joins the labels
        assert charts["k-bars"]["table"][0] == ["A", ["1.0 days", "2.0 days"]]
    finally:
        context.close()
