"""The demo's leads: thousands of people at the companies, captured through the import pipeline (so captures,
matching, duplicates to review and timelines are real).
"""

from __future__ import annotations

import csv
import io
import random

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from leadflow.capture.imports import files
from leadflow.capture.imports import service as import_service
from leadflow.capture.models import Import
from leadflow.demo.campaigns import Plan
from leadflow.demo.companies import LOCALES, Firm
from leadflow.demo.people import ascii_name
from leadflow.demo.progress import Progress, Report
from leadflow.errors import Conflict
from leadflow.identity.models import PossibleDuplicate


LOCALE_WEIGHTS = {"nl_NL": 24, "no_NO": 14, "fi_FI": 14, "en_GB": 16, "de_DE": 20, "en_US": 12}


TITLES = (
    ("Installer", 8), ("Electrical engineer", 6), ("Project manager", 8), ("Purchasing manager", 7), ("Architect", 5),
    ("Facility manager", 6), ("Operations manager", 6), ("Technical director", 4), ("Chief executive officer", 3),
    ("Chief financial officer", 2), ("Head of procurement", 4), ("Sales manager", 4), ("Marketing manager", 4),
    ("Maintenance engineer", 5), ("Site manager", 4), ("IT manager", 4), ("Energy consultant", 3),
    ("Managing director", 4), ("Buyer", 5), ("Product manager", 3), ("Office manager", 3), ("Student", 1),
)
FREE_MAIL = {"NL": "ziggo.nl", "NO": "online.no", "FI": "luukku.com", "GB": "gmail.com", "DE": "web.de",
             "US": "gmail.com"}
COLUMNS = ("first_name", "last_name", "email", "phone", "job_title", "company", "city", "postal_code", "country")


def lead_rows(rng: random.Random, fakers: dict, firms: dict[str, list[Firm]], count: int) -> list[dict]:
    """People in six countries, most at a company (a fifth with a free-mail address); a few come twice."""
    locales, weights = zip(*LOCALE_WEIGHTS.items(), strict=True)
    titles, title_weights = zip(*TITLES, strict=True)
    seen: set[str] = set()
    rows = []
    for _ in range(count):
        locale = rng.choices(locales, weights)[0]
        country = LOCALES[locale]
        fake = fakers[locale]
        first, last = fake.first_name(), fake.last_name()
        pool = firms[country]
        firm = rng.choices(pool, [f.weight for f in pool])[0] if rng.random() < 0.9 else None
        domain = firm.domain if firm and firm.domain and rng.random() < 0.8 else FREE_MAIL[country]
        local = rng.choice((f"{ascii_name(first)}.{ascii_name(last)}", f"{ascii_name(first)[0]}.{ascii_name(last)}",
                            f"{ascii_name(first)}{ascii_name(last)[0]}"))
        email = f"{local}@{domain}"
        while email in seen:
            email = f"{local}{rng.randrange(2, 99)}@{domain}"
        seen.add(email)
        rows.append({"first_name": first, "last_name": last, "email": email,
                     "phone": fake.phone_number() if rng.random() < 0.7 else "",
                     "job_title": rng.choices(titles, title_weights)[0], "company": firm.name if firm else "",
                     "city": fake.city(), "postal_code": fake.postcode(), "country": country})
    return rows


def import_leads(factory: sessionmaker[Session], rows: list[dict], campaigns: list[Plan], report: Report,
            progress: Progress) -> None:
    """One import per campaign through the import pipeline: captures, matching, companies, timeline entries."""
    rng = random.Random(len(rows))
    batches: dict[int, list[dict]] = {p.id: [] for p in campaigns}
    for row in rows:
        plan = rng.choices(campaigns, [p.share for p in campaigns])[0]
        batches[plan.id].append(row)
    # The same person again through another campaign (merged on the email), and a few people known twice under
    # different addresses (left for the duplicate review).
    again = rng.sample(rows, k=max(2, len(rows) // 40))
    for row in again:
        batches[rng.choice(campaigns).id].append(dict(row, job_title=rng.choice(TITLES)[0]))
    for row in rng.sample(rows, k=max(2, len(rows) // 150)):
        if row["company"]:
            twin = dict(row, email=f"{ascii_name(row['first_name'])}.{ascii_name(row['last_name'])}"
                                   f"{rng.randrange(1, 99)}@{FREE_MAIL[row['country']]}")
            batches[campaigns[-1].id].append(twin)
    done = 0
    total = sum(len(b) for b in batches.values())
    for plan in campaigns:
        batch = batches[plan.id]
        if not batch:
            continue
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(batch)
        data = buffer.getvalue().encode()
        table = files.open_table(io.BytesIO(data), filename=f"{plan.code}.csv")
        with factory() as session:
            record = session.scalar(select(Import).where(Import.filename == f"{plan.code}.csv",
                                                         Import.campaign_id == plan.id).order_by(Import.id.desc())
                                    .limit(1))
            if record is not None and record.status == "done":  # a run that stopped later did this one
                report.captures += record.rows_done
                done += len(batch)
                continue
            if record is None:
                record = import_service.create(session=session, filename=f"{plan.code}.csv",
                                               channel=plan.capture_channel,
                                               campaign=plan.code)
                import_service.describe(record, table, session=session, sample_rows=0)
                record.size_bytes = len(data)
            if record.status == "running":  # its run stopped midway (a running one was refused above): take it over
                import_service.fail(record.id, "the demo run that ran it stopped", session=session)
            if not import_service.claim(record.id, session=session):
                raise Conflict(f"import {record.id} of the demo is running in another process")
            session.commit()
            import_id = record.id
        progress(f"capturing leads: {plan.code}", done, total)
        finished = import_service.run(factory, import_id, table)
        report.captures += finished.rows_done
        done += len(batch)
        progress(f"capturing leads: {plan.code}", done, total)


def review_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(PossibleDuplicate)) or 0
