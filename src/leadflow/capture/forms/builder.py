"""The form builder's state (what its page shows, read from a stored form or from the posted builder) and its way to
the API's definition and back (the definition's errors on the builder's inputs). No HTTP: the pages are views.py."""

from __future__ import annotations

import re

from pydantic import ValidationError

from leadflow.capture.forms import definition as forms
from leadflow.capture.forms import service as form_service
from leadflow.capture.forms.schemas import FormCreate
from leadflow.capture.models import Form
from leadflow.errors import FieldError, Invalid

CUSTOM = "custom"
AUTO = "auto"
FIELD_LABELS = {
    "first_name": "First name", "last_name": "Last name", "email": "Email", "phone": "Phone", "mobile": "Mobile",
    "job_title": "Job title", "company": "Company", "street": "Street", "postal_code": "Postal code",
    "city": "City", "region": "Region", "country": "Country", "language": "Language",
}
TYPE_LABELS = {AUTO: "Automatic", "text": "Text", "email": "Email", "tel": "Phone number", "textarea": "Long text",
               "select": "Choice list", "checkbox": "Checkbox (custom fields)", "hidden": "Hidden, fixed value"}
INDEXED = re.compile(r"^(f|c)-(\d{1,3})-(\w+)$")
MAX_ITEMS = {"f": 100, "c": 20}


# --- The builder's state: what the page shows, read from a stored form or from the posted builder ---------------

def _blank_field(target: str = "", required: bool = False) -> dict:
    return {"target": target, "custom": "", "type": AUTO, "label": FIELD_LABELS.get(target, ""), "help": "",
            "required": required, "choices": "", "value": ""}


def _blank_consent() -> dict:
    return {"purpose": "", "text": "", "required": False}


def new_draft() -> dict:
    return {"name": "", "slug": "", "default_language": "en", "languages": "", "title": "", "submit_label": "",
            "thank_you": "", "redirect_url": "", "allowed_origins": "", "campaign_id": "", "active": True,
            "honeypot": "website_url", "fields": [_blank_field("email", True), _blank_field("first_name"),
                                                  _blank_field("company")], "consents": []}


def draft_of(form: Form) -> dict:
    language = form.languages[0]

    def text(texts: dict | None) -> str:
        return (texts or {}).get(language, "")

    fields = []
    for field in form.fields:
        custom = field["maps_to"].startswith(forms.CUSTOM_PREFIX)
        choices = "\n".join(o["value"] if not text(o.get("label")) or text(o.get("label")) == o["value"]
                            else f"{o['value']} = {text(o.get('label'))}" for o in field.get("options", []))
        fields.append({"target": CUSTOM if custom else field["maps_to"],
                       "custom": field["maps_to"][len(forms.CUSTOM_PREFIX):] if custom else "",
                       "type": field["type"], "label": text(field.get("label")), "help": text(field.get("help")),
                       "required": field["required"], "choices": choices, "value": field.get("value") or ""})
    return {"name": form.name, "slug": form.slug, "default_language": language,
            "languages": ", ".join(form.languages[1:]), "title": text(form.title),
            "submit_label": text(form.submit_label), "thank_you": text(form.thank_you),
            "redirect_url": form.redirect_url or "", "allowed_origins": "\n".join(form.allowed_origins),
            "campaign_id": str(form.campaign_id or ""), "active": form.active, "honeypot": form.honeypot,
            "fields": fields,
            "consents": [{"purpose": c["purpose"], "text": text(c.get("text")), "required": c["required"]}
                         for c in form.consents]}


def draft_from(posted) -> dict:
    """The posted builder as its state: plain texts, fields and consents in the order posted."""
    def value(name: str, limit: int = 10_000) -> str:
        raw = posted.get(name)
        return raw.strip()[:limit] if isinstance(raw, str) else ""

    draft = {name: value(name) for name in ("name", "slug", "default_language", "languages", "title",
                                            "submit_label", "thank_you", "redirect_url", "allowed_origins",
                                            "campaign_id", "honeypot")}
    draft["active"] = bool(value("active"))
    items: dict[str, dict[int, dict]] = {"f": {}, "c": {}}
    for name in posted.keys():
        match = INDEXED.match(name)
        if match and int(match.group(2)) < MAX_ITEMS[match.group(1)]:
            kind, index, part = match.group(1), int(match.group(2)), match.group(3)
            items[kind].setdefault(index, {})[part] = value(name)
    draft["fields"] = [{**_blank_field(), "label": "", **parts, "required": bool(parts.get("required"))}
                       for _, parts in sorted(items["f"].items())]
    draft["consents"] = [{**_blank_consent(), **parts, "required": bool(parts.get("required"))}
                         for _, parts in sorted(items["c"].items())]
    return draft


def apply(draft: dict, op: str) -> bool:
    """A change to the builder's layout (add, remove, move); False when the op is not one."""
    verb, _, number = op.partition(":")
    index = int(number) if number.isdecimal() else -1
    fields, consents = draft["fields"], draft["consents"]
    if verb == "add_field" and len(fields) < MAX_ITEMS["f"]:
        fields.append(_blank_field())
    elif verb == "add_consent" and len(consents) < MAX_ITEMS["c"]:
        consents.append(_blank_consent())
    elif verb == "remove_field" and 0 <= index < len(fields):
        fields.pop(index)
    elif verb == "remove_consent" and 0 <= index < len(consents):
        consents.pop(index)
    elif verb == "up_field" and 0 < index < len(fields):
        fields[index - 1], fields[index] = fields[index], fields[index - 1]
    elif verb == "down_field" and 0 <= index < len(fields) - 1:
        fields[index + 1], fields[index] = fields[index], fields[index + 1]
    else:
        return False
    return True


