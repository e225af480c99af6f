"""The weekly digest as words: its figures (last week against the week before, the sources that changed most, the
norms missed) in, the email's subject, text and HTML, the PDF's content (titles, paragraphs, tables) and the JSON
out.

Pure: standard library only; never touches the database, the web or the PDF library."""

from __future__ import annotations

import html as html_lib
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True)
class Totals:
    leads: int = 0
    mqls: int = 0
    sqls: int = 0
    customers: int = 0
    revenue: Decimal = Decimal("0")
    cost: Decimal | None = None  # None: not shown to this person
    roi: Decimal | None = None  # a ratio


@dataclass(frozen=True)
class Change:
    """A source's leads and revenue last week against the week before."""

    source: str
    leads_before: int
    leads_now: int
    revenue_before: Decimal
    revenue_now: Decimal

    @property
    def leads_change(self) -> int:
        return self.leads_now - self.leads_before


@dataclass(frozen=True)
class Miss:
    """A norm missed: what (a source, a campaign, a salesperson), which figure, its value and the norm."""

    area: str  # roi, stop_rule, follow_up
    what: str
    figure: str
    value: str
    norm: str


@dataclass(frozen=True)
class Digest:
    recipient: str
    week: date  # the Monday the week starts
    currency: str
    now: Totals
    before: Totals
    changes: list[Change] = field(default_factory=list)
    missed: list[Miss] = field(default_factory=list)
    costs_shown: bool = True
    dashboard_url: str = ""

    @property
    def week_end(self) -> date:
        return self.week + timedelta(days=6)


FIGURES = (("leads", "Leads"), ("mqls", "MQLs"), ("sqls", "SQLs"), ("customers", "Customers"),
           ("revenue", "Revenue"), ("cost", "Cost"), ("roi", "ROI"))


def money(value: Decimal | None, currency: str = "") -> str:
    if value is None:
        return "–"
    text = f"{Decimal(value).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,.2f}"
    return f"{text} {currency}".strip()


def pct(ratio: Decimal | None) -> str:
    if ratio is None:
        return "–"
    return f"{(Decimal(ratio) * 100).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)} %"


def _value(totals: Totals, key: str, currency: str) -> str:
    value = getattr(totals, key)
    if key in ("revenue", "cost"):
        return money(value, currency)
    if key == "roi":
        return pct(value)
    return f"{value:,}"


def _change(now, before, key: str) -> str:
    a, b = getattr(now, key), getattr(before, key)
    if a is None or b is None:
        return "–"
    diff = Decimal(a) - Decimal(b)
    if key == "roi":
        points = (diff * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        return f"{'+' if points > 0 else ''}{points} pts"
    sign = "+" if diff > 0 else ""
    amount = f"{diff:,.2f}" if key in ("revenue", "cost") else f"{int(diff):,}"
    if b:
        share = (diff * 100 / Decimal(b)).quantize(Decimal("1"), rounding=ROUND_HALF_UP)
        return f"{sign}{amount} ({sign}{share} %)"
    return f"{sign}{amount}"


def figure_rows(d: Digest) -> list[tuple[str, str, str, str]]:
    """(figure, last week, the week before, change) for each figure this person may see."""
    rows = []
    for key, label in FIGURES:
        if key in ("cost", "roi") and not d.costs_shown:
            continue
        rows.append((label, _value(d.now, key, d.currency), _value(d.before, key, d.currency),
                     _change(d.now, d.before, key)))
    return rows


def change_rows(d: Digest) -> list[tuple[str, str, str, str]]:
    return [(c.source, f"{c.leads_before:,} -> {c.leads_now:,}", f"{'+' if c.leads_change > 0 else ''}"
             f"{c.leads_change:,}", f"{money(c.revenue_before)} -> {money(c.revenue_now)}") for c in d.changes]


def miss_rows(d: Digest) -> list[tuple[str, str, str, str]]:
    return [(m.what, m.figure, m.value, m.norm) for m in d.missed]


def title(d: Digest) -> str:
    return f"Weekly digest: {d.week:%d %b} to {d.week_end:%d %b %Y}"


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def subject(d: Digest) -> str:
    return (f"Digest of {d.week:%d %b}: {_count(d.now.leads, 'lead')}, {_count(d.now.customers, 'customer')}, "
            f"{money(d.now.revenue, d.currency)}")


def _table_text(header: tuple, rows: list[tuple]) -> list[str]:
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows)]
    lines = ["  ".join(str(x).ljust(w) for x, w in zip(header, widths)).rstrip()]
    lines += ["  ".join(str(x).ljust(w) for x, w in zip(row, widths)).rstrip() for row in rows]
    return lines


FIGURES_HEADER = ("Figure", "Last week", "Week before", "Change")
CHANGES_HEADER = ("Source", "Leads", "Change", "Revenue")
MISSES_HEADER = ("What", "Figure", "Value", "Norm")
MAX_MISSES = 30  # in the email and the PDF; the JSON has them all


