"""The analytics settings page, /settings/analytics: the reporting currency, the default ROI norm and the stop rule;
exchange rates, ROI norms and revenue targets (add or replace one, delete one); problems shown by their field.
Holders of analytics:settings (marketing, admins)."""

from __future__ import annotations

from fastapi import Request

from leadflow import clock
from leadflow.analytics import settings_service
from leadflow.errors import Invalid, NotFound
from leadflow.http import DbSession, retry_races
from leadflow.people.deps import PageActor
from leadflow.web.pages import Posted, page_router, redirect, render

router = page_router(tags=["pages"])
PERMISSION = "analytics:settings"
BASE = "/settings/analytics"
DIMENSION_LABELS = {"source": "Source", "medium": "Medium", "channel": "Channel", "campaign": "Campaign (its id)"}


def _errors(exc: Invalid) -> dict[str, str]:
    """Problems by the form's field name (`rates[0].rate` is the rate field)."""
    out: dict[str, str] = {}
    for e in exc.errors:
        name = e.field.rpartition("].")[2] if "]." in e.field else e.field.partition("[")[0]
        out.setdefault(name, e.reason[:1].upper() + e.reason[1:])
    return out


def _page(request: Request, session, *, section: str | None = None, values: dict | None = None,
          errors: dict | None = None, status_code: int = 200):
    current = settings_service.current(session=session)
    return render(request, "analytics/settings.html", {
        "base": BASE, "settings": current, "rates": settings_service.rates(session=session),
        "norms": settings_service.norms(session=session), "targets": settings_service.targets(session=session),
        "dimensions": DIMENSION_LABELS, "section": section, "values": values or {}, "errors": errors or {},
        "today": clock.now().date().isoformat()}, status_code=status_code)


def _text(form: dict[str, str], *names: str) -> dict[str, str]:
    return {name: (form.get(name) or "").strip()[:300] for name in names}


def _fail(request: Request, session, section: str, values: dict, exc: Exception):
    session.rollback()
    if isinstance(exc, Invalid):
        return _page(request, session, section=section, values=values, errors=_errors(exc), status_code=422)
    return _page(request, session, section=section, values=values, errors={"form": str(exc)}, status_code=404)


@router.get(BASE)
def settings_page(request: Request, session: DbSession, actor: PageActor):
    actor.require(PERMISSION)
    return _page(request, session)


def _new_rates(text: str, today: str) -> list[dict]:
    """Lines of "USD 0.92" or "USD 0.92 2026-01-01" (a rate into the new reporting currency)."""
    out = []
    for line in text.splitlines():
        parts = line.replace(",", " ").replace("=", " ").split()
        if parts:
            out.append({"currency": parts[0], "rate": parts[1] if len(parts) > 1 else "",
                        "valid_from": parts[2] if len(parts) > 2 else today})
    return out


@router.post(BASE)
@retry_races
def save_settings(request: Request, session: DbSession, actor: PageActor, form: Posted):
    actor.require(PERMISSION)
    values = _text(form, "reporting_currency", "roi_norm", "stop_after_leads", "stop_after_months")
    values["new_rates"] = (form.get("new_rates") or "")[:5000]
    payload = {k: v for k, v in values.items() if k != "new_rates"}
    if values["new_rates"].strip():
        payload["rates"] = _new_rates(values["new_rates"], clock.now().date().isoformat())
    try:
        settings_service.update(payload, session=session)
    except Invalid as exc:
        errors = _errors(exc)
        if "rates" in errors or any(e.field.startswith("rates[") for e in exc.errors):
            errors["new_rates"] = "; ".join(f"{e.field}: {e.reason}" for e in exc.errors if e.field.startswith("rates"))
        session.rollback()
        return _page(request, session, section="general", values=values, errors=errors, status_code=422)
    session.commit()
    return redirect(request, BASE, message="Saved the analytics settings.", kind="ok")


@router.post(BASE + "/rates")
@retry_races
def save_rate(request: Request, session: DbSession, actor: PageActor, form: Posted):
    actor.require(PERMISSION)
    values = _text(form, "currency", "valid_from", "rate")
    try:
        settings_service.put_rates({"rates": [values]}, session=session)
    except Invalid as exc:
        return _fail(request, session, "rates", values, exc)
    session.commit()
    return redirect(request, BASE, message=f"Saved the rate of {values['currency'].upper()}; the figures are being "
                                           "converted again.", kind="ok")


@router.post(BASE + "/rates/delete")
@retry_races
def delete_rate(request: Request, session: DbSession, actor: PageActor, form: Posted):
    actor.require(PERMISSION)
    values = _text(form, "currency", "valid_from")
    try:
        settings_service.delete_rate(values["currency"], values["valid_from"], session=session)
    except (Invalid, NotFound) as exc:
        return _fail(request, session, "rates", values, exc)
    session.commit()
    return redirect(request, BASE, message="Deleted the rate.", kind="ok")


@router.post(BASE + "/norms")
@retry_races
def save_norm(request: Request, session: DbSession, actor: PageActor, form: Posted):
    actor.require(PERMISSION)
    values = _text(form, "dimension", "value", "min_roi")
    try:
        settings_service.put_norms({"norms": [values]}, session=session)
    except Invalid as exc:
        return _fail(request, session, "norms", values, exc)
    session.commit()
    return redirect(request, BASE, message=f"Saved the ROI norm of {values['value']}.", kind="ok")


@router.post(BASE + "/norms/delete")
@retry_races
def delete_norm(request: Request, session: DbSession, actor: PageActor, form: Posted):
    actor.require(PERMISSION)
    values = _text(form, "dimension", "value")
    try:
        settings_service.delete_norm(values["dimension"], values["value"], session=session)
    except (Invalid, NotFound) as exc:
        return _fail(request, session, "norms", values, exc)
    session.commit()
    return redirect(request, BASE, message="Deleted the ROI norm.", kind="ok")


@router.post(BASE + "/targets")
@retry_races
def save_target(request: Request, session: DbSession, actor: PageActor, form: Posted):
    actor.require(PERMISSION)
    values = _text(form, "month", "team", "amount")
    try:
        settings_service.put_targets({"targets": [values]}, session=session)
    except Invalid as exc:
        return _fail(request, session, "targets", values, exc)
    session.commit()
    return redirect(request, BASE, message=f"Saved the target of {values['month']}.", kind="ok")


@router.post(BASE + "/targets/delete")
@retry_races
def delete_target(request: Request, session: DbSession, actor: PageActor, form: Posted):
    actor.require(PERMISSION)
    values = _text(form, "month", "team")
    try:
        settings_service.delete_target(values["month"], values["team"] or None, session=session)
    except (Invalid, NotFound) as exc:
        return _fail(request, session, "targets", values, exc)
    session.commit()
    return redirect(request, BASE, message="Deleted the target.", kind="ok")
