"""How every channel answers: field errors from Pydantic, a stored first answer, an idempotent replay."""

from __future__ import annotations

import json

from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from leadflow import values as plain
from leadflow.capture.intake import service as capture_service
from leadflow.capture.models import Capture
from leadflow.errors import FieldError

OUTCOME_STATUS = {"created": 201, "merged": 200, "rejected": 422, "pending": 202, "failed": 202}


def field_errors(exc: ValidationError, prefix: str = "") -> list[FieldError]:
    errors = []
    for error in exc.errors(include_url=False):
        location = ".".join(str(part) for part in error["loc"] if part != "body")
        reason = error["msg"]
        if error["type"] == "extra_forbidden":
            reason = "is not a known field (put your own fields in custom_fields)"
        errors.append(FieldError(prefix + (location or "body"), reason))
    return errors


def error_body(errors: list[FieldError], *, capture_id: int | None = None, error: str = "invalid") -> dict:
    body = {"error": error, "errors": [{"field": plain.shown(e.field), "reason": plain.shown(e.reason)} for e in errors]}
    if capture_id is not None:
        body["capture_id"] = capture_id
    return body


def parse_json(raw: bytes) -> object:
    """Raises FieldError-ready ValueError with the position of the mistake."""
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ValueError(f"malformed JSON: {exc}") from None


def finish(session: Session, capture: Capture, status: int, body: dict, headers: dict | None = None) -> JSONResponse:
    """Keep the answer with the capture when a retry may ask for it again (an idempotency key), commit, answer."""
    if capture.idempotency_key:
        capture.response = {"status": status, "body": body, "headers": headers or {}}
    session.commit()
    return JSONResponse(body, status_code=status, headers=headers)


def reject(session: Session, capture: Capture, status: int, errors: list[FieldError],
           error: str = "invalid") -> JSONResponse:
    outcome = capture_service.reject(capture, errors)
    return finish(session, capture, status, error_body(outcome.errors, capture_id=capture.id, error=error))


def replay(capture: Capture) -> JSONResponse:
    """The first answer again; a capture first answered 'pending' and processed since answers what became of it."""
    stored = capture.response
    if stored is None or (stored.get("status") == 202 and capture.outcome != "pending"):
        stored = {"status": OUTCOME_STATUS.get(capture.outcome, 200),
                  "body": {"capture_id": capture.id, "outcome": capture.outcome, "lead_id": capture.lead_id}}
    headers = dict(stored.get("headers") or {})
    headers["Idempotent-Replayed"] = "true"
    return JSONResponse(stored["body"], status_code=stored["status"], headers=headers)
