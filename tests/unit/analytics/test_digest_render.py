"""The weekly digest's words, pure: figures against the week before with their changes, the sources that changed
most, the norms missed, costs hidden from who may not see them, HTML escaped, the JSON plain."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from leadflow.analytics import digest_render as r

WEEK = date(2026, 11, 23)


def _digest(**overrides) -> r.Digest:
    values = dict(recipient="Anna <Marketing>", week=WEEK, currency="EUR",
                  now=r.Totals(leads=10, mqls=6, sqls=3, customers=1, revenue=Decimal("5000"), cost=Decimal("2000"),
                               roi=Decimal("1.5")),
                  before=r.Totals(leads=8, mqls=4, sqls=2, customers=0, revenue=Decimal("0"), cost=Decimal("1000"),
                                  roi=Decimal("-1")),
                  changes=r.top_changes({"google": (2, Decimal("0")), "fb": (6, Decimal("0"))},
                                        {"google": (7, Decimal("5000")), "fb": (3, Decimal("0"))}),
                  missed=[r.Miss("roi", "Source fb", "ROI over 6 months", "-100.0 %", "150.0 %")])
    values.update(overrides)
    return r.Digest(**values)


def test_each_figure_against_the_week_before_with_its_change():
    rows = {label: rest for label, *rest in r.figure_rows(_digest())}
    assert rows["Leads"] == ["10", "8", "+2 (+25 %)"]
    assert rows["Customers"] == ["1", "0", "+1"]
    assert rows["Revenue"] == ["5,000.00 EUR", "0.00 EUR", "+5,000.00"]
    assert rows["Cost"] == ["2,000.00 EUR", "1,000.00 EUR", "+1,000.00 (+100 %)"]
    assert rows["ROI"] == ["150.0 %", "-100.0 %", "+250.0 pts"]


def test_a_person_who_may_not_see_costs_gets_no_cost_and_no_roi():
    d = _digest(costs_shown=False, now=r.Totals(leads=2), before=r.Totals(leads=3))
    assert [row[0] for row in r.figure_rows(d)] == ["Leads", "MQLs", "SQLs", "Customers", "Revenue"]
    assert "Costs and ROI are shown to marketing and admins." in r.text(d)
    assert dict((row[0], row[3]) for row in r.figure_rows(d))["Leads"] == "-1 (-33 %)"


def test_the_sources_that_changed_most_come_first_and_unchanged_ones_not_at_all():
    changes = r.top_changes({"a": (5, Decimal("0")), "b": (1, Decimal("0")), "same": (4, Decimal("10"))},
                            {"a": (4, Decimal("0")), "b": (9, Decimal("0")), "same": (4, Decimal("10")),
                             "new": (2, Decimal("0"))})
    assert [(c.source, c.leads_change) for c in changes] == [("b", 8), ("new", 2), ("a", -1)]
    assert len(r.top_changes({str(i): (i, Decimal("0")) for i in range(1, 10)}, {}, limit=3)) == 3


def test_text_html_and_pdf_content_carry_the_same_figures():
    d = _digest()
    text = r.text(d)
    assert text.startswith("Weekly digest: 23 Nov to 29 Nov 2026\n")
    assert "Leads      10" in text and "google  2 -> 7" in text and "Source fb  ROI over 6 months" in text
    html = r.html(d)
    assert "Anna &lt;Marketing&gt;" in html and "<Marketing>" not in html
    assert "5,000.00 EUR" in html
    blocks = r.content(d)
    assert blocks[0] == ("title", "Weekly digest: 23 Nov to 29 Nov 2026")
    tables = [b for b in blocks if b[0] == "table"]
    assert [t[1] for t in tables] == [r.FIGURES_HEADER, r.CHANGES_HEADER, r.MISSES_HEADER]
    assert r.subject(d) == "Digest of 23 Nov: 10 leads, 1 customer, 5,000.00 EUR"


def test_a_quiet_week_says_so():
    d = _digest(now=r.Totals(), before=r.Totals(), changes=[], missed=[])
    text = r.text(d)
    assert "No leads in either week." in text and "Every norm was met." in text
    assert dict((row[0], row[3]) for row in r.figure_rows(d))["ROI"] == "–"
    assert r.subject(d) == "Digest of 23 Nov: 0 leads, 0 customers, 0.00 EUR"


def test_the_json_has_plain_amounts():
    out = r.as_dict(_digest())
    assert out["now"] == {"leads": 10, "mqls": 6, "sqls": 3, "customers": 1, "revenue": "5000.00",
                          "cost": "2000.00", "roi": "1.5"}
    assert out["week_end"] == "2026-11-29" and out["changes"][0]["revenue_now"] == "5000.00"
    assert out["missed"] == [{"area": "roi", "what": "Source fb", "figure": "ROI over 6 months",
                              "value": "-100.0 %", "norm": "150.0 %"}]


def test_a_long_list_of_misses_is_cut_in_the_email_but_not_in_the_json():
    misses = [r.Miss("follow_up", f"Rep {i}", "Followed up", "10.0 %", "at least 80 %") for i in range(40)]
    d = _digest(missed=misses)
    (table,) = [b for b in r.content(d) if b[0] == "table" and b[1] == r.MISSES_HEADER]
    assert len(table[2]) == r.MAX_MISSES
    assert f"... and {40 - r.MAX_MISSES} more" in r.text(d)
    assert len(r.as_dict(d)["missed"]) == 40
