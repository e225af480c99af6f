"""Hosted forms: check a definition, choose the language, lay out the form, read a post into a Submission.

Pure: no database, no HTTP, no templates, no clock; errors come back as FieldErrors naming the field.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

from leadflow.capture.domain import ATTRIBUTION_FIELDS, LEAD_FIELDS, Submission, attribution_from
from leadflow.capture.forms.words import words
from leadflow.errors import FieldError, Invalid
from leadflow.leads.domain import clean_text, normalize_language

FIELD_TYPES = ("text", "email", "tel", "textarea", "select", "checkbox", "hidden")
CUSTOM_PREFIX = "custom_fields."
SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$")
KEY_RE = re.compile(r"^[A-Za-z0-9_-]{1,100}$")
HONEYPOT_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
RESERVED_INPUTS = {*ATTRIBUTION_FIELDS, "_lang", "_ts"}
MAX_VALUE = 10_000
MIN_FILL_SECONDS = 3
AUTOCOMPLETE = {
    "first_name": "given-name", "last_name": "family-name", "email": "email", "phone": "tel", "mobile": "tel",
    "job_title": "organization-title", "company": "organization", "street": "street-address",
    "postal_code": "postal-code", "city": "address-level2", "region": "address-level1", "country": "country-name",
    "language": "language",
}
DEFAULT_TYPE = {"email": "email", "phone": "tel", "mobile": "tel"}

REQUIRED = "is required"
NOT_TICKED = "must be ticked"
NOT_A_CHOICE = "is not one of the choices"

def pick(texts: dict | None, language: str, default: str) -> str:
    """The text in the language asked for, else in the form's default language."""
    texts = texts or {}
    return texts.get(language) or texts.get(default) or ""


def slugify(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name)
    ascii_text = "".join(c for c in folded if not unicodedata.combining(c)).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60].strip("-")
    return slug or "form"


def normalize_origin(value: str) -> str:
    """`https://Host:443/` -> `https://host`; raises ValueError when it is not an exact https origin."""
    text = value.strip()
    if "*" in text:
        raise ValueError("no wildcards: name each origin exactly")
    parts = urlsplit(text)
    if parts.scheme.lower() != "https":
        raise ValueError("must be an https origin such as https://www.example.com")
    if parts.username or parts.password or parts.query or parts.fragment or parts.path not in ("", "/"):
        raise ValueError("an origin is scheme, host and port only: no path, query or user")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        raise ValueError("has an invalid port") from None
    if not host:
        raise ValueError("has no host")
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError("has an invalid host name") from None
    if ":" in host:
        host = f"[{host}]"
    return f"https://{host}" + (f":{port}" if port and port != 443 else "")


