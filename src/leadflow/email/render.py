"""Templates to emails: the MJML layout compiled once per template version (the `mjml` package), personalised per
lead with Jinja's sandbox (unknown names render empty, `default(...)` gives the safe wording), then every web link
made a signed click link and the open pixel added (tracking's tokens, carrying the message id)."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from html.parser import HTMLParser

from jinja2 import ChainableUndefined, TemplateSyntaxError, nodes
from jinja2.sandbox import SandboxedEnvironment, SecurityError
from mjml import mjml_to_html

from leadflow.errors import FieldError, Invalid

_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
_HREF = re.compile(r'href="(https?://[^"]+)"', re.I)
_BODY = re.compile(r"<body[^>]*>", re.I)
_SURVEY_LINK = re.compile(r"""survey_link\(\s*["']([^"']+)["']\s*\)""")
LEAD_FIELDS = ("first_name", "last_name", "email", "company", "job_title", "city", "region", "country",
               "language", "phone")
SAMPLE = {"first_name": "Alex", "last_name": "Example", "email": "alex@example.com", "company": "Example Ltd",
          "job_title": "Head of Marketing", "city": "Helsinki", "country": "FI", "custom": {}}


class _Quiet(ChainableUndefined):
    """An unknown name renders as nothing (and `x.y.z` of it too), so a typo never stops a send."""

    __slots__ = ()

    def __str__(self) -> str:
        return ""

    def _false(self, *args, **kwargs) -> bool:  # `custom.score > 50` with no score: not true, no error
        return False

    def _itself(self, *args, **kwargs):  # arithmetic on nothing is nothing
        return self

    __lt__ = __le__ = __gt__ = __ge__ = _false
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = _itself
    __floordiv__ = __rfloordiv__ = __mod__ = __rmod__ = __pos__ = __neg__ = __pow__ = __rpow__ = _itself


MAX_MADE = 100_000  # the longest text (or list) a template may make by `*`, the largest exponent of `**`


class _Bounded(SandboxedEnvironment):
    """Jinja's sandbox bounds range() but not `'x' * 10**9` or `9**9**9`: one such expression in a template would
    hold a worker (and the preview) for minutes or take gigabytes, for every message. Those are refused."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context, operator, left, right):
        if operator == "**" and isinstance(right, int | float) and (
                abs(right) > 100 or isinstance(left, int) and left.bit_length() * abs(right) > 100_000):
            raise SecurityError(f"an exponent of {right} is too large")
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, str | list | tuple) and isinstance(times, int) and len(seq) * times > MAX_MADE:
                    raise SecurityError(f"that would make more than {MAX_MADE:,} characters")
        return super().call_binop(context, operator, left, right)


_ENV = _Bounded(autoescape=True, undefined=_Quiet, trim_blocks=True, lstrip_blocks=True)
_TEXT_ENV = _Bounded(autoescape=False, undefined=_Quiet)


class RenderFailed(Exception):
    """The template could not be personalised for this lead (the reason is kept on the message)."""


class SurveyMissing(RenderFailed):
    """`survey_link("key")` names no survey (deleted, or its key changed): the email cannot carry its link."""

    def __init__(self, key: str):
        super().__init__(f"survey_link({key!r}) names no survey: it was deleted or its key changed; "
                         "link an existing survey's key")
        self.key = key


def survey_linker(known: Mapping[str, object], url: Callable[[object], str]) -> Callable[[str], str]:
    """The template's `survey_link(key)`: `url(known[key])` (the survey's id) for a key a survey has, else
    SurveyMissing."""
    def survey_link(key: str) -> str:
        if not isinstance(key, str) or key not in known:
            raise SurveyMissing(str(key))
        return url(known[key])

    return survey_link


def survey_keys(source: str) -> set[str]:
    """The survey keys a template's text links with `survey_link("key")` (a key written as a literal)."""
    try:
        tree = _ENV.parse(source or "")
    except TemplateSyntaxError:
        return set(_SURVEY_LINK.findall(source or ""))
    return {call.args[0].value for call in tree.find_all(nodes.Call)
            if isinstance(call.node, nodes.Name) and call.node.name == "survey_link" and call.args
            and isinstance(call.args[0], nodes.Const) and isinstance(call.args[0].value, str)}


