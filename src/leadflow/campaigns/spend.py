"""Ad platforms' spend reports read into cost rows: Google Ads, Meta Ads Manager, LinkedIn Campaign Manager and a
generic CSV; each row's campaign, amount, currency and period, or why it was skipped or rejected.

Pure: standard library only; it reads the text it is given (the caller decodes the file's bytes) and never touches
the database."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

PLATFORMS = ("google", "meta", "linkedin", "generic")
DELIMITERS = (",", ";", "\t")
CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("999999999999.99")  # what campaign_costs.amount (14, 2) holds

# Header cells (casefolded, spaces collapsed) to the role of their column. Exact names only: Google's "Cost / conv."
# and LinkedIn's "Cost per Lead" are no amounts, Meta's "Ends" (the campaign's own end) is no period end.
ROLES = {
    "campaign": ("campaign", "campaign name", "campaign code", "code", "utm_campaign", "utm campaign"),
    "campaign_id": ("campaign id", "campaign_id", "campaign no.", "campaign number"),
    "currency": ("currency", "currency code", "currency_code"),
    "amount": ("cost", "amount spent", "total spent", "spend", "spent", "amount", "ad spend", "costs"),
    "date": ("date", "day", "spent on", "spent_on"),
    "start": ("reporting starts", "start", "start date", "starts on", "from", "period start", "report start",
              "start_date", "date from"),
    "end": ("reporting ends", "end", "end date", "ends on", "to", "until", "period end", "report end", "end_date",
            "date to"),
}
_HEADER_CURRENCY = re.compile(r"^(?P<name>.*?)\s*\((?:in\s+)?(?P<currency>[A-Za-z]{3})\)$")
_PREAMBLE_CURRENCY = re.compile(r"\((?:in\s+)?([A-Z]{3})\)")
_SYMBOLS = {"€": "EUR", "$": "USD", "£": "GBP", "¥": "JPY", "₹": "INR", "zł": "PLN", "kr": None, "CHF": "CHF"}
_CODE = re.compile(r"^[A-Z]{3}$")
_SPACES = ("\u00a0", "\u202f", "\u2009", " ", "'", "’")
_MONTHS = {name: number for number, names in enumerate((
    ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",), ("june", "jun"),
    ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
    ("december", "dec")), start=1) for name in names}
_WORDY_DATE = re.compile(r"^(?:(?P<m1>[a-z]+)\.?\s+(?P<d1>\d{1,2}),?\s+(?P<y1>\d{4})|"
                         r"(?P<d2>\d{1,2})\.?\s+(?P<m2>[a-z]+)\.?,?\s+(?P<y2>\d{4}))$")
_RANGE = re.compile(r"^(?P<start>.+?)\s+[-–—]\s+(?P<end>.+)$")


class UnknownFormat(ValueError):
    """The text is no spend report leadflow can read: `reason` says what is missing."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class SpendRow:
    """One campaign's spend over a period (several rows of the file for it are added up: `rows` lists them)."""

    row: int
    campaign: str
    external_id: str | None
    currency: str
    amount: Decimal
    starts_on: date
    ends_on: date
    rows: tuple[int, ...] = ()

    def key(self, platform: str) -> str:
        """The same campaign's spend in the same period and currency on the same platform: an import of the same
        report again replaces it instead of adding it twice."""
        ref = self.external_id or unicodedata.normalize("NFKC", self.campaign).strip().casefold()
        key = f"{platform}|{self.starts_on.isoformat()}|{self.ends_on.isoformat()}|{self.currency}|{ref}"
        if len(key) > 300:
            key = key[:len(key) - len(ref)] + "sha256:" + hashlib.sha256(ref.encode()).hexdigest()
        return key


@dataclass(frozen=True)
class Skipped:
    row: int
    campaign: str
    reason: str


@dataclass(frozen=True)
class Reject:
    row: int
    reason: str
    campaign: str | None = None


@dataclass(frozen=True)
class SpendReport:
    platform: str
    starts_on: date | None
    ends_on: date | None
    rows: tuple[SpendRow, ...]
    skipped: tuple[Skipped, ...] = ()
    rejects: tuple[Reject, ...] = ()
    columns: dict[str, str] = field(default_factory=dict)  # role -> the header it was read from


def _norm(cell: str) -> str:
    return " ".join(cell.replace("\ufeff", "").split()).casefold()