def origin_of(url: str) -> str | None:
    """The origin of any http(s) URL, for comparing with an Origin header."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    default = 443 if parts.scheme == "https" else 80
    try:
        port = parts.port
    except ValueError:
        return None
    return f"{parts.scheme}://{parts.hostname}" + (f":{port}" if port and port != default else "")


def _check_redirect(value: str) -> str:
    text = value.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an absolute http:// or https:// URL")
    if any(ord(c) < 33 for c in text):
        raise ValueError("must not contain spaces or control characters")
    return text


def _texts(value: object, where: str, languages: list[str], errors: list[FieldError], *,
           required: bool, limit: int) -> dict[str, str]:
    texts: dict[str, str] = {}
    for key, text in (value or {}).items():
        try:
            language = normalize_language(str(key))
        except ValueError as exc:
            errors.append(FieldError(f"{where}.{key}", str(exc)))
            continue
        if language not in languages:
            errors.append(FieldError(f"{where}.{key}", "is not one of the form's languages"))
            continue
        text = str(text).strip()
        if len(text) > limit:
            errors.append(FieldError(f"{where}.{key}", f"longer than {limit} characters"))
        elif text:
            texts[language] = text
    if required and languages and languages[0] not in texts:
        errors.append(FieldError(where, f"needs a text in the default language ({languages[0]})"))
    return texts


def check_definition(data: dict) -> dict:
    """Every rule of a form definition at once; returns it normalized or raises Invalid naming each field."""
    errors: list[FieldError] = []
    slug = data.get("slug") or ""
    if not SLUG_RE.match(slug):
        errors.append(FieldError("slug", "use lowercase letters, digits and dashes (at most 100)"))
    name = clean_text(data.get("name"))
    if not name:
        errors.append(FieldError("name", REQUIRED))

    languages: list[str] = []
    for index, code in enumerate(data.get("languages") or []):
        try:
            language = normalize_language(str(code))
        except ValueError as exc:
            errors.append(FieldError("default_language" if index == 0 else f"languages.{index - 1}", str(exc)))
            continue
        if language not in languages:
            languages.append(language)
    if not languages:
        errors.append(FieldError("default_language", REQUIRED))
        languages = ["en"]

    def texts(value, where, *, required=False, limit=500):
        return _texts(value, where, languages, errors, required=required, limit=limit)

    fields, names = [], set()
    for index, raw in enumerate(data.get("fields") or []):
        where = f"fields.{index}"
        maps_to = str(raw.get("maps_to") or "").strip()
        custom = maps_to.startswith(CUSTOM_PREFIX)
        if not (maps_to in LEAD_FIELDS or (custom and KEY_RE.match(maps_to[len(CUSTOM_PREFIX):]))):
            errors.append(FieldError(f"{where}.maps_to", "must be a lead field (" + ", ".join(LEAD_FIELDS)
                                     + ") or custom_fields.<name> (letters, digits, _ and -)"))
            continue
        if maps_to in names:
            errors.append(FieldError(f"{where}.maps_to", "is used by another field of this form"))
            continue
        names.add(maps_to)
        kind = raw.get("type") or DEFAULT_TYPE.get(maps_to, "text")
        if kind not in FIELD_TYPES:
            errors.append(FieldError(f"{where}.type", f"must be one of {', '.join(FIELD_TYPES)}"))
            continue
        if maps_to == "email" and kind not in ("email", "hidden"):
            errors.append(FieldError(f"{where}.type", "the email field must have type email"))
        if kind == "email" and maps_to != "email" and not custom:
            errors.append(FieldError(f"{where}.type", "type email is for the email field or a custom field"))
        if kind == "checkbox" and not custom:
            errors.append(FieldError(f"{where}.type", "a checkbox can only fill a custom field"))
        required = bool(raw.get("required"))
        field = {"maps_to": maps_to, "type": kind, "required": required,
                 "label": texts(raw.get("label"), f"{where}.label", required=kind != "hidden"),
                 "help": texts(raw.get("help"), f"{where}.help", limit=2000)}
        options = raw.get("options") or []
        if kind == "select":
            if not options:
                errors.append(FieldError(f"{where}.options", "a select needs at least one option"))
            values = set()
            field["options"] = []
            for number, option in enumerate(options):
                value = str(option.get("value") or "").strip()
                if not value or value in values:
                    errors.append(FieldError(f"{where}.options.{number}.value",
                                             "is empty" if not value else "is used by another option"))
                    continue
                values.add(value)
                field["options"].append({"value": value, "label": texts(
                    option.get("label"), f"{where}.options.{number}.label")})
        elif options:
            errors.append(FieldError(f"{where}.options", "only a select has options"))
        if kind == "hidden":
            value = clean_text(raw.get("value"))
            if not value:
                errors.append(FieldError(f"{where}.value", "a hidden field needs its fixed value"))
            if required:
                errors.append(FieldError(f"{where}.required", "a hidden field cannot be required"))
            field["value"] = value
        elif raw.get("value") not in (None, ""):
            errors.append(FieldError(f"{where}.value", "only a hidden field has a fixed value"))
        fields.append(field)
    if not data.get("fields"):
        errors.append(FieldError("fields", "a form needs at least one field"))
    visible = {f["maps_to"] for f in fields if f["type"] != "hidden"}
    named = bool(visible & {"first_name", "last_name"}) and bool(visible & {"company", "street", "postal_code"})
    if fields and not (visible & {"email", "phone", "mobile"} or named):
        errors.append(FieldError("fields", "needs an email or phone field, or a name with a company or postal code"))

    consents, purposes = [], set()
    for index, raw in enumerate(data.get("consents") or []):
        purpose = str(raw.get("purpose") or "").strip()
        if not KEY_RE.match(purpose) or purpose in purposes:
            errors.append(FieldError(f"consents.{index}.purpose", "is used by another consent" if purpose in purposes
                                     else "use letters, digits, _ and - (at most 100)"))
            continue
        purposes.add(purpose)
        consents.append({"purpose": purpose, "required": bool(raw.get("required")),
                         "text": texts(raw.get("text"), f"consents.{index}.text", required=True, limit=5000)})

    honeypot = str(data.get("honeypot") or "").strip()
    if not HONEYPOT_RE.match(honeypot) or honeypot in names or honeypot in RESERVED_INPUTS:
        errors.append(FieldError("honeypot", "must be a plain input name (letters, digits, _ and -) that no field,"
                                             " attribution parameter or consent uses"))

    redirect_url = data.get("redirect_url") or None
    if redirect_url:
        try:
            redirect_url = _check_redirect(redirect_url)
        except ValueError as exc:
            errors.append(FieldError("redirect_url", str(exc)))

    origins = []
    for index, origin in enumerate(data.get("allowed_origins") or []):
        try:
            origin = normalize_origin(str(origin))
        except ValueError as exc:
            errors.append(FieldError(f"allowed_origins.{index}", str(exc)))
            continue
        if origin not in origins:
            origins.append(origin)

    definition = {
        "slug": slug, "name": name, "languages": languages,
        "title": texts(data.get("title"), "title", limit=300),
        "submit_label": texts(data.get("submit_label"), "submit_label", limit=100),
        "fields": fields, "consents": consents, "honeypot": honeypot,
        "thank_you": texts(data.get("thank_you"), "thank_you", limit=5000),
        "redirect_url": redirect_url, "allowed_origins": origins, "active": bool(data.get("active", True)),
    }
    if errors:
        raise Invalid(errors)
    return definition


def choose_language(definition: dict, asked: str | None, accept_language: str | None = None) -> str:
    """`?lang=` first, then the browser's Accept-Language, then the form's default language."""
    languages = definition["languages"]
    wanted = [asked] if asked else []
    ranked = []
    for position, part in enumerate((accept_language or "").split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and tag != "*" and quality > 0:
            ranked.append((-quality, position, tag))
    wanted += [tag for _, _, tag in sorted(ranked)]
    for tag in wanted:
        tag = tag.strip().replace("_", "-").lower()
        if tag in languages:
            return tag
        if tag.split("-")[0] in languages:
            return tag.split("-")[0]
    return languages[0]


def input_name(field: dict) -> str:
    return field["maps_to"]


def consent_name(consent: dict) -> str:
    return f"consent.{consent['purpose']}"


def message_for(error: FieldError, language: str) -> str:
    """What a visitor reads beside a field; the API keeps the English reason."""
    text = words(language)
    if error.reason == REQUIRED:
        return text["required"]
    if error.reason == NOT_TICKED:
        return text["consent"]
    if error.reason == NOT_A_CHOICE:
        return text["choice"]
    if error.reason.startswith("longer than"):
        return text["too_long"]
    if error.field == "email":
        return text["email"]
    if error.field in ("phone", "mobile"):
        return text["phone"]
    if error.field == "lead":
        return text["lead"]
    return text["invalid"]


def layout(definition: dict, language: str, *, values: dict[str, str] | None = None,
           errors: list[FieldError] | None = None, id_prefix: str = "lf") -> dict:
    """Everything a template needs, already in the chosen language: labels, ids, values, errors."""
    default = definition["languages"][0]
    values = values or {}
    by_field = {}
    for error in errors or []:
        by_field.setdefault(error.field, message_for(error, language))
    text = words(language)
    fields, summary = [], []
    for index, field in enumerate(definition["fields"]):
        name = input_name(field)
        if field["type"] == "hidden":
            continue
        ident = f"{id_prefix}-f{index}"
        label = pick(field["label"], language, default)
        error = by_field.pop(name, None)
        if error:
            summary.append({"target": ident, "label": label, "message": error})
        fields.append({
            "id": ident, "name": name, "type": field["type"], "label": label, "required": field["required"],
            "help": pick(field.get("help"), language, default), "error": error, "value": values.get(name, ""),
            "checked": bool(values.get(name)), "autocomplete": AUTOCOMPLETE.get(name, "off" if name.startswith(
                CUSTOM_PREFIX) else ""),
            "options": [{"value": o["value"], "label": pick(o["label"], language, default) or o["value"],
                         "selected": values.get(name) == o["value"]} for o in field.get("options", [])],
        })
    consents = []
    for index, consent in enumerate(definition["consents"]):
        name, ident = consent_name(consent), f"{id_prefix}-c{index}"
        error = by_field.pop(name, None)
        consent_text = pick(consent["text"], language, default)
        if error:
            summary.append({"target": ident, "label": consent_text[:80], "message": error})
        consents.append({"id": ident, "name": name, "text": consent_text, "required": consent["required"],
                         "checked": bool(values.get(name)), "error": error})
    summary += [{"target": None, "label": "", "message": message} for message in by_field.values()]
    return {
        "language": language, "title": pick(definition["title"], language, default) or definition["name"],
        "submit": pick(definition["submit_label"], language, default) or text["submit"],
        "fields": fields, "consents": consents, "summary": summary, "words": text,
        "attribution": {name: (values.get(name) or "")[:2000] for name in ATTRIBUTION_FIELDS},
        "honeypot": {"id": f"{id_prefix}-hp", "name": definition["honeypot"]},
    }


def thank_you(definition: dict, language: str) -> str:
    return pick(definition["thank_you"], language, definition["languages"][0]) or words(language)["thanks"]


def is_spam(definition: dict, values: dict[str, str]) -> bool:
    return bool((values.get(definition["honeypot"]) or "").strip())


def filled_too_fast(shown_at: float | None, received_at: float) -> bool:
    """A form sent back sooner after it was shown than a person could fill it; unknown means not too fast."""
    return shown_at is not None and 0 <= received_at - shown_at < MIN_FILL_SECONDS


def read_post(definition: dict, values: dict[str, str], language: str) -> tuple[Submission, list[FieldError]]:
    """A posted form as a Submission: lead and custom fields, consents with the exact text shown, attribution."""
    default = definition["languages"][0]
    errors: list[FieldError] = []
    submission = Submission(attribution=attribution_from(values))
    for field in definition["fields"]:
        name, kind = input_name(field), field["type"]
        if kind == "hidden":
            value: object = field["value"]
        elif kind == "checkbox":
            value = bool((values.get(name) or "").strip())
            if field["required"] and not value:
                errors.append(FieldError(name, NOT_TICKED))
        else:
            value = (values.get(name) or "").strip()
            if not value:
                if field["required"]:
                    errors.append(FieldError(name, REQUIRED))
                continue
            if len(value) > MAX_VALUE:
                errors.append(FieldError(name, f"longer than {MAX_VALUE} characters"))
                continue
            if kind == "select" and value not in {o["value"] for o in field["options"]}:
                errors.append(FieldError(name, NOT_A_CHOICE))
                continue
        if name.startswith(CUSTOM_PREFIX):
            submission.custom_fields[name[len(CUSTOM_PREFIX):]] = value
        else:
            submission.fields[name] = value
    for consent in definition["consents"]:
        name = consent_name(consent)
        if (values.get(name) or "").strip():
            submission.consents.append({"purpose": consent["purpose"], "granted": True,
                                        "text": pick(consent["text"], language, default)})
        elif consent["required"]:
            errors.append(FieldError(name, NOT_TICKED))
    return submission, errors
