"""The Sales Ready expression language: a hand-written tokenizer and recursive-descent parser to a small AST,
validated when saved (errors with their position) and evaluated with an explanation. Never `eval`.

Pure: standard library only; it never touches the database or the web. Grammar (docs/qualification.md):

    expression := or
    or         := and ("or" and)*
    and        := not ("and" not)*
    not        := "not" not | test
    test       := value [ op value | ["not"] "in" list | "contains" value | "is" ["not"] ("known" | "unknown") ]
    op         := "==" | "=" | "!=" | "<" | "<=" | ">" | ">="
    value      := NUMBER | STRING | "true" | "false" | path | "(" expression ")"
    list       := ("(" | "[") [value ("," value)* [","]] (")" | "]")
    path       := NAME ("." NAME)*
"""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_RULE = 'score >= 60 and grade in ("A", "B") and bant.known >= 3'
MAX_LENGTH = 2000
MAX_DEPTH = 40

# Names an expression may use; `custom.X` (or `custom_fields.X`) and `interests.X` take any X.
NAMES: dict[str, str] = {
    "score": "the lead's score (fit plus behaviour), 0 when not scored",
    "grade": "the fit grade, A to D",
    "band": "hot, warm or cold",
    "stage": "the lifecycle stage",
    "fit": "fit points",
    "predicted_probability": "the predictive model's probability of conversion (0 to 1)",
    "bant.known": "how many of budget, authority, need and timeline are known (0 to 4)",
    "bant.budget": "the budget answer", "bant.authority": "the authority answer",
    "bant.need": "the need answer", "bant.timeline": "the timeline answer",
    "email": "", "first_name": "", "last_name": "", "job_title": "", "company": "", "country": "",
    "city": "", "region": "", "language": "", "channel": "", "phone": "", "mobile": "",
    "do_not_contact": "", "owner_id": "", "company.employees": "company size",
    "company.revenue": "company revenue", "company.industry": "company industry",
}
OPEN_ROOTS = ("custom", "custom_fields", "interests")
KEYWORDS = {"and", "or", "not", "in", "is", "known", "unknown", "true", "false", "contains"}
COMPARISONS = ("==", "=", "!=", "<=", ">=", "<", ">")


class RuleError(ValueError):
    """An expression that cannot be saved: what is wrong and where (0-based offset into the text)."""

    def __init__(self, message: str, position: int, text: str = ""):
        self.message = message
        self.position = position
        self.text = text
        super().__init__(f"{message} (at column {position + 1})")


@dataclass(frozen=True)
class Token:
    kind: str  # number, string, name, op, punct, keyword, end
    value: object
    start: int
    end: int


def tokenize(text: str) -> list[Token]:
    if len(text) > MAX_LENGTH:
        raise RuleError(f"the expression is longer than {MAX_LENGTH} characters", MAX_LENGTH, text)
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        start = i
        if ch.isdigit() or (ch == "." and i + 1 < n and text[i + 1].isdigit()):
            while i < n and (text[i].isdigit() or text[i] in "._"):
                i += 1
            raw = text[start:i].replace("_", "")
            try:
                number = float(raw) if "." in raw else int(raw)
            except ValueError:
                raise RuleError(f"'{text[start:i]}' is not a number", start, text) from None
            if i < n and (text[i].isalpha()):
                raise RuleError(f"'{text[start:i + 1]}' is not a number", start, text)
            tokens.append(Token("number", number, start, i))
        elif ch in "\"'":
            quote, i, chars = ch, i + 1, []
            while i < n and text[i] != quote:
                if text[i] == "\\" and i + 1 < n:
                    i += 1
                chars.append(text[i])
                i += 1
            if i >= n:
                raise RuleError("this text is not closed with a quote", start, text)
            i += 1
            tokens.append(Token("string", "".join(chars), start, i))
        elif ch.isalpha() or ch == "_":
            while i < n and (text[i].isalnum() or text[i] == "_"):
                i += 1
            word = text[start:i]
            if word.lower() in KEYWORDS:
                tokens.append(Token("keyword", word.lower(), start, i))
            else:
                tokens.append(Token("name", word, start, i))
        elif text.startswith(("==", "!=", "<=", ">="), i):
            i += 2
            tokens.append(Token("op", text[start:i], start, i))
        elif ch in "<>=":
            i += 1
            tokens.append(Token("op", ch, start, i))
        elif ch in "()[],.":
            i += 1
            tokens.append(Token("punct", ch, start, i))
        else:
            raise RuleError(f"unexpected character '{ch}'", start, text)
    tokens.append(Token("end", None, n, n))
    return tokens


# The AST: every node keeps the span of text it came from, for errors and explanations.

@dataclass(frozen=True)
class Literal:
    value: object
    start: int
    end: int


@dataclass(frozen=True)
class Path:
    name: str
    start: int
    end: int


@dataclass(frozen=True)
class Compare:
    op: str  # ==, !=, <, <=, >, >=, in, not in, contains, known, unknown
    left: object
    right: object  # a node, a tuple of nodes for in, None for known/unknown
    start: int
    end: int