def _columns(header: list[str]) -> tuple[dict[str, int], str | None]:
    """Each role's column index, and the currency an amount header names ("Amount spent (EUR)")."""
    found: dict[str, int] = {}
    header_currency = None
    for index, cell in enumerate(header):
        name = _norm(cell)
        match = _HEADER_CURRENCY.match(name)
        if match and _norm(match["name"]) in ROLES["amount"]:
            name, header_currency = _norm(match["name"]), match["currency"].upper()
        for role, names in ROLES.items():
            if name in names and role not in found:
                found[role] = index
    if "campaign" not in found and "campaign_id" in found:
        found["campaign"] = found["campaign_id"]
    return found, header_currency


def _is_header(columns: dict[str, int]) -> bool:
    return "campaign" in columns and "amount" in columns


def _platform(header: list[str], columns: dict[str, int], preamble: list[list[str]]) -> str:
    names = {_norm(cell) for cell in header}
    amount = _norm(header[columns["amount"]])
    text = " ".join(_norm(cell) for row in preamble for cell in row)
    if "reporting starts" in names or amount.startswith("amount spent"):
        return "meta"
    if amount == "total spent" or "campaign performance report" in text:
        return "linkedin"
    if amount == "cost" and (names & {"campaign id", "currency code", "campaign status", "campaign type", "impr."}
                             or text.startswith("campaign report")):
        return "google"
    return "generic"


def _table(text: str) -> tuple[str, list[tuple[int, list[str]]], int]:
    """The delimiter, the rows with their line numbers, and the index of the header among them."""
    problems = []
    for delimiter in sorted(DELIMITERS, key=lambda d: -_first_lines(text).count(d)):
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        rows: list[tuple[int, list[str]]] = []
        try:
            for cells in reader:
                rows.append((reader.line_num, cells))
        except csv.Error as exc:
            problems.append(str(exc))
            continue
        for index, (_, cells) in enumerate(rows[:50]):
            if _is_header(_columns(cells)[0]):
                return delimiter, rows, index
    raise UnknownFormat("no header row with a campaign column and a cost, spend or amount column in the first 50 "
                        "rows (Google Ads: Campaign and Cost; Meta: Campaign name and Amount spent; LinkedIn: "
                        "Campaign Name and Total Spent; any other file: campaign, amount and date columns)"
                        + (f"; {problems[0]}" if problems else ""))


def _first_lines(text: str) -> str:
    return "\n".join(text.splitlines()[:60])


def parse_amount(cell: str, *, decimal_comma: bool = False) -> tuple[Decimal, str | None]:
    """An amount as ad platforms write it ("1,487.36", "1.487,36", "1 487,36", "€ 12"), and the currency its symbol
    or code names. Raises ValueError with the reason it cannot be read."""
    text = cell.strip()
    currency = None
    for symbol, code in sorted(_SYMBOLS.items(), key=lambda item: -len(item[0])):
        if text.startswith(symbol) or text.endswith(symbol):
            text, currency = text.removeprefix(symbol).removesuffix(symbol).strip(), code
            break
    else:
        words = text.split()
        if len(words) == 2 and _CODE.match(words[0]):
            currency, text = words[0], words[1]
        elif len(words) == 2 and _CODE.match(words[1]):
            text, currency = words[0], words[1]
    for space in _SPACES:
        text = text.replace(space, "")
    if text in ("", "-", "--", "—"):
        return Decimal(0), currency
    if text.startswith("(") and text.endswith(")") or text.startswith("-"):
        raise ValueError(f"{cell.strip()!r} is negative: spend is never below zero")
    text = text.removeprefix("+")
    if not re.fullmatch(r"[0-9.,]+", text) or not text[0].isdigit() or not text[-1].isdigit():
        raise ValueError(f"{cell.strip()!r} is not an amount")
    commas, dots = text.count(","), text.count(".")
    if commas and dots:
        point = "," if text.rfind(",") > text.rfind(".") else "."
    elif commas == 1 and dots == 0:
        point = "," if decimal_comma or len(text) - text.rfind(",") - 1 != 3 else ""
    elif dots == 1 and commas == 0:
        point = "" if decimal_comma and len(text) - text.rfind(".") - 1 == 3 else "."
    else:
        point = ""  # "1,234,567" or "1.234.567": thousands only
    thousands = {",", "."} - {point}
    if point and text.count(point) > 1:
        raise ValueError(f"{cell.strip()!r} is not an amount")
    for sep in thousands:
        groups = text.split(point)[0].split(sep) if point else text.split(sep)
        if len(groups) > 1 and (not 1 <= len(groups[0]) <= 3 or any(len(g) != 3 for g in groups[1:])):
            raise ValueError(f"{cell.strip()!r} is not an amount")
        text = text.replace(sep, "")
    try:
        amount = Decimal(text.replace(",", ".") if point == "," else text)
    except InvalidOperation:
        raise ValueError(f"{cell.strip()!r} is not an amount") from None
    amount = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    if amount > MAX_AMOUNT:
        raise ValueError(f"{cell.strip()!r} is more than an amount can be")
    return amount, currency


