"""Routing pages: the rules (edit as YAML, check and preview, save, activate, versions), salespeople's capacities
and availability, the queues; and the lead page's owner panel (who owns it and why, hand over, route again)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import PlainTextResponse

from leadflow.clock import now
from leadflow.errors import Invalid
from leadflow.http import DbSession
from leadflow.leads import queries as leads_queries
from leadflow.leads.models import Lead
from leadflow.people import queries as people_queries
from leadflow.people.deps import PageActor
from leadflow.routing import rules, service
from leadflow.scoring import rule_sets as documents
from leadflow.web.pages import lead_changed, page_router, redirect, render

router = page_router(tags=["pages"])

MAX_TEXT = 200_000
EXAMPLE = """rules:
  - name: Northern Finland
    when: city == "Oulu"
    to: user:oulu.rep@example.com
  - name: Rest of Finland
    when: country == "FI"
    to: team:Finland
"""


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


def _text_of(definition: dict) -> str:
    return documents.export_text(definition, "yaml")


def _parsed(text: str) -> tuple[object | None, list]:
    """The document in the text, or the problems (field, reason) that stop it."""
    try:
        return documents.parse_text(text, None), []
    except Invalid as exc:
        return None, [(e.field, e.reason) for e in exc.errors]


def _checked(session, text: str) -> tuple[object | None, list]:
    document, problems = _parsed(text)
    if problems:
        return None, problems
    try:
        service.check(document, session=session)
    except Invalid as exc:
        return None, [(e.field, e.reason) for e in exc.errors]
    return document, []


def _members(session, rule_set: rules.RuleSet) -> list[dict]:
    """Everyone the rules can give leads to, with their limits, open leads and whether they can take one now."""
    users = people_queries.users_by_email(rule_set.users(), session=session)
    teams = people_queries.teams_by_name(rule_set.teams(), session=session)
    people: dict[int, dict] = {}
    for user in users.values():
        people.setdefault(user.id, {"user": user, "teams": []})
    for team, members in teams.values():
        for user in members:
            people.setdefault(user.id, {"user": user, "teams": []})["teams"].append(team.name)
    if not people:
        return []
    router, made = service.router_for(rule_set, session=session, moment=now(), lock=False)
    caps = service.capacities(session=session)
    found = []
    for user_id, entry in sorted(people.items(), key=lambda item: (item[1]["user"].name or item[1]["user"].email)):
        member = made.get(user_id)
        skip = router.available(member) if member else None
        found.append({**entry, "member": member, "cap": caps.get(user_id), "why_not": skip.reason if skip else None})
    return found


def _page(request: Request, session, actor, *, text: str | None = None, notes: str = "", problems=None,
          preview=None, status_code: int = 200):
    row, rule_set = service.current(session=session)
    context = {
        "row": row, "rule_set": rule_set, "text": text if text is not None else (
            _text_of(row.definition) if row else EXAMPLE), "notes": notes, "problems": problems or [],
        "preview": preview, "versions": service.versions(session=session, limit=30),
        "members": _members(session, rule_set), "queues": service.queue_counts(session=session),
        "editable": actor.can("routing:rules"), "fields": rules.SCOPE,
    }
    actors = people_queries.actor_names({v.created_by for v in context["versions"]}, session=session)
    context["actors"] = actors
    return render(request, "routing/rules.html", context, status_code=status_code)


@router.get("/routing")
def routing_page(request: Request, session: DbSession, actor: PageActor):
    actor.require("routing:rules")
    return _page(request, session, actor)


@router.get("/routing/export")
def routing_export(session: DbSession, actor: PageActor, format: str = "yaml"):
    actor.require("routing:rules")
    row = service.active_rule_set(session=session)
    fmt = "json" if format == "json" else "yaml"
    text = documents.export_text(row.definition if row else rules.dump(rules.empty()), fmt)
    return PlainTextResponse(text, media_type="application/json" if fmt == "json" else "application/yaml",
                             headers={"Content-Disposition": f'attachment; filename="routing.{fmt}"'})


@router.post("/routing/preview")
async def routing_preview(request: Request, session: DbSession, actor: PageActor):
    """Check the rules and show where today's unowned open leads would go; nothing is saved."""
    actor.require("routing:rules")
    form = await _form(request)
    text = (form.get("text") or "")[:MAX_TEXT]
    document, problems = _checked(session, text)
    preview = service.preview(document, session=session) if not problems else None
    session.rollback()
    if _is_htmx(request):
        return render(request, "routing/_check.html", {"problems": problems, "preview": preview},
                      status_code=422 if problems else 200)
    return _page(request, session, actor, text=text, notes=form.get("notes", ""), problems=problems,
                 preview=preview, status_code=422 if problems else 200)


@router.post("/routing")
async def routing_save(request: Request, session: DbSession, actor: PageActor):
    actor.require("routing:rules")
    form = await _form(request)
    text = (form.get("text") or "")[:MAX_TEXT]
    notes = (form.get("notes") or "").strip()[:2000]
    document, problems = _checked(session, text)
    if problems:
        return _page(request, session, actor, text=text, notes=notes, problems=problems, status_code=422)
    activate = form.get("activate") == "on"
    row = service.save_rule_set(document, session=session, actor=actor.label, notes=notes or None,
                                activate=activate)
    session.commit()
    what = "and made it the rules in force" if activate else "as a draft (activate it below to use it)"
    return redirect(request, "/routing", message=f"Saved version {row.version} of the routing rules {what}.",
                    kind="ok")


