"""Predictive scoring from the database: label won and lost leads, learn, keep the active model, score open leads.

Events (tracking) and BANT answers (qualification) belong to stages above scoring: they are read through their
readers (`scoring.sources`), never by naming their tables. pandas and scikit-learn (through `predict`) are imported
where they are used, so the web app starts without them.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session, defer, sessionmaker

from leadflow import db
from leadflow.campaigns.models import Campaign
from leadflow.clock import now
from leadflow.leads.models import Company, Lead, StageChange
from leadflow.scoring import sources
from leadflow.scoring.models import LeadPrediction, PredictiveModel

log = logging.getLogger("leadflow.scoring.predict")

TARGET = "Converted"
STALE_DAYS = 180          # a lead this old that never went past MQL counts as lost
EVENT_WINDOW_DAYS = 90    # behaviour counted over the 90 days before the outcome (or before now, for open leads)
NOT_LEADS = ("spam", "duplicate")  # disqualified for these reasons: not a real outcome, left out of training
CLOSED_STAGES = ("customer", "disqualified")
CHUNK = 2000
KEEP_MODELS = 5
MIN_PER_CLASS = 5
CUSTOM_FIELDS = 30        # at most this many custom fields (the most often filled) become features
BANT = ("budget", "authority", "need", "timeline")


def outcomes(*, session: Session, stale_days: int = STALE_DAYS) -> dict[int, tuple[int, datetime]]:
    """Lead id -> (1 won / 0 lost, when the outcome was known).

    Won: the lead is (or once was) a customer. Lost: disqualified (not as spam or a duplicate), an opportunity
    that went to nurture, disqualified or recycled, or a lead older than `stale_days` that never went past MQL."""
    moment = now()
    labelled: dict[int, tuple[int, datetime]] = {}
    changes = session.execute(select(StageChange.lead_id, StageChange.from_stage, StageChange.to_stage,
                                     StageChange.reason, StageChange.changed_at)
                              .order_by(StageChange.changed_at, StageChange.id)).all()
    won_at: dict[int, datetime] = {}
    lost_at: dict[int, datetime] = {}
    for lead_id, before, after, reason, at in changes:
        if after == "customer":
            won_at.setdefault(lead_id, at)
        elif ((before == "opportunity" and after in ("nurture", "disqualified", "recycled"))
              or (after == "disqualified" and reason not in NOT_LEADS)):
            lost_at.setdefault(lead_id, at)
    rows = session.execute(select(Lead.id, Lead.stage, Lead.disqualify_reason, Lead.created_at, Lead.updated_at)
                           .where(Lead.merged_into_id.is_(None))).all()
    stale = moment - timedelta(days=stale_days)
    for lead_id, stage, reason, created_at, updated_at in rows:
        if stage == "customer" or lead_id in won_at:
            labelled[lead_id] = (1, won_at.get(lead_id, updated_at))
        elif stage == "disqualified" and reason in NOT_LEADS:
            continue
        elif lead_id in lost_at or stage == "disqualified":
            labelled[lead_id] = (0, lost_at.get(lead_id, updated_at))
        elif stage in ("new", "mql", "nurture", "recycled") and created_at < stale:
            labelled[lead_id] = (0, created_at + timedelta(days=stale_days))
    return labelled


def lead_table(lead_ids: list[int], as_of: dict[int, datetime] | None = None, *, session: Session) -> pd.DataFrame:
    """One row per lead (index: lead id) of what the model learns from, as text, named for people to read."""
    import pandas as pd

    as_of = as_of or {}
    moment = now()
    rows = []
    for start in range(0, len(lead_ids), CHUNK):
        rows.extend(_chunk_rows(lead_ids[start:start + CHUNK], as_of, moment, session=session))
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    frame = frame.set_index("lead_id")
    custom = [c for c in frame.columns if c.startswith("Custom: ")]
    if len(custom) > CUSTOM_FIELDS:
        keep = frame[custom].notna().sum().sort_values(ascending=False).index[:CUSTOM_FIELDS]
        frame = frame.drop(columns=[c for c in custom if c not in set(keep)])
    return frame


def _chunk_rows(ids: list[int], as_of: dict[int, datetime], moment: datetime, *, session: Session) -> list[dict]:
    from leadflow.scoring.predict import columns as predict_columns

    leads = session.execute(select(Lead.id, Lead.country, Lead.language, Lead.channel, Lead.campaign_id,
                                   Lead.job_title, Lead.company_id, Lead.phone, Lead.mobile, Lead.email,
                                   Lead.grade, Lead.custom_fields, Lead.first_touch)
                            .where(Lead.id.in_(ids))).all()
    company_ids = {row.company_id for row in leads if row.company_id}
    companies = {c.id: c for c in session.execute(
        select(Company.id, Company.industry, Company.employees, Company.revenue).where(Company.id.in_(company_ids)))
    } if company_ids else {}
    campaign_ids = {row.campaign_id for row in leads if row.campaign_id}
    campaigns = dict(session.execute(select(Campaign.id, Campaign.name).where(Campaign.id.in_(campaign_ids))).all()
                     ) if campaign_ids else {}
    bant = _bant(ids, session=session)
    events = _event_counts(ids, as_of, moment, session=session)
    rows = []
    for lead in leads:
        company = companies.get(lead.company_id)
        touch = lead.first_touch or {}
        custom = lead.custom_fields or {}
        row = {
            "lead_id": lead.id,
            "Country": lead.country,
            "Language": lead.language,
            "Channel": lead.channel,
            "First campaign": campaigns.get(lead.campaign_id),
            "Seniority": predict_columns.seniority(lead.job_title),
            "Job title": (lead.job_title or "").strip().lower() or None,
            "Phone given": "yes" if (lead.phone or lead.mobile) else "no",
            "Email domain": lead.email.rsplit("@", 1)[-1] if lead.email and "@" in lead.email else None,
            "Grade": lead.grade,
            "Industry": (company.industry if company else None) or _text(custom.get("industry")),
            "Company size": _text(company.employees if company and company.employees is not None
                                  else custom.get("employees", custom.get("company_size"))),
            "Company revenue": _text(company.revenue if company and company.revenue is not None
                                     else custom.get("revenue")),
            "Source (utm)": _text(touch.get("utm_source")),
            "Medium (utm)": _text(touch.get("utm_medium")),
        }
        answers = bant.get(lead.id, {})
        row["BANT answers known"] = str(len(answers))
        for criterion in BANT:
            row[f"BANT {criterion}"] = answers.get(criterion)
        for kind, count in events.get(lead.id, {}).items():
            row[f"Events: {kind} ({EVENT_WINDOW_DAYS} days)"] = str(count)
        for key, value in custom.items():
            if key not in ("industry", "employees", "company_size", "revenue") and _scalar(value):
                row[f"Custom: {key}"] = _text(value)
        rows.append(row)
    event_columns = {k for r in rows for k in r if k.startswith("Events: ")}
    for row in rows:  # no event of a type is a count of zero, not a missing value
        for column in event_columns:
            row.setdefault(column, "0")
    return rows


def _text(value) -> str | None:
    return None if value is None or value == "" else str(value)


def _scalar(value) -> bool:
    return isinstance(value, str | int | float | bool) and value != ""


def _bant(ids: list[int], *, session: Session) -> dict[int, dict[str, str]]:
    """The current BANT answers (newest per criterion; a withdrawn answer is unknown again), through
    qualification's reader."""
    answers: dict[int, dict[str, str]] = defaultdict(dict)
    for lead_id, current in sources.current().bant(session=session, lead_ids=ids).items():
        for criterion, value in current.items():
            if value is not None and value != "":
                answers[lead_id][criterion] = str(value).strip().lower()
    return answers