@dataclass(frozen=True)
class Rendered:
    subject: str
    html: str
    text: str


_REMOTE_LINK = re.compile(r'\s*<link href="https?://[^"]*"[^>]*>')
_REMOTE_IMPORT = re.compile(r"\s*@import url\(https?://[^)]*\);")


def compile_layout(body_mjml: str, preheader: str = "") -> str:
    """The MJML body as responsive HTML, with its Jinja parts kept as they were (set aside while MJML runs, so it
    neither escapes nor moves them). Raises Invalid naming the field and the line."""
    parts: list[str] = []

    def aside(match: re.Match) -> str:
        parts.append(match.group(0))
        return f"JINJA{len(parts) - 1:05d}X"

    source = _JINJA.sub(aside, body_mjml)
    if "<mjml" not in source.lower():
        raise Invalid.one("body_mjml", "the body must be an MJML document: <mjml><mj-body>...</mj-body></mjml>")
    try:
        result = mjml_to_html(source)
    except Exception as exc:  # noqa: BLE001 - the library raises anything on a malformed document
        raise Invalid.one("body_mjml", f"MJML could not be compiled: {type(exc).__name__}: {exc}") from exc
    if result.errors:
        raise Invalid.one("body_mjml", "MJML: " + "; ".join(str(e) for e in result.errors))
    # No stylesheet from another site (MJML links a web font for its default Ubuntu, and for Lato, Roboto...): an
    # opened email asks no third party for anything; its fonts fall back to the stack every template names.
    page = _REMOTE_LINK.sub("", result.html)
    page = _REMOTE_IMPORT.sub("", page)
    page = re.sub(r"<!--\[if !mso\]><!-->\s*<style type=\"text/css\">\s*</style>\s*<!--<!\[endif\]-->", "", page)
    if preheader:
        hidden = ('<div style="display:none;font-size:1px;line-height:1px;max-height:0;max-width:0;opacity:0;'
                  f'overflow:hidden;">{preheader}</div>')
        page = _BODY.sub(lambda m: m.group(0) + hidden, page, count=1)
    return re.sub(r"JINJA(\d{5})X", lambda m: parts[int(m.group(1))], page)


def check(*, subject: str, preheader: str, body_mjml: str) -> None:
    """A template that would not compile: Invalid naming the field and the line."""
    problems: list[FieldError] = []
    for name, source in (("subject", subject), ("preheader", preheader), ("body_mjml", body_mjml)):
        try:
            _ENV.parse(source)
        except TemplateSyntaxError as exc:
            problems.append(FieldError(name, f"line {exc.lineno}: {exc.message}"))
    if problems:
        raise Invalid(problems)
    compiled = compile_layout(body_mjml, preheader)
    try:
        _ENV.from_string(compiled)
    except TemplateSyntaxError as exc:
        raise Invalid.one("body_mjml", f"line {exc.lineno} of the compiled layout: {exc.message}") from exc


def trial(*, subject: str, preheader: str, body_mjml: str, context: dict) -> None:
    """Each part personalised once for the sample person (check() first): an expression that fails whatever the
    lead (`{{ 1/0 }}`, something the sandbox refuses) is an Invalid naming its field at save, not every message of
    a send failing later."""
    problems: list[FieldError] = []
    for name, environment, source in (("subject", _TEXT_ENV, subject), ("preheader", _TEXT_ENV, preheader),
                                      ("body_mjml", _ENV, body_mjml)):
        try:
            environment.from_string(source).render(context)
        except Exception as exc:  # noqa: BLE001 - whatever would make a message fail
            problems.append(FieldError(name, f"cannot be personalised: {type(exc).__name__}: {exc}"[:300]))
    if problems:
        raise Invalid(problems)


def names_used(source: str) -> set[str]:
    """The top-level names a template reads (for the editor's list of personalisation fields)."""
    try:
        tree = _ENV.parse(source)
    except TemplateSyntaxError:
        return set()
    return {node.name for node in tree.find_all(nodes.Name) if node.ctx == "load"}