@router.post("/routing/versions/{version:int}/activate")
async def routing_activate(version: int, request: Request, session: DbSession, actor: PageActor):
    actor.require("routing:rules")
    try:
        service.activate_version(version, session=session, actor=actor.label)
    except Invalid as exc:
        return redirect(request, "/routing", kind="error", message=f"Version {version} cannot be used: " +
                        "; ".join(f"{e.field}: {e.reason}" for e in exc.errors))
    session.commit()
    return redirect(request, "/routing", message=f"Version {version} of the routing rules is in force.", kind="ok")


def _limit(text: str, label: str, errors: list) -> int | None:
    text = (text or "").strip()
    if not text:
        return None
    if not text.isdecimal() or len(text) > 6:
        errors.append(f"{label}: a whole number, or empty for no limit")
        return None
    return int(text)


@router.post("/routing/capacities/{user_id:int}")
async def routing_capacity(user_id: int, request: Request, session: DbSession, actor: PageActor):
    actor.require("routing:rules")
    form = await _form(request)
    errors: list[str] = []
    max_open = _limit(form.get("max_open", ""), "At most open", errors)
    max_per_day = _limit(form.get("max_per_day", ""), "New a day", errors)
    weight = _limit(form.get("weight", ""), "Weight", errors)
    weight = 1 if weight is None else weight
    if errors:
        return redirect(request, "/routing#people", message="; ".join(errors) + ".", kind="error")
    try:
        service.set_capacity(user_id, session=session, max_open=max_open, max_per_day=max_per_day, weight=weight)
    except Invalid as exc:
        return redirect(request, "/routing#people", kind="error",
                        message="; ".join(f"{e.field}: {e.reason}" for e in exc.errors))
    session.commit()
    name = people_queries.user_names([user_id], session=session).get(user_id, "them")
    return redirect(request, "/routing#people", message=f"Saved the limits for {name}.", kind="ok")


# --- the lead page's panel --------------------------------------------------------------------------------------------

def _panel_context(session, actor, lead: Lead, *, status: str | None = None, error: str | None = None) -> dict:
    history = service.history(lead.id, session=session, limit=20)
    names = people_queries.user_names({h.user_id for h in history} | {h.previous_user_id for h in history}
                                      | ({lead.owner_id} if lead.owner_id else set()), session=session)
    actors = people_queries.actor_names({h.actor for h in history}, session=session)
    return {"lead": lead, "history": history, "names": names, "actors": actors, "status": status, "error": error,
            "can_assign": actor.can("leads:assign"),
            "owners": leads_queries.assignable_owners(actor, session=session) if actor.can("leads:assign") else []}


def _panel(request: Request, session, actor, lead: Lead, *, changed: bool = False, status_code: int = 200, **extra):
    context = _panel_context(session, actor, lead, **extra)
    if _is_htmx(request):
        return render(request, "routing/_panel.html", context, status_code=status_code,
                      headers=lead_changed("routing") if changed else None)
    return render(request, "routing/lead_routing.html", context, status_code=status_code)


@router.get("/leads/{lead_id:int}/routing")
def lead_routing(lead_id: int, request: Request, session: DbSession, actor: PageActor):
    actor.require("leads:read")
    lead = leads_queries.visible_lead(actor, lead_id, session=session)
    return _panel(request, session, actor, lead)


@router.post("/leads/{lead_id:int}/routing/assign")
async def lead_assign(lead_id: int, request: Request, session: DbSession, actor: PageActor):
    actor.require("leads:assign")
    lead = leads_queries.visible_lead(actor, lead_id, session=session)
    form = await _form(request)
    owner = (form.get("owner") or "").strip()
    queue = (form.get("queue") or "").strip()
    note = (form.get("note") or "").strip()[:2000] or None
    allowed = {str(u.id) for u in leads_queries.assignable_owners(actor, session=session)}
    if owner and owner not in allowed:
        return _panel(request, session, actor, lead, error="Choose someone from the list.", status_code=422)
    if not owner and not queue:
        return _panel(request, session, actor, lead, error="Choose a person, or name a queue.", status_code=422)
    try:
        service.assign(lead, session=session, to=owner if owner else f"queue:{queue}", actor=actor.label, note=note)
    except Invalid as exc:
        return _panel(request, session, actor, lead, error=exc.errors[0].reason, status_code=422)
    session.commit()
    return _panel(request, session, actor, lead, changed=True, status="Handed over.")


@router.post("/leads/{lead_id:int}/routing/route")
async def lead_route(lead_id: int, request: Request, session: DbSession, actor: PageActor):
    actor.require("leads:assign")
    lead = leads_queries.visible_lead(actor, lead_id, session=session)
    if lead.owner_id is not None:
        return _panel(request, session, actor, lead, error="The lead has an owner: hand it over instead.",
                      status_code=422)
    routed = service.route([lead.id], session=session, trigger="reroute", actor=actor.label)
    session.commit()
    if not routed:
        return _panel(request, session, actor, lead, error="Only open leads (new to opportunity) are routed.",
                      status_code=422)
    decision = routed[0].decision
    status = f"Routed to {decision.owner.name or decision.owner.email}." if decision.owner else \
        f"Nobody can take it now: it waits in the queue \u201c{decision.queue}\u201d."
    return _panel(request, session, actor, lead, changed=True, status=status)
