"""Ad spend imports: an uploaded report stored as it came, read (spend.py), each row matched to its campaign (or one
created), and its cost written under a key an import of the same report again replaces instead of doubling."""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field

import charset_normalizer
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from leadflow.campaigns import spend
from leadflow.campaigns.domain import code_key
from leadflow.campaigns.models import Campaign, CampaignCost, SpendImport
from leadflow.clock import now
from leadflow.db import insert_ignore
from leadflow.errors import Invalid, NotFound

MAX_BYTES = 20_000_000
ENCODINGS = ("cp1252", "cp1250", "iso8859_2", "utf_16_le", "utf_16_be")
# A campaign created for a platform's campaign: its channel, source and medium.
PLATFORM_CAMPAIGN = {
    "google": ("paid_search", "google", "cpc"),
    "meta": ("social", "facebook", "paid_social"),
    "linkedin": ("social", "linkedin", "paid_social"),
    "generic": ("other", None, None),
}
PLATFORM_LABEL = {"google": "Google Ads", "meta": "Meta Ads", "linkedin": "LinkedIn Ads", "generic": "Ad spend"}
HOW = {
    "linked": "its platform campaign id, linked by an earlier import",
    "code": "a campaign whose code is the platform's campaign name or id",
    "name": "a campaign of the same name",
    "created": "created for it",
}


def decode(data: bytes) -> str:
    """The file's text: a byte-order mark or valid UTF-8 decides; otherwise the likeliest Western or Central
    European code page (an export saved by Excel on Windows), Windows-1252 when in doubt."""
    if data.startswith(codecs.BOM_UTF8):
        return data.decode("utf-8-sig")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:  # a UTF-16 file cut short, or bytes that only start like one
            raise Invalid.one("file", f"starts as UTF-16 text but byte {exc.start} is not: export the report "
                                      "again") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(data[:1_000_000], cp_isolation=list(ENCODINGS)).best()
    return data.decode(best.encoding if best is not None else "cp1252", errors="replace")


def check_upload(*, data: bytes, platform: str | None) -> None:
    if platform is not None and platform not in spend.PLATFORMS:
        raise Invalid.one("platform", f"must be one of {', '.join(spend.PLATFORMS)} (or left out to detect it)")
    if len(data) > MAX_BYTES:
        raise Invalid.one("file", f"is larger than {MAX_BYTES // 1_000_000} MB: export a shorter period")
    if not data.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise Invalid.one("file", "is empty")


def store(*, session: Session, filename: str, data: bytes, platform: str | None, actor: str) -> SpendImport:
    """The uploaded file as it came, before it is read: a report that cannot be read is still there to look at."""
    check_upload(data=data, platform=platform)
    record = SpendImport(filename=(filename or "upload.csv")[:300], platform=platform, data=data, actor=actor[:200],
                         created_at=now(), summary=None)
    session.add(record)
    session.flush()
    return record


def apply(record: SpendImport, *, session: Session, currency: str | None = None) -> dict:
    """Read the stored report and write its costs. An unreadable file raises Invalid on `file` after its reason is
    kept on the record (the caller commits the record before answering, so the file stays)."""
    try:
        report = spend.parse(decode(record.data), platform=record.platform, currency=currency)
    except spend.UnknownFormat as exc:
        record.summary = {"error": exc.reason}
        session.flush()
        raise Invalid.one("file", exc.reason) from None
    record.platform, record.starts_on, record.ends_on = report.platform, report.starts_on, report.ends_on
    matches = _Matcher(session, report.platform)
    rows, totals = [], {}
    for row in report.rows:
        campaign, how = matches.campaign(row)
        cost_id, earlier = _write_cost(session, record, report.platform, row, campaign.id)
        rows.append({
            "row": row.row, "rows": list(row.rows), "platform_campaign": row.campaign, "external_id": row.external_id,
            "campaign": {"id": campaign.id, "name": campaign.name, "code": campaign.code},
            "created": how == "created", "matched": how, "amount": str(row.amount), "currency": row.currency,
            "starts_on": row.starts_on.isoformat(), "ends_on": row.ends_on.isoformat(), "cost_id": cost_id,
            "replaced": earlier,
        })
        totals[row.currency] = totals.get(row.currency, 0) + row.amount
    record.summary = {
        "platform": report.platform, "starts_on": _day(report.starts_on), "ends_on": _day(report.ends_on),
        "columns": report.columns, "rows": rows,
        "skipped": [{"row": s.row, "campaign": s.campaign, "reason": s.reason} for s in report.skipped],
        "rejects": [{"row": r.row, "campaign": r.campaign, "reason": r.reason} for r in report.rejects],
        "totals": {currency: f"{amount:.2f}" for currency, amount in sorted(totals.items())},
    }
    session.flush()
    return record.summary