def _event_counts(ids: list[int], as_of: dict[int, datetime],
                  moment: datetime, *, session: Session) -> dict[int, Counter]:
    """Events per type in the window before each lead's outcome (open leads: before now)."""
    earliest = min([as_of.get(i, moment) for i in ids]) - timedelta(days=EVENT_WINDOW_DAYS)
    rows = sources.current().events_since(session=session, lead_ids=ids, earliest=earliest)
    counts: dict[int, Counter] = defaultdict(Counter)
    for lead_id, kind, occurred_at in rows:
        end = as_of.get(lead_id, moment)
        at = _aware(occurred_at)
        if end - timedelta(days=EVENT_WINDOW_DAYS) <= at <= end:
            counts[lead_id][kind] += 1
    return counts


def _aware(value) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        from datetime import UTC

        value = value.replace(tzinfo=UTC)
    return value



def training_frame(*, session: Session, stale_days: int = STALE_DAYS) -> pd.DataFrame:
    labelled = outcomes(session=session, stale_days=stale_days)
    ids = sorted(labelled)
    frame = lead_table(ids, {i: labelled[i][1] for i in ids}, session=session)
    if frame.empty:
        return frame
    frame[TARGET] = [str(labelled[i][0]) for i in frame.index]
    return frame


def train_from_database(factory: sessionmaker[Session], *, stale_days: int = STALE_DAYS,
                        progress=None) -> PredictiveModel:
    """Learn from the won and lost leads, store the model as the active one, and score every open lead.

    Training takes minutes on a large database, so it holds no write lock: the leads are read in a transaction that
    only reads, the model is learned outside any transaction, stored in a short write transaction, and the open
    leads are scored chunk by chunk (each chunk read, scored, then written and committed).
    """
    from leadflow.scoring.predict import columns as predict_columns
    from leadflow.scoring.predict import model as predict_model

    say = progress or (lambda _message: None)
    say("reading won and lost leads")
    with db.reading(factory)() as session:
        frame = training_frame(session=session, stale_days=stale_days)
    won = int((frame[TARGET] == "1").sum()) if not frame.empty else 0
    lost = len(frame) - won
    if won < MIN_PER_CLASS or lost < MIN_PER_CLASS or len(frame) < 20:
        raise predict_columns.PredictError(
            f"not enough outcomes to learn from: {won} won and {lost} lost leads (at least "
            f"{MIN_PER_CLASS} of each and 20 in all); won = customer, lost = disqualified, "
            f"an opportunity lost, or no progress past MQL within {stale_days} days")
    model = predict_model.train(frame.reset_index(drop=True), TARGET, positive="1", progress=say)
    stored = PredictiveModel(target=f"won vs lost (stale after {stale_days} days)", rows=model.rows, auc=model.auc,
                             features=[{"name": c.name, "kind": c.kind} for c in model.columns],
                             blob=predict_model.dump(model), active=True, created_at=now())
    with factory() as session:
        session.execute(update(PredictiveModel).where(PredictiveModel.active.is_(True)).values(active=False))
        session.add(stored)
        session.flush()
        old = session.scalars(select(PredictiveModel.id).order_by(PredictiveModel.id.desc())
                              .offset(KEEP_MODELS)).all()
        if old:
            session.execute(delete(PredictiveModel).where(PredictiveModel.id.in_(old)))
        session.commit()
    say("scoring open leads")
    score_open_leads(factory, stored)
    return stored


