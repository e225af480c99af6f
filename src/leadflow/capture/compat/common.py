"""What the vendor readers share: form bodies to pairs, the sender's field names, UTM parameters in URLs.

Pure: no database, no HTTP framework, no clock.
"""

from __future__ import annotations

import codecs
import io
from dataclasses import dataclass, field
from urllib.parse import parse_qs, parse_qsl, urlsplit

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import parse_form, parse_options_header

from leadflow.capture.domain import ATTRIBUTION_FIELDS, Submission, attribution_from
from leadflow.errors import FieldError, Invalid
from leadflow.leads.domain import clean_text

MAX_FIELDS = 1000
CLICK_PARAMETERS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "gclid", "fbclid",
                    "msclkid")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@dataclass
class Read:
    """A vendor's post read into a Submission, with the sender's own name for each lead field."""

    submission: Submission
    names: dict[str, str] = field(default_factory=dict)  # lead field -> the name the sender used
    client: str | None = None
    external_id: str | None = None
    idempotency_key: str | None = None
    return_url: str | None = None


def form_pairs(raw: bytes, content_type: str | None, *, charset: str | None = None) -> list[tuple[str, str]]:
    """The (name, value) pairs of a form post, url-encoded or multipart; uploaded files are not kept."""
    media, params = parse_options_header(content_type or "application/x-www-form-urlencoded")
    media_type = media.decode("latin-1").lower()
    if media_type not in FORM_TYPES:
        raise Invalid.one("content-type", f"must be one of {', '.join(FORM_TYPES)}")
    encoding = _encoding(charset or params.get(b"charset", b"utf-8").decode("latin-1"))
    if media_type == FORM_TYPES[0]:
        try:
            return parse_qsl(raw.decode(encoding), keep_blank_values=True, strict_parsing=True,
                             encoding=encoding, errors="strict", max_num_fields=MAX_FIELDS)
        except UnicodeDecodeError:
            raise Invalid.one("body", f"is not valid {encoding}") from None
        except ValueError as exc:
            raise Invalid.one("body", f"is not a url-encoded form: {str(exc)[:200]}") from None
    pairs: list[tuple[str, str]] = []

    def on_field(part) -> None:
        if len(pairs) >= MAX_FIELDS:
            raise Invalid.one("body", f"more than {MAX_FIELDS} fields")
        pairs.append(((part.field_name or b"").decode(encoding), (part.value or b"").decode(encoding)))

    def on_file(part) -> None:
        part.close()

    try:
        parse_form({"Content-Type": (content_type or "").encode("latin-1")}, io.BytesIO(raw), on_field, on_file)
    except UnicodeDecodeError:
        raise Invalid.one("body", f"is not valid {encoding}") from None
    except (FormParserError, ValueError) as exc:
        raise Invalid.one("body", f"is not a multipart form: {str(exc)[:200]}") from None
    return pairs


def _encoding(name: str) -> str:
    try:
        return codecs.lookup(name.strip()).name
    except LookupError:
        raise Invalid.one("encoding", f"{name[:40]!r} is not a known character set") from None


def grouped(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Repeated names (multi-select lists, checkbox groups) keep every value, in order."""
    values: dict[str, list[str]] = {}
    for name, value in pairs:
        values.setdefault(name, []).append(value)
    return values


def joined(values: list[str], separator: str = ";") -> str:
    return separator.join(v for v in values if v.strip())


def http_url(value: str | None, field_name: str) -> str | None:
    """A URL a browser may be sent to: absolute http(s), or None when empty."""
    text = clean_text(value)
    if not text:
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.netloc or len(text) > 2000:
        raise Invalid.one(field_name, "must be an absolute http or https URL")
    return text


def touch_from(values: dict[str, object], *, landing_page: str | None = None, urls: tuple = ()) -> dict[str, str]:
    """UTM and click ids posted as fields, then found in the landing page's and the other URLs' query strings."""
    given = {name: values.get(name) for name in ATTRIBUTION_FIELDS}
    if not clean_text(given.get("landing_page")) and landing_page:
        given["landing_page"] = landing_page
    if not _readable(given.get("landing_page")):
        given["landing_page"] = None
    touch = attribution_from(given)
    for url in urls:
        if not _readable(url):
            continue
        query = parse_qs(urlsplit(str(url)).query)
        for name in CLICK_PARAMETERS:
            if name not in touch and query.get(name) and clean_text(query[name][0]):
                touch[name] = clean_text(query[name][0])[:2000]
    return touch


def _readable(url: object) -> bool:
    if not isinstance(url, str) or not url.strip():
        return False
    try:
        urlsplit(url)
    except ValueError:
        return False
    return True


def in_sender_words(errors: list[FieldError], names: dict[str, str]) -> list[FieldError]:
    """Name each error by the field the sender posted (title, not job_title), so they can fix their form."""
    renamed = []
    for error in errors:
        name = error.field
        if name in names:
            name = names[name]
        elif name.startswith("custom_fields."):
            name = name.removeprefix("custom_fields.")
        renamed.append(FieldError(name, error.reason))
    return renamed