def _day(value) -> str | None:
    return value.isoformat() if value else None


@dataclass
class _Matcher:
    """Finds each row's campaign, in order: the campaign an earlier import linked the platform's campaign id to,
    one whose code is the platform's campaign name or id, one of the same name; else a new one."""

    session: Session
    platform: str
    found: dict = field(default_factory=dict)  # a daily report names each campaign once a day: looked up once

    def campaign(self, row: spend.SpendRow) -> tuple[Campaign, str]:
        ident = (row.external_id, row.campaign.strip().casefold())
        if ident not in self.found:
            self.found[ident] = self._find(row)
        return self.found[ident]

    def _find(self, row: spend.SpendRow) -> tuple[Campaign, str]:
        if row.external_id:
            linked = self.session.scalar(
                select(CampaignCost.campaign_id)
                .where(CampaignCost.platform == self.platform, CampaignCost.external_ref == row.external_id)
                .order_by(CampaignCost.id.desc()).limit(1))
            if linked is not None:
                return self.session.get(Campaign, linked), "linked"
        keys = [code_key(value)[:200] for value in (row.external_id, row.campaign) if value]
        by_code = {c.code_key: c for c in self.session.scalars(select(Campaign).where(Campaign.code_key.in_(keys)))}
        for key in keys:
            if key in by_code:
                return by_code[key], "code"
        wanted = row.campaign.strip().casefold()
        # SQLite's lower() folds ASCII letters only: both spellings are asked for, the match is made here.
        lowered = {row.campaign.strip().lower(), _ascii_lower(row.campaign.strip())}
        for campaign in self.session.scalars(select(Campaign).where(or_(*(func.lower(Campaign.name) == value
                                                                          for value in lowered)))
                                             .order_by(Campaign.id)):
            if campaign.name.strip().casefold() == wanted:
                return campaign, "name"
        return self._create(row)

    def _create(self, row: spend.SpendRow) -> tuple[Campaign, str]:
        key = code_key(row.campaign)[:200]
        channel, source, medium = PLATFORM_CAMPAIGN[self.platform]
        values = dict(name=row.campaign[:300], code=row.campaign.strip()[:200], code_key=key, channel=channel,
                      source=source, medium=medium, currency=row.currency, created_automatically=True,
                      created_at=now(),
                      description=f"Created by an import of {PLATFORM_LABEL[self.platform]} spend"
                                  + (f" (campaign id {row.external_id})." if row.external_id else "."))
        # Two imports may create the same campaign at once: insert-or-ignore on the unique code key, then read.
        added = self.session.execute(insert_ignore(self.session.get_bind(), Campaign, values, ["code_key"])
                                     .returning(Campaign.id)).scalar()
        campaign = self.session.scalar(select(Campaign).where(Campaign.code_key == key))
        return campaign, "created" if added is not None else "code"


def _ascii_lower(text: str) -> str:
    return text.translate({code: code + 32 for code in range(ord("A"), ord("Z") + 1)})


def _write_cost(session: Session, record: SpendImport, platform: str, row: spend.SpendRow,
                campaign_id: int) -> tuple[int, dict | None]:
    """Insert the row's cost, or replace the figure an earlier import wrote under the same key (the same platform,
    campaign, period and currency): ON CONFLICT on the unique import_key, so two imports at once make one row."""
    key = row.key(platform)
    earlier = session.execute(select(CampaignCost.amount, CampaignCost.spend_import_id)
                              .where(CampaignCost.import_key == key)).first()
    values = dict(campaign_id=campaign_id, spent_on=row.starts_on,
                  spent_until=row.ends_on if row.ends_on != row.starts_on else None, amount=row.amount,
                  currency=row.currency, platform=platform, external_ref=row.external_id, import_key=key,
                  spend_import_id=record.id, created_at=now(),
                  note=f"{PLATFORM_LABEL[platform]}: {row.campaign} ({record.filename})"[:2000])
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(CampaignCost).values(**values)
    changed = {name: statement.excluded[name] for name in ("campaign_id", "spent_on", "spent_until", "amount",
                                                            "currency", "external_ref", "spend_import_id", "note")}
    cost_id = session.execute(statement.on_conflict_do_update(index_elements=["import_key"], set_=changed)
                              .returning(CampaignCost.id)).scalar_one()
    if earlier is None:
        return cost_id, None
    return cost_id, {"amount": str(earlier.amount), "spend_import_id": earlier.spend_import_id}


def get(import_id: int, *, session: Session) -> SpendImport:
    record = session.get(SpendImport, import_id)
    if record is None:
        raise NotFound("spend import", import_id)
    return record
