"""Roles, their permissions, API key scopes, who sees which leads, and the sign-in lockout: all as data.

Pure: standard library only; time comes in as an argument.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

ADMIN, MARKETING, SALES_MANAGER, SALES_REP, TELEMARKETER = (
    "admin", "marketing", "sales_manager", "sales_rep", "telemarketer")
ROLES = (ADMIN, MARKETING, SALES_MANAGER, SALES_REP, TELEMARKETER)
TEAM_KINDS = ("sales", "marketing", "telemarketing")

# What each permission allows, in words for the docs and for 403 answers.
PERMISSIONS: dict[str, str] = {
    "leads:read": "see leads, their timeline, consents and captures",
    "leads:create": "capture leads through the API and quick entry",
    "leads:write": "edit leads and add notes",
    "leads:assign": "change a lead's owner",
    "leads:merge": "merge leads, undo merges and judge possible duplicates",
    "leads:export": "export leads",
    "events:write": "send behaviour events (visits, email opens, webinars...) for leads",
    "captures:read": "read the whole capture log, rejected submissions too",
    "companies:read": "see companies",
    "companies:write": "create and edit companies",
    "campaigns:read": "see campaigns and their costs",
    "campaigns:write": "create and edit campaigns and their costs",
    "forms:read": "see form definitions",
    "forms:write": "create and edit forms",
    "imports:read": "see imports and their reject files",
    "imports:run": "upload and run imports",
    "call_lists:read": "see call lists and the leads on them",
    "call_lists:manage": "make call lists and call scripts, set their targets, see every agent's throughput",
    "calls:make": "work the call lists one is on: claim the next lead, record call outcomes",
    "identity:rules": "change the survivorship rules of merges",
    "scoring:rules": "edit, activate, export and import scoring rule sets and start rescores",
    "users:manage": "manage users, teams and API keys",
    "qualification:rule": "edit the Sales Ready rule",
    "routing:rules": "edit, preview, import and activate the routing rules and salespeople's capacities",
    "webhooks:manage": "manage webhooks and CRM connectors, see their delivery logs, replay deliveries",
    "followup:work": "work a salesperson's day: log contacts, tasks, recycle leads (on the leads one sees)",
    "followup:scorecard": "see the follow-up scorecard (a salesperson: their own figures)",
    "followup:policies": "set the follow-up policies (due times, reminders, escalation) and the scorecard's norms",
    "pipeline:read": "see opportunities, quotes and the weighted pipeline (of the leads one sees)",
    "pipeline:write": "create and move opportunities, record quotes, competitors, won and lost",
    "pipeline:settings": "configure the opportunity stages, the won, lost and recycle reasons and the competitors",
    "analytics:read": "see the dashboards: campaign economics, attribution, the funnel (a salesperson: their own)",
    "analytics:settings": "set the reporting currency, exchange rates, ROI norms and revenue targets",
    "analytics:digest": "receive the weekly digest and the ROI alerts by email",
    "segments:read": "see segments and their members (of the leads one sees)",
    "segments:manage": "create, change, rebuild and delete segments",
    "surveys:manage": "create and edit surveys, see their responses, make a lead's signed survey link",
    "email:read": "see marketing email templates, the message log and why a message was not sent",
    "email:manage": "edit email templates, send tests, change the email settings, suppress addresses, requeue",
    "journeys:read": "see nurture journeys, their steps and how many leads are at each step",
    "journeys:manage": "edit, simulate, publish, pause and resume nurture journeys and enrol leads in them",
}

_READ = {"leads:read", "companies:read", "campaigns:read"}
_WORK = _READ | {"leads:create", "leads:write", "companies:write", "events:write"}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    ADMIN: frozenset(PERMISSIONS),
    MARKETING: frozenset(_WORK | {"leads:assign", "leads:merge", "leads:export", "captures:read", "campaigns:write",
                                  "forms:read", "forms:write", "imports:read", "imports:run", "call_lists:read",
                                  "call_lists:manage", "qualification:rule", "scoring:rules",
                                  "routing:rules", "followup:scorecard", "pipeline:read", "analytics:read",
                                  "analytics:settings", "analytics:digest", "segments:read", "segments:manage",
                                  "surveys:manage", "journeys:read", "journeys:manage"}),
    SALES_MANAGER: frozenset(_WORK | {"leads:assign", "leads:merge", "leads:export", "call_lists:read",
                                      "call_lists:manage", "qualification:rule", "routing:rules",
                                      "followup:work", "followup:scorecard", "followup:policies",
                                      "pipeline:read", "pipeline:write", "pipeline:settings", "analytics:read",
                                      "analytics:digest", "segments:read", "journeys:read"}),
    SALES_REP: frozenset(_WORK | {"leads:merge", "followup:work", "followup:scorecard", "pipeline:read",
                                  "pipeline:write", "analytics:read", "segments:read"}),
    TELEMARKETER: frozenset(_WORK | {"call_lists:read", "calls:make"}),
}
# Telemarketing (issue 15): telemarketers call; marketing and sales managers run the lists and may call too.
ROLE_PERMISSIONS[MARKETING] |= {"calls:make"}
ROLE_PERMISSIONS[SALES_MANAGER] |= {"calls:make"}
# Marketing email (issue 14): marketing runs it, managers read it.
ROLE_PERMISSIONS[MARKETING] |= {"email:read", "email:manage"}
ROLE_PERMISSIONS[SALES_MANAGER] |= {"email:read"}

# Where each role lands after signing in: the page it works from (docs/workspace.md, "Start page").
HOME_PAGES: dict[str, str] = {
    ADMIN: "/settings",                           # users, teams, API keys, the rules
    MARKETING: "/campaigns",                      # campaigns, their forms, imports and costs
    SALES_MANAGER: "/leads?sort=score",           # the team's leads, hottest first
    SALES_REP: "/my-day",                         # my day: follow-ups, tasks, call-backs, new leads
    TELEMARKETER: "/call-lists",                  # my call lists
}

# Which leads a role sees: every lead, its team's, its own (and its team's where the team shares), its call lists'.
LEAD_VISIBILITY: dict[str, str] = {
    ADMIN: "all", MARKETING: "all", SALES_MANAGER: "team", SALES_REP: "own", TELEMARKETER: "call_lists",
}

# An API key's scopes narrow its user's permissions; a key without scopes has all of them.
SCOPES: dict[str, frozenset[str]] = {
    "leads:read": frozenset({"leads:read", "companies:read", "captures:read", "leads:export"}),
    "leads:write": frozenset({"leads:create", "leads:write", "leads:assign", "leads:merge", "companies:write",
                              "events:write"}),
    "events:write": frozenset({"events:write"}),
    "campaigns:read": frozenset({"campaigns:read", "forms:read", "imports:read"}),
    "campaigns:write": frozenset({"campaigns:write", "forms:write"}),
    "imports:write": frozenset({"imports:run"}),
    "admin": frozenset({"users:manage", "identity:rules", "call_lists:manage", "qualification:rule", "scoring:rules",
                       "routing:rules", "webhooks:manage", "followup:policies", "pipeline:settings",
                       "analytics:settings"}),
    "sales:read": frozenset({"followup:scorecard", "pipeline:read"}),
    "sales:write": frozenset({"followup:work", "pipeline:write"}),
    "analytics:read": frozenset({"analytics:read"}),
    "segments:read": frozenset({"segments:read"}),
    "segments:write": frozenset({"segments:read", "segments:manage"}),
    "email:read": frozenset({"email:read"}),
    "email:manage": frozenset({"email:read", "email:manage"}),
    "journeys:read": frozenset({"journeys:read"}),
    "journeys:manage": frozenset({"journeys:read", "journeys:manage"}),
    "surveys:manage": frozenset({"surveys:manage"}),
    "calls:read": frozenset({"call_lists:read"}),
    "calls:write": frozenset({"call_lists:read", "calls:make"}),  # a dialler: claims and outcomes
    "calls:manage": frozenset({"call_lists:read", "call_lists:manage", "calls:make"}),
}


def permissions_of(role: str, scopes: list[str] | tuple[str, ...] = ()) -> frozenset[str]:
    granted = ROLE_PERMISSIONS.get(role, frozenset())
    if not scopes:
        return granted
    allowed = frozenset().union(*(SCOPES.get(scope, frozenset()) for scope in scopes))
    return granted & allowed


def unknown_scopes(scopes: list[str]) -> list[str]:
    return [scope for scope in scopes if scope not in SCOPES]


# Sign-in: this many failures in a row lock the account (or the unknown address) for LOCKOUT.
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(days=7)
RESET_LIFETIME = timedelta(hours=1)
MIN_PASSWORD_LENGTH = 10


@dataclass(frozen=True)
class Attempts:
    failures: int
    locked_until: datetime | None


def is_locked(attempts: Attempts, moment: datetime) -> bool:
    return attempts.locked_until is not None and attempts.locked_until > moment


def after_failure(attempts: Attempts, moment: datetime) -> Attempts:
    """One more failure; the MAX_FAILURES-th locks for LOCKOUT and starts the count again."""
    failures = attempts.failures + 1
    if failures >= MAX_FAILURES:
        return Attempts(0, moment + LOCKOUT)
    return Attempts(failures, attempts.locked_until)


def password_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"must be at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > 1000:
        return "must be at most 1000 characters"
    return None
