"""Worker handlers of handoff: an event fanned out into deliveries (one per subscribed endpoint), a delivery sent.
Both take a batch of payloads (the worker hands them up to `worker.BATCH` messages of a topic at once)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from leadflow import events
from leadflow.handoff import payloads as catalogue
from leadflow.handoff import service as handoff_service
from leadflow.stage import batch


def fan_out(session: Session, topic: str, payloads: list[dict]) -> None:
    handoff_service.fan_out(topic, payloads, session=session)


def deliver(session: Session, payloads: list[dict]) -> None:
    handoff_service.deliver(payloads, session=session)


def fan_out_of(topic: str) -> Callable[[Session, list[dict]], None]:
    """The batch handler of one topic."""

    def handle(session: Session, payloads: list[dict]) -> None:
        fan_out(session, topic, payloads)

    handle.__name__ = f"fan_out_{topic.replace('.', '_')}"
    return batch(handle)


def handlers() -> dict:
    # Deliveries leave the database: a failed batch is never sent again at once (retried later, same delivery ids);
    # a hundred at a time keep well within the worker's lease even when receivers are slow.
    return {**{topic: fan_out_of(topic) for topic in catalogue.EVENTS},
            events.WEBHOOK_DELIVER: batch(deliver, sends=True, size=100)}
