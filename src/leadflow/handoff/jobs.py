"""Worker handlers of handoff: an event fanned out into deliveries (one per subscribed endpoint), a delivery sent.
Both take a list of payloads (a batch); the worker calls them through one-payload wrappers for now."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from leadflow import events
from leadflow.handoff import payloads as catalogue
from leadflow.handoff import service as handoff_service


def fan_out(session: Session, topic: str, payloads: list[dict]) -> None:
    handoff_service.fan_out(topic, payloads, session=session)


def deliver(session: Session, payloads: list[dict]) -> None:
    handoff_service.deliver(payloads, session=session)


def fan_out_of(topic: str) -> Callable[[Session, dict], None]:
    """The one-payload handler of one topic."""

    def handle(session: Session, payload: dict) -> None:
        fan_out(session, topic, [payload])

    handle.__name__ = f"fan_out_{topic.replace('.', '_')}"
    return handle


def deliver_one(session: Session, payload: dict) -> None:
    deliver(session, [payload])


def handlers() -> dict:
    return {**{topic: fan_out_of(topic) for topic in catalogue.EVENTS}, events.WEBHOOK_DELIVER: deliver_one}
