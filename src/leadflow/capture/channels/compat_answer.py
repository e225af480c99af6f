"""How the drop-in endpoints answer where leadflow's own answers do not fit: statuses and browser redirects."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from leadflow.capture.models import Capture
from leadflow.errors import FieldError


def form_status(errors: list[FieldError]) -> int:
    """415 for a body that is no form, 400 for a form that cannot be read, 422 for what it says."""
    fields = {e.field for e in errors}
    if "content-type" in fields:
        return 415
    if fields & {"body", "encoding"}:
        return 400
    return 422


def with_query(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    return urlunsplit(parts._replace(query=urlencode([*query, *params.items()])))


def redirect(session: Session, capture: Capture, url: str, status: int = 303) -> RedirectResponse:
    """Send the browser on, and keep that answer with the capture."""
    headers = {"X-Capture-Id": str(capture.id)}
    capture.response = {"status": status, "body": {}, "headers": {**headers, "Location": url}}
    session.commit()
    return RedirectResponse(url, status_code=status, headers=headers)