def content(d: Digest) -> list[tuple]:
    """The digest as blocks: ("title", text), ("heading", text), ("para", text), ("table", header, rows)."""
    blocks: list[tuple] = [("title", title(d)),
                           ("para", f"For {d.recipient}. Leads that came in during the week and what they became; "
                                    f"amounts in {d.currency}.")]
    blocks += [("heading", "The week against the week before"), ("table", FIGURES_HEADER, figure_rows(d))]
    if not d.costs_shown:
        blocks.append(("para", "Costs and ROI are shown to marketing and admins."))
    blocks.append(("heading", "Sources that changed most"))
    blocks.append(("table", CHANGES_HEADER, change_rows(d)) if d.changes else ("para", "No leads in either week."))
    blocks.append(("heading", "Norms missed"))
    rows = miss_rows(d)
    blocks.append(("table", MISSES_HEADER, rows[:MAX_MISSES]) if rows else ("para", "Every norm was met."))
    if len(rows) > MAX_MISSES:
        blocks.append(("para", f"... and {len(rows) - MAX_MISSES:,} more: see the dashboards and the scorecard."))
    if d.dashboard_url:
        blocks.append(("para", f"The dashboards: {d.dashboard_url}"))
    return blocks


def text(d: Digest) -> str:
    lines: list[str] = []
    for block in content(d):
        kind = block[0]
        if kind == "title":
            lines += [block[1], "=" * len(block[1]), ""]
        elif kind == "heading":
            lines += [block[1], "-" * len(block[1])]
        elif kind == "para":
            lines += [block[1], ""]
        else:
            lines += [*_table_text(block[1], block[2]), ""]
    return "\n".join(lines).rstrip() + "\n"


def html(d: Digest) -> str:
    e = html_lib.escape
    parts = ['<!doctype html><html><body style="font-family: sans-serif; color: #1f2937;">']
    for block in content(d):
        kind = block[0]
        if kind == "title":
            parts.append(f"<h1 style=\"font-size: 20px;\">{e(block[1])}</h1>")
        elif kind == "heading":
            parts.append(f"<h2 style=\"font-size: 16px; margin-top: 20px;\">{e(block[1])}</h2>")
        elif kind == "para":
            parts.append(f"<p>{e(block[1])}</p>")
        else:
            head = "".join(f'<th style="text-align: left; padding: 4px 8px;">{e(h)}</th>' for h in block[1])
            body = "".join("<tr>" + "".join(f'<td style="padding: 4px 8px;">{e(str(c))}</td>' for c in row)
                           + "</tr>" for row in block[2])
            parts.append(f'<table style="border-collapse: collapse;"><thead><tr>{head}</tr></thead>'
                         f"<tbody>{body}</tbody></table>")
    parts.append("</body></html>")
    return "".join(parts)


def _amount(value: Decimal | None) -> str | None:
    """An amount for JSON: two decimals, no thousands separator."""
    return None if value is None else str(Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _totals_dict(t: Totals) -> dict:
    return {"leads": t.leads, "mqls": t.mqls, "sqls": t.sqls, "customers": t.customers,
            "revenue": _amount(t.revenue), "cost": _amount(t.cost),
            "roi": None if t.roi is None else str(t.roi)}


def as_dict(d: Digest) -> dict:
    return {"week": d.week.isoformat(), "week_end": d.week_end.isoformat(), "currency": d.currency,
            "recipient": d.recipient, "costs_shown": d.costs_shown,
            "now": _totals_dict(d.now), "before": _totals_dict(d.before),
            "changes": [{"source": c.source, "leads_before": c.leads_before, "leads_now": c.leads_now,
                         "revenue_before": _amount(c.revenue_before), "revenue_now": _amount(c.revenue_now)}
                        for c in d.changes],
            "missed": [{"area": m.area, "what": m.what, "figure": m.figure, "value": m.value, "norm": m.norm}
                       for m in d.missed]}


def top_changes(before: dict[str, tuple[int, Decimal]], now: dict[str, tuple[int, Decimal]],
                limit: int = 5) -> list[Change]:
    """The sources whose leads (then revenue) changed most between the weeks, biggest first."""
    changes = [Change(source=s, leads_before=before.get(s, (0, Decimal("0")))[0], leads_now=now.get(s, (0, 0))[0],
                      revenue_before=Decimal(before.get(s, (0, Decimal("0")))[1]),
                      revenue_now=Decimal(now.get(s, (0, Decimal("0")))[1]))
               for s in sorted(set(before) | set(now))]
    changes = [c for c in changes if c.leads_change or c.revenue_now != c.revenue_before]
    changes.sort(key=lambda c: (-abs(c.leads_change), -abs(c.revenue_now - c.revenue_before), c.source))
    return changes[:limit]