@lru_cache(maxsize=256)
def _compiled(template_id: int, version: int, subject: str, preheader: str, body_mjml: str):
    """Compiled once per template version in each process (the key includes the text: a preview of an unsaved
    draft gets its own entry)."""
    layout = compile_layout(body_mjml, preheader)
    # The text part is made from the layout once, its personalisation kept (rendered unescaped per message).
    return (_TEXT_ENV.from_string(subject), _ENV.from_string(layout), _TEXT_ENV.from_string(to_text(layout)))


def context_of(lead: dict, **links: str) -> dict:
    """The names a template may use: the lead's fields (empty ones left out, so `default` applies), `custom` (its
    custom fields), and the message's links (unsubscribe_url, preferences_url...)."""
    values = {name: lead.get(name) for name in LEAD_FIELDS if lead.get(name) not in (None, "")}
    values["custom"] = {k: v for k, v in (lead.get("custom") or {}).items() if v not in (None, "")}
    values.update({name: url for name, url in links.items() if url})
    return values


def render(template, context: dict, *, click=None, pixel: str | None = None) -> Rendered:
    """One message. `template`: anything with id, version, subject, preheader, body_mjml; `click(url) -> url`
    makes a link signed (links to leadflow's own unsubscribe pages stay as they are); `pixel`: the open pixel's
    address. Raises RenderFailed with the reason."""
    try:
        subject_template, body_template, text_template = _compiled(
            template.id, template.version, template.subject, template.preheader or "", template.body_mjml)
    except (Invalid, TemplateSyntaxError) as exc:  # saved templates compile; a message never stops the pass
        raise RenderFailed(f"the template does not compile: {exc}") from exc
    try:
        subject = " ".join(subject_template.render(context).split())
        page = body_template.render(context)
        text = text_template.render(context).strip() + "\n"
    except SurveyMissing:
        raise
    except Exception as exc:  # noqa: BLE001 - the sandbox refuses, a filter fails: this message fails alone
        raise RenderFailed(f"the template could not be personalised: {type(exc).__name__}: {exc}") from exc
    if click is not None:
        keep = {context.get("unsubscribe_url"), context.get("preferences_url")}
        page = _HREF.sub(lambda m: m.group(0) if html.unescape(m.group(1)) in keep
                         else f'href="{html.escape(click(html.unescape(m.group(1))))}"', page)
    if pixel:
        img = f'<img src="{html.escape(pixel)}" width="1" height="1" alt="" style="display:block;border:0;">'
        page = page.replace("</body>", img + "</body>", 1) if "</body>" in page else page + img
    return Rendered(subject, page, text)


class _Text(HTMLParser):
    """The plain-text part: the words of the page, a line per block, links as `words (address)`."""

    BLOCKS = {"p", "div", "tr", "br", "h1", "h2", "h3", "h4", "li", "table"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0
        self.href: list[str | None] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script", "title", "head"):
            self.skip += 1
        elif tag in self.BLOCKS:
            self.out.append("\n")
        if tag == "a":
            self.href.append(dict(attrs).get("href"))

    def handle_endtag(self, tag):
        if tag in ("style", "script", "title", "head"):
            self.skip = max(0, self.skip - 1)
        elif tag == "a" and self.href:
            href = self.href.pop()
            if href and (href.startswith("http") or href.startswith("{{")):
                self.out.append(f" ({href})")
        elif tag in self.BLOCKS:
            self.out.append("\n")

    def handle_data(self, data):
        if not self.skip:
            self.out.append(data)


def to_text(page: str) -> str:
    parser = _Text()
    parser.feed(re.sub(r"<!--.*?-->", "", page, flags=re.S))
    lines = [" ".join(line.split()) for line in "".join(parser.out).splitlines()]
    text, blank = [], False
    for line in lines:
        if line:
            text.append(line)
            blank = False
        elif not blank and text:
            text.append("")
            blank = True
    return "\n".join(text).strip() + "\n"