# --- From the builder's state to the API's definition, and the definition's errors back to the builder's inputs ---

def _choices(text: str, language: str) -> list[dict]:
    options = []
    for line in text.splitlines():
        value, _, label = line.partition("=")
        if value.strip() or label.strip():
            options.append({"value": value.strip(), "label": {language: label.strip()} if label.strip() else {}})
    return options


def definition_values(draft: dict, *, stored: Form | None = None) -> dict:
    """The definition as POST /api/v1/forms takes it; texts in other languages of a stored form are kept."""
    language = (draft["default_language"] or "en").strip()
    kept = form_service.definition_of(stored) if stored is not None else None
    others = [code.strip() for code in re.split(r"[,\s]+", draft["languages"]) if code.strip()]

    def texts(text: str, old: dict | None = None) -> dict:
        result = {k: v for k, v in (old or {}).items() if k != language and k in others}
        if text:
            result[language] = text
        return result

    old_fields = {f["maps_to"]: f for f in kept["fields"]} if kept else {}
    old_consents = {c["purpose"]: c for c in kept["consents"]} if kept else {}
    fields = []
    for field in draft["fields"]:
        maps_to = (forms.CUSTOM_PREFIX + field["custom"].strip()) if field["target"] == CUSTOM else field["target"]
        old = old_fields.get(maps_to, {})
        kind = None if field["type"] in ("", AUTO) else field["type"]
        item = {"maps_to": maps_to, "type": kind, "required": field["required"],
                "label": texts(field["label"], old.get("label")), "help": texts(field["help"], old.get("help"))}
        if kind == "select":
            old_labels = {o["value"]: o.get("label", {}) for o in old.get("options", [])}
            item["options"] = [{**o, "label": texts(o["label"].get(language, ""), old_labels.get(o["value"]))}
                               for o in _choices(field["choices"], language)]
        if kind == "hidden":
            item["value"] = field["value"] or None
        fields.append(item)
    consents = [{"purpose": c["purpose"], "required": c["required"],
                 "text": texts(c["text"], old_consents.get(c["purpose"], {}).get("text"))}
                for c in draft["consents"]]
    return {
        "name": draft["name"], "slug": draft["slug"] or None, "default_language": language, "languages": others,
        "title": texts(draft["title"], kept and kept["title"]),
        "submit_label": texts(draft["submit_label"], kept and kept["submit_label"]), "fields": fields,
        "consents": consents, "honeypot": draft["honeypot"] or "website_url",
        "thank_you": texts(draft["thank_you"], kept and kept["thank_you"]),
        "redirect_url": draft["redirect_url"] or None,
        "campaign_id": int(draft["campaign_id"]) if draft["campaign_id"].isdecimal() else None,
        "allowed_origins": [line.strip() for line in draft["allowed_origins"].splitlines() if line.strip()],
        "active": draft["active"],
    }


def _sentence(reason: str) -> str:
    reason = reason.removeprefix("Value error, ")
    return reason[:1].upper() + reason[1:] + ("" if reason.endswith(".") else ".")


def _error_key(path: str) -> tuple[str, str | None]:
    """An error's field path as the builder input it concerns: fields.2.label.en -> fields.2.label."""
    parts = path.split(".")
    if parts[0] in ("fields", "consents") and len(parts) >= 3 and parts[1].isdecimal():
        part = {"maps_to": "target", "options": "choices"}.get(parts[2], parts[2])
        return f"{parts[0]}.{parts[1]}.{part}", None
    if parts[0] == "allowed_origins" and len(parts) > 1 and parts[1].isdecimal():
        return "allowed_origins", f"Line {int(parts[1]) + 1}"
    if parts[0] == "languages":
        return "languages", None
    if parts[0] in ("campaign", "campaign_id"):
        return "campaign_id", None
    return parts[0], None


def input_errors(items: list[FieldError], values: dict) -> dict[str, str]:
    errors: dict[str, str] = {}
    for error in items:
        key, where = _error_key(error.field)
        if key == "allowed_origins" and where:
            index = int(error.field.split(".")[1])
            origins = values.get("allowed_origins") or []
            shown = origins[index] if index < len(origins) else ""
            message = f"{where} ({shown}): {error.reason}."
        else:
            message = _sentence(error.reason)
        errors[key] = f"{errors[key]} {message}" if key in errors and message not in errors[key] else message
    return errors


def _validation(exc: ValidationError) -> list[FieldError]:
    result = []
    for error in exc.errors():
        path = ".".join(str(p) for p in error["loc"])
        reason = "is required" if error["type"] == "missing" else error["msg"]
        if error["type"] == "too_short" and path == "fields":
            reason = "a form needs at least one field"
        result.append(FieldError(path or "form", reason))
    return result


def check(values: dict) -> None:
    """The API's body rules (lengths, types), as Invalid with the API's field paths."""
    try:
        FormCreate(**values)
    except ValidationError as exc:
        raise Invalid(_validation(exc)) from None
