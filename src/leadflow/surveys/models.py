"""The surveys stage's tables: surveys and each version of their questions, every submission as posted (stored
first, kept whatever became of it), and one response per (survey, lead, email message) holding the answers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.clock import now
from leadflow.db import Base, BigId, UtcDateTime


class Survey(Base):
    """A short questionnaire. `questions` is the current version's list (surveys/domain.py says their shape); a
    change to the questions makes a new `version` (kept in survey_versions), so each response keeps the one it
    answered."""

    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)  # a slug: brochure-followup
    name: Mapped[str] = mapped_column(String(200))  # what marketing calls it
    title: Mapped[str] = mapped_column(String(300))  # what the lead reads at the top of the page
    intro: Mapped[str] = mapped_column(Text, default="")
    thanks: Mapped[str] = mapped_column(Text, default="")
    questions: Mapped[list] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(Integer, default=1)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)


class SurveyVersion(Base):
    """The questions as they were in one version of a survey (what a response's answers mean)."""

    __tablename__ = "survey_versions"
    __table_args__ = (UniqueConstraint("survey_id", "version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    questions: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)


class SurveySubmission(Base):
    """A post of a survey's public page as it came in, stored before anything is read from it. `outcome`:
    received (being read), answered, refused (answers not valid: `errors`), forged (a token not signed here)."""

    __tablename__ = "survey_submissions"
    __table_args__ = (Index("ix_survey_submissions_survey_id_received_at", "survey_id", "received_at"),
                      Index("ix_survey_submissions_lead_id", "lead_id"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    survey_id: Mapped[int | None] = mapped_column(BigId)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id", ondelete="SET NULL"))  # once found
    message_id: Mapped[int | None] = mapped_column(BigId)
    raw: Mapped[dict] = mapped_column(JSON, default=dict)  # {content_type, body (text), fields}
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
    outcome: Mapped[str] = mapped_column(String(16), default="received")
    errors: Mapped[list] = mapped_column(JSON, default=list)
    response_id: Mapped[int | None] = mapped_column(BigId)
    client: Mapped[str | None] = mapped_column(String(64))  # a hash of the address: counted, never shown


class SurveyResponse(Base):
    """A lead's answers to one survey from one email message (or from a link without one): answering again
    updates these answers. `key` = survey:lead:message (unique), so two submits at once make one response."""

    __tablename__ = "survey_responses"
    __table_args__ = (Index("ix_survey_responses_survey_id_submitted_at", "survey_id", "submitted_at"),
                      Index("ix_survey_responses_lead_id_submitted_at", "lead_id", "submitted_at"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    survey_version: Mapped[int] = mapped_column(Integer)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    message_id: Mapped[int | None] = mapped_column(BigId)
    answers: Mapped[dict] = mapped_column(JSON, default=dict)  # {question key: value}; a list for multiple choice
    raw: Mapped[dict] = mapped_column(JSON, default=dict)  # the form as posted (the latest answer)
    times: Mapped[int] = mapped_column(Integer, default=1)  # how many times it was sent
    first_submitted_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