@dataclass(frozen=True)
class Not:
    operand: object
    start: int
    end: int


@dataclass(frozen=True)
class BoolOp:
    op: str  # and, or
    operands: tuple
    start: int
    end: int


@dataclass(frozen=True)
class Rule:
    text: str
    tree: object
    names: tuple[str, ...]


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = tokenize(text)
        self.at = 0
        self.depth = 0
        self.names: list[str] = []

    def peek(self) -> Token:
        return self.tokens[self.at]

    def take(self) -> Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def fail(self, message: str, token: Token | None = None):
        token = token or self.peek()
        raise RuleError(message, token.start, self.text)

    def is_(self, kind: str, value: object = None) -> bool:
        token = self.peek()
        return token.kind == kind and (value is None or token.value == value)

    def expect(self, kind: str, value: str, what: str) -> Token:
        if not self.is_(kind, value):
            self.fail(f"expected {what}, found {self.describe(self.peek())}")
        return self.take()

    @staticmethod
    def describe(token: Token) -> str:
        if token.kind == "end":
            return "the end of the expression"
        if token.kind == "string":
            return f'"{token.value}"'
        return f"'{token.value}'"

    def parse(self):
        if self.peek().kind == "end":
            self.fail("the expression is empty")
        tree = self.or_()
        if self.peek().kind != "end":
            self.fail(f"expected 'and', 'or' or the end, found {self.describe(self.peek())}")
        return tree

    def nest(self):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.fail(f"the expression nests deeper than {MAX_DEPTH} levels")

    def or_(self):
        return self.bool_op("or", self.and_)

    def and_(self):
        return self.bool_op("and", self.not_)

    def bool_op(self, op: str, inner):
        first = inner()
        operands = [first]
        while self.is_("keyword", op):
            self.take()
            operands.append(inner())
        if len(operands) == 1:
            return first
        return BoolOp(op, tuple(operands), first.start, operands[-1].end)

    def not_(self):
        if self.is_("keyword", "not"):
            token = self.take()
            self.nest()
            operand = self.not_()
            self.depth -= 1
            return Not(operand, token.start, operand.end)
        return self.test()

    def test(self):
        left = self.value()
        token = self.peek()
        if token.kind == "op":
            self.take()
            right = self.value()
            op = "==" if token.value == "=" else token.value
            return Compare(op, left, right, left.start, right.end)
        if token.kind == "keyword" and token.value == "not" and self.tokens[self.at + 1].kind == "keyword" \
                and self.tokens[self.at + 1].value == "in":
            self.take()
            self.take()
            items, end = self.list_()
            return Compare("not in", left, items, left.start, end)
        if token.kind == "keyword" and token.value == "in":
            self.take()
            items, end = self.list_()
            return Compare("in", left, items, left.start, end)
        if token.kind == "keyword" and token.value == "contains":
            self.take()
            right = self.value()
            return Compare("contains", left, right, left.start, right.end)
        if token.kind == "keyword" and token.value == "is":
            self.take()
            negate = False
            if self.is_("keyword", "not"):
                self.take()
                negate = True
            word = self.peek()
            if not (word.kind == "keyword" and word.value in ("known", "unknown")):
                self.fail(f"expected 'known' or 'unknown' after 'is', found {self.describe(word)}")
            self.take()
            known = (word.value == "known") != negate
            return Compare("known" if known else "unknown", left, None, left.start, word.end)
        return left

    def list_(self):
        opener = self.peek()
        if not (opener.kind == "punct" and opener.value in "(["):
            self.fail(f"expected a list such as (\"A\", \"B\") after 'in', found {self.describe(opener)}")
        self.take()
        closer = ")" if opener.value == "(" else "]"
        items = []
        while not self.is_("punct", closer):
            items.append(self.value())
            if self.is_("punct", ","):
                self.take()
            elif not self.is_("punct", closer):
                self.fail(f"expected ',' or '{closer}' in the list, found {self.describe(self.peek())}")
        end = self.take().end
        return tuple(items), end

    def value(self):
        token = self.peek()
        if token.kind in ("number", "string"):
            self.take()
            return Literal(token.value, token.start, token.end)
        if token.kind == "keyword" and token.value in ("true", "false"):
            self.take()
            return Literal(token.value == "true", token.start, token.end)
        if token.kind == "punct" and token.value == "(":
            self.take()
            self.nest()
            inner = self.or_()
            self.depth -= 1
            closing = self.expect("punct", ")", "')'")
            return _respan(inner, token.start, closing.end)
        if token.kind == "name":
            return self.path()
        if token.kind == "end":
            self.fail("the expression ends too early: expected a value")
        self.fail(f"expected a value (a number, a \"text\" or a field), found {self.describe(token)}")

    def path(self) -> Path:
        first = self.take()
        parts, end = [str(first.value)], first.end
        while self.is_("punct", "."):
            self.take()
            part = self.peek()
            if part.kind not in ("name", "keyword"):
                self.fail(f"expected a field name after '.', found {self.describe(part)}")
            self.take()
            parts.append(str(part.value) if part.kind == "name" else self.text[part.start:part.end])
            end = part.end
        name = ".".join(parts)
        root = parts[0]
        if root in OPEN_ROOTS:
            if len(parts) != 2:
                self.fail(f"write {root}.<name>, e.g. {root}.budget_range", first)
        elif name not in NAMES:
            self.fail(f"unknown field '{name}'; known: score, grade, band, stage, fit, bant.known, "
                      "bant.budget, bant.authority, bant.need, bant.timeline, custom.<name>, interests.<family>, "
                      "and the lead's fields", first)
        self.names.append(name)
        return Path(name, first.start, end)