def parse_date(cell: str) -> date:
    """A date as the exports write it: 2026-11-01, 11/1/2026 (US; 30/11/2026 read day first), 1.11.2026,
    November 1, 2026 or 1 Nov 2026; a time after it is ignored. Raises ValueError with the reason."""
    text = " ".join(cell.split())
    if not text:
        raise ValueError("the date is empty")
    iso = re.match(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T ].*)?$", text)
    slashed = re.match(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:[ ,T].*)?$", text)
    dotted = re.match(r"^(\d{1,2})[.-](\d{1,2})[.-](\d{4})(?:[ T].*)?$", text)
    wordy = _WORDY_DATE.match(text.casefold())
    try:
        if iso:
            return date(int(iso[1]), int(iso[2]), int(iso[3]))
        if slashed:
            first, second, year = int(slashed[1]), int(slashed[2]), int(slashed[3])
            return date(year, second, first) if first > 12 else date(year, first, second)
        if dotted:
            return date(int(dotted[3]), int(dotted[2]), int(dotted[1]))
        if wordy:
            month = _MONTHS.get(wordy["m1"] or wordy["m2"])
            if month:
                return date(int(wordy["y1"] or wordy["y2"]), month, int(wordy["d1"] or wordy["d2"]))
    except ValueError:
        raise ValueError(f"{text!r} is not a date in the calendar") from None
    raise ValueError(f"{text!r} is not a date (use 2026-11-30, 11/30/2026 or November 30, 2026)")


def _preamble(rows: list[list[str]]) -> tuple[date | None, date | None, str | None]:
    """The report's period and currency from the lines above the header ("November 1, 2026 - November 30, 2026",
    "Report Start: 11/1/2026", "Campaign Performance Report (in EUR)")."""
    starts = ends = currency = None
    for cells in rows:
        line = " ".join(c.strip() for c in cells if c.strip())
        label, _, value = line.partition(":")
        label = _norm(label)
        try:
            if label in ("report start", "reporting starts", "start date", "start", "from") and value:
                starts = parse_date(value)
                continue
            if label in ("report end", "reporting ends", "end date", "end", "to") and value:
                ends = parse_date(value)
                continue
        except ValueError:
            pass
        found = _RANGE.match(line)
        if found and starts is None:
            try:
                starts, ends = parse_date(found["start"]), parse_date(found["end"])
                continue
            except ValueError:
                pass
        money = _PREAMBLE_CURRENCY.search(line)
        if money and currency is None:
            currency = money[1]
    return starts, ends, currency


_TOTAL = re.compile(r"^(grand )?(totals?|summe|gesamt)(:|$|\s)")


def _totals(cells: list[str], campaign: str) -> bool:
    """A totals line ("Total: Account", "Total: Search"): a total's word in its first cells and no campaign of its
    own (a campaign called "Total Energy" is no total)."""
    if campaign and not re.match(r"^(grand )?totals?(:|$)", _norm(campaign)):
        return False
    return any(_TOTAL.match(_norm(cell)) for cell in cells[:3])