def active_model(*, session: Session) -> PredictiveModel | None:
    return session.scalar(select(PredictiveModel).where(PredictiveModel.active.is_(True))
                          .order_by(PredictiveModel.id.desc()).limit(1))


def score_open_leads(factory: sessionmaker[Session], stored: PredictiveModel | None = None, *,
                     lead_ids: list[int] | None = None, only_unscored: bool = False, limit: int | None = None) -> int:
    """Score open leads (not customers, not disqualified, not merged) with the active model: probability and
    drivers into lead_predictions and leads.predicted_probability, a chunk at a time (read, scored outside any
    transaction, then written and committed). Returns how many were scored."""
    from leadflow.scoring.predict import model as predict_model

    reads = db.reading(factory)
    with reads() as session:
        stored = stored or active_model(session=session)
        if stored is None:
            return 0
        query = (select(Lead.id).where(Lead.merged_into_id.is_(None), Lead.stage.not_in(CLOSED_STAGES))
                 .order_by(Lead.id))
        if lead_ids is not None:
            query = query.where(Lead.id.in_(lead_ids))
        if only_unscored:
            scored = select(LeadPrediction.lead_id).where(LeadPrediction.model_id == stored.id)
            query = query.where(Lead.id.not_in(scored))
        if limit is not None:
            query = query.limit(limit)
        ids = list(session.scalars(query))
    model = predict_model.load(stored.blob)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        with reads() as session:
            frame = lead_table(chunk, session=session)
        probabilities, drivers = predict_model.explain(model, frame)
        moment = now()
        with factory() as session:
            session.execute(delete(LeadPrediction).where(LeadPrediction.lead_id.in_(chunk)))
            session.execute(insert(LeadPrediction), [
                {"lead_id": int(lead_id), "model_id": stored.id, "probability": round(float(p), 4),
                 "drivers": [d.as_dict() for d in row_drivers], "scored_at": moment}
                for lead_id, p, row_drivers in zip(frame.index, probabilities, drivers, strict=True)])
            session.execute(update(Lead), [{"id": int(lead_id), "predicted_probability": round(float(p), 4)}
                                           for lead_id, p in zip(frame.index, probabilities, strict=True)])
            session.commit()
    return len(ids)


@dataclass(frozen=True)
class Quality:
    """Whether a model's probabilities are worth showing: its cross-validated AUC against the bar."""

    usable: bool
    auc: float | None
    rows: int
    min_auc: float
    reason: str | None


def quality(model: PredictiveModel | None, *, min_auc: float) -> Quality:
    """Below `min_auc` (LEADFLOW_PREDICT_MIN_AUC) a model ranks leads little better than chance: its numbers would
    mislead, so pages show none and the API says `usable: false`."""
    if model is None:
        return Quality(False, None, 0, min_auc, "no model yet")
    if model.auc is None or model.auc < min_auc:
        told = f"AUC {model.auc:.2f}" if model.auc is not None else "no AUC"
        return Quality(False, model.auc, model.rows, min_auc,
                       f"the model cannot yet tell ({told} from {model.rows:,} leads, {min_auc:.2f} needed)")
    return Quality(True, model.auc, model.rows, min_auc, None)


def active_quality(*, session: Session, min_auc: float) -> Quality:
    """The active model's quality (its blob left unread)."""
    return quality(session.scalar(select(PredictiveModel).options(defer(PredictiveModel.blob))
                                  .where(PredictiveModel.active.is_(True)).order_by(PredictiveModel.id.desc())
                                  .limit(1)), min_auc=min_auc)


def prediction(lead_id: int, *, session: Session) -> tuple[LeadPrediction | None, PredictiveModel | None]:
    """A lead's prediction and the model that made it (or the active model, when the lead has none yet)."""
    row = session.get(LeadPrediction, lead_id)
    query = select(PredictiveModel).options(defer(PredictiveModel.blob))
    query = (query.where(PredictiveModel.id == row.model_id) if row else
             query.where(PredictiveModel.active.is_(True)).order_by(PredictiveModel.id.desc()).limit(1))
    return row, session.scalar(query)