def _respan(node, start: int, end: int):
    """A parenthesised node keeps its inner meaning with the span of its parentheses."""
    return type(node)(**{**node.__dict__, "start": start, "end": end})


def parse(text: str) -> Rule:
    """The rule's AST, or a RuleError with the position of the first problem."""
    parser = _Parser(text or "")
    tree = parser.parse()
    return Rule(text, tree, tuple(dict.fromkeys(parser.names)))


def problems(text: str) -> RuleError | None:
    try:
        parse(text)
    except RuleError as error:
        return error
    return None


# Evaluation. A context maps a name ("score", "bant.known", "custom.budget_range") to its value; a name absent or
# None is unknown, and any comparison with an unknown value is false (write `x is unknown` to test for it).

@dataclass
class Part:
    """One test of the expression as evaluated: its text, whether it held, and the value the lead had."""

    text: str
    result: bool
    seen: dict = field(default_factory=dict)


@dataclass
class Outcome:
    matched: bool
    parts: list[Part]

    def as_dict(self) -> dict:
        return {"matched": self.matched,
                "parts": [{"text": p.text, "result": p.result, "seen": p.seen} for p in self.parts]}


def _lookup(context: dict, name: str):
    if name in context:
        return context[name]
    root, _, rest = name.partition(".")
    if root in ("custom", "custom_fields"):
        other = ("custom_fields." if root == "custom" else "custom.") + rest
        return context.get(other)
    return None


def _number(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        try:
            return float(value.strip().replace(",", "")) if value.strip() else None
        except ValueError:
            return None
    try:
        return float(value)  # Decimal
    except (TypeError, ValueError):
        return None


def _equal(left, right) -> bool:
    if isinstance(left, str) and isinstance(right, str):
        return left.strip().casefold() == right.strip().casefold()
    if isinstance(left, bool) or isinstance(right, bool):
        return left is right or (isinstance(left, str) and str(right).lower() == left.strip().lower()) \
            or (isinstance(right, str) and str(left).lower() == right.strip().lower())
    a, b = _number(left), _number(right)
    if a is not None and b is not None:
        return a == b
    return left == right


def _order(op: str, left, right) -> bool:
    a, b = _number(left), _number(right)
    if a is None or b is None:
        if isinstance(left, str) and isinstance(right, str):
            a, b = left.casefold(), right.casefold()
        else:
            return False
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def _known(value) -> bool:
    return value is not None and value != "" and value != [] and value != {}


class _Evaluator:
    def __init__(self, text: str, context: dict):
        self.text = text
        self.context = context
        self.parts: list[Part] = []

    def value(self, node, seen: dict):
        if isinstance(node, Literal):
            return node.value
        if isinstance(node, Path):
            value = _lookup(self.context, node.name)
            seen[node.name] = value
            return value
        return self.truth(node)

    def truth(self, node) -> bool:
        if isinstance(node, BoolOp):
            results = [self.truth(operand) for operand in node.operands]  # every part, for the explanation
            return all(results) if node.op == "and" else any(results)
        if isinstance(node, Not):
            return not self.truth(node.operand)
        if isinstance(node, Compare):
            seen: dict = {}
            result = self.compare(node, seen)
            self.parts.append(Part(self.text[node.start:node.end], result, seen))
            return result
        seen = {}
        value = self.value(node, seen)
        result = bool(value) if isinstance(node, Literal) else _known(value) and value is not False
        if isinstance(node, Path):
            self.parts.append(Part(self.text[node.start:node.end], result, seen))
        return result

    def compare(self, node: Compare, seen: dict) -> bool:
        left = self.value(node.left, seen)
        if node.op in ("known", "unknown"):
            return _known(left) == (node.op == "known")
        if node.op in ("in", "not in"):
            items = [self.value(item, seen) for item in node.right]
            if left is None:
                return False
            found = any(_equal(left, item) for item in items)
            return found if node.op == "in" else not found
        right = self.value(node.right, seen)
        if left is None or right is None:
            return False
        if node.op == "contains":
            return str(right).casefold() in str(left).casefold()
        if node.op == "==":
            return _equal(left, right)
        if node.op == "!=":
            return not _equal(left, right)
        return _order(node.op, left, right)


def evaluate(rule: Rule, context: dict) -> Outcome:
    """Whether a lead (its context) matches the rule, with every test's result and the values it saw."""
    evaluator = _Evaluator(rule.text, context)
    matched = evaluator.truth(rule.tree)
    return Outcome(matched, evaluator.parts)