def parse(text: str, *, platform: str | None = None, currency: str | None = None) -> SpendReport:
    """Read a spend report. `platform` forces the format (else it is detected from the header and the lines above
    it); `currency` is used for rows whose file names none. Raises UnknownFormat when no spend table is found."""
    if platform is not None and platform not in PLATFORMS:
        raise UnknownFormat(f"platform must be one of {', '.join(PLATFORMS)}")
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise UnknownFormat("the file is empty")
    delimiter, rows, at = _table(text)
    header = rows[at][1]
    columns, header_currency = _columns(header)
    preamble = [cells for _, cells in rows[:at]]
    seen = _platform(header, columns, preamble)
    if platform not in (None, "generic") and seen not in (platform, "generic"):
        # A report of one platform imported as another's would be a second cost beside the first import's.
        raise UnknownFormat(f"this is a {seen} report by its columns, not a {platform} one: leave the platform "
                            "out to detect it")
    detected = platform or seen
    period_start, period_end, preamble_currency = _preamble(preamble)
    dated = "date" in columns or "start" in columns
    if not dated and period_start is None:
        raise UnknownFormat("no date: the file has neither a date (or start and end) column nor a report period "
                            "above its header")
    default_currency = header_currency or preamble_currency or (currency.upper() if currency else None)
    decimal_comma = delimiter == ";" or _decimal_comma([cells[columns["amount"]] for _, cells in rows[at + 1:]
                                                        if len(cells) > columns["amount"]])
    found: dict[tuple, SpendRow] = {}
    skipped: list[Skipped] = []
    rejects: list[Reject] = []

    def cell(cells: list[str], role: str) -> str:
        index = columns.get(role)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    for line, cells in rows[at + 1:]:
        if not any(c.strip() for c in cells):
            continue
        name = cell(cells, "campaign")
        if _totals(cells, name) or (not name and not cell(cells, "campaign_id")):
            if _totals(cells, name):
                skipped.append(Skipped(line, name, "a totals row"))
            else:
                rejects.append(Reject(line, "no campaign name"))
            continue
        external_id = cell(cells, "campaign_id") or None
        name = name or external_id or ""
        try:
            amount, symbol_currency = parse_amount(cell(cells, "amount"), decimal_comma=decimal_comma)
        except ValueError as exc:
            rejects.append(Reject(line, f"amount: {exc}", name))
            continue
        try:
            if "start" in columns or "end" in columns:
                starts = parse_date(cell(cells, "start")) if "start" in columns else period_start
                ends = parse_date(cell(cells, "end")) if "end" in columns else starts
            elif "date" in columns:
                starts = ends = parse_date(cell(cells, "date"))
            else:
                starts, ends = period_start, period_end or period_start
            if starts is None or ends is None:
                raise ValueError("the row has no start date and the file names no report period")
            if ends < starts:
                raise ValueError(f"the period ends ({ends}) before it starts ({starts})")
        except ValueError as exc:
            rejects.append(Reject(line, f"date: {exc}", name))
            continue
        row_currency = (cell(cells, "currency").upper() or default_currency or symbol_currency or "")
        if not _CODE.match(row_currency):
            reason = (f"currency: {row_currency!r} is no three-letter currency code" if row_currency else
                      "currency: the file names none (a Currency column, or an amount header such as Cost (EUR))")
            rejects.append(Reject(line, reason, name))
            continue
        if amount == 0:
            skipped.append(Skipped(line, name, "no spend"))
            continue
        spend = SpendRow(line, name, external_id, row_currency, amount, starts, ends, (line,))
        key = spend.key(detected)
        earlier = found.get(key)
        if earlier is not None:  # the same campaign and period twice (a report split by network or device): added
            spend = SpendRow(earlier.row, earlier.campaign, earlier.external_id, row_currency,
                             earlier.amount + amount, starts, ends, (*earlier.rows, line))
        found[key] = spend
    spends = tuple(found.values())
    if period_start is None and spends:
        period_start, period_end = min(r.starts_on for r in spends), max(r.ends_on for r in spends)
    return SpendReport(platform=detected, starts_on=period_start, ends_on=period_end or period_start, rows=spends,
                       skipped=tuple(skipped), rejects=tuple(rejects),
                       columns={role: header[index].strip() for role, index in columns.items()})


def _decimal_comma(cells: list[str]) -> bool:
    """Whether the amount column writes decimals after a comma: an amount with a comma after its last dot, or a
    comma followed by one or two digits, says so."""
    for raw in cells:
        value = raw.strip()
        for space in _SPACES:
            value = value.replace(space, "")
        if "," in value and ("." not in value or value.rfind(",") > value.rfind(".")):
            if "." in value or len(value) - value.rfind(",") - 1 in (1, 2):
                return True
        if "." in value and ("," not in value or value.rfind(".") > value.rfind(",")):
            if "," in value or len(value) - value.rfind(".") - 1 in (1, 2):
                return False
    return False
