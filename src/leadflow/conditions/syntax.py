"""The text form of a condition: a hand-written tokenizer and recursive-descent parser to the tree of `tree.py`
(each node keeps its span of text); errors name the problem and its position. Never `eval`. Grammar
(docs/conditions.md):

    expression := or
    or         := and ("or" and)*
    and        := not ("and" not)*
    not        := "not" not | test
    test       := value [ op value | ["not"] "in" list | "contains" texts | "like" texts | "has" "words" texts
                          | "is" ["not"] ("known" | "unknown") ]
    op         := "==" | "=" | "!=" | "<" | "<=" | ">" | ">="
    value      := NUMBER | STRING | "true" | "false" | path | "(" expression ")"
    texts      := STRING | NUMBER | list
    list       := ("(" | "[") [value ("," value)* [","]] (")" | "]")
    path       := NAME ("." NAME)*

Pure: standard library only.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from leadflow.conditions import fields
from leadflow.conditions.tree import TEXT_OPS, BoolOp, Compare, Literal, Not, Path, path, render

__all__ = ["COMPARISONS", "KEYWORDS", "MAX_DEPTH", "MAX_LENGTH", "TEXT_OPS", "BoolOp", "Compare", "Literal", "Not",
           "Path", "Rule", "RuleError", "Token", "parse", "path", "render", "tokenize"]

MAX_LENGTH = 2000
MAX_DEPTH = 40
KEYWORDS = {"and", "or", "not", "in", "is", "known", "unknown", "true", "false", "contains", "like", "has", "words"}
COMPARISONS = ("==", "=", "!=", "<=", ">=", "<", ">")


class RuleError(ValueError):
    """A condition that cannot be saved: what is wrong and where (0-based offset into the text)."""

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
            if i < n and text[i].isalpha():
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
            kind = "keyword" if word.lower() in KEYWORDS else "name"
            tokens.append(Token(kind, word.lower() if kind == "keyword" else word, start, i))
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


class _Parser:
    def __init__(self, text: str, scope: str):
        self.text = text
        self.scope = scope
        self.tokens = tokenize(text)
        self.at = 0
        self.depth = 0
        self.names: list[str] = []

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.at + ahead, len(self.tokens) - 1)]

    def take(self) -> Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def fail(self, message: str, token: Token | None = None):
        token = token or self.peek()
        raise RuleError(message, token.start, self.text)

    def is_(self, kind: str, value: object = None, ahead: int = 0) -> bool:
        token = self.peek(ahead)
        return token.kind == kind and (value is None or token.value == value)

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
        operands = [inner()]
        while self.is_("keyword", op):
            self.take()
            operands.append(inner())
        if len(operands) == 1:
            return operands[0]
        return BoolOp(op, tuple(operands), operands[0].start, operands[-1].end)

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
            return Compare("==" if token.value == "=" else token.value, left, right, left.start, right.end)
        if token.kind != "keyword":
            return left
        if token.value == "not" and self.is_("keyword", "in", 1):
            self.take()
            self.take()
            items, end = self.list_("not in")
            return Compare("not in", left, items, left.start, end)
        if token.value == "in":
            self.take()
            items, end = self.list_("in")
            return Compare("in", left, items, left.start, end)
        if token.value in ("contains", "like") or (token.value == "has" and self.is_("keyword", "words", 1)):
            self.take()
            op = token.value
            if op == "has":
                self.take()
                op = "has words"
            items, end = self.texts(op)
            return Compare(op, left, items, left.start, end)
        if token.value == "has":
            self.fail(f"expected 'words' after 'has', found {self.describe(self.peek(1))}", self.peek(1))
        if token.value == "is":
            self.take()
            negate = self.is_("keyword", "not")
            if negate:
                self.take()
            word = self.peek()
            if not (word.kind == "keyword" and word.value in ("known", "unknown")):
                self.fail(f"expected 'known' or 'unknown' after 'is', found {self.describe(word)}")
            self.take()
            known = (word.value == "known") != negate
            return Compare("known" if known else "unknown", left, None, left.start, word.end)
        return left

    def texts(self, op: str):
        """The operand of contains, like and has words: one text or a list of texts."""
        token = self.peek()
        if token.kind in ("string", "number"):
            self.take()
            return (Literal(str(token.value), token.start, token.end),), token.end
        if token.kind == "punct" and token.value in "([":
            items, end = self.list_(op)
            for item in items:
                if not isinstance(item, Literal) or isinstance(item.value, bool):
                    self.fail(f"'{op}' takes texts such as (\"*pricing*\", \"*preise*\"), not a field or "
                              "true/false", Token("", None, item.start, item.end))
            if not items:
                self.fail(f"'{op}' needs at least one text", Token("", None, end - 1, end))
            return tuple(Literal(str(item.value), item.start, item.end) for item in items), end
        self.fail(f"expected a text or a list of texts after '{op}', found {self.describe(token)}")

    def list_(self, op: str):
        opener = self.peek()
        if not (opener.kind == "punct" and opener.value in "(["):
            self.fail(f"expected a list such as (\"A\", \"B\") after '{op}', found {self.describe(opener)}")
        self.take()
        closer = ")" if opener.value == "(" else "]"
        items = []
        while not self.is_("punct", closer):
            items.append(self.value())
            if self.is_("punct", ","):
                self.take()
            elif not self.is_("punct", closer):
                self.fail(f"expected ',' or '{closer}' in the list, found {self.describe(self.peek())}")
        return tuple(items), self.take().end

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
            if not self.is_("punct", ")"):
                self.fail(f"expected ')', found {self.describe(self.peek())}")
            closing = self.take()
            return dataclasses.replace(inner, start=token.start, end=closing.end)
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
            parts.append(self.text[part.start:part.end])
            end = part.end
        try:
            found = path(".".join(parts), self.scope, first.start, end)
        except ValueError as error:
            self.fail(str(error), first)
        self.names.append(found.canonical)
        return found


@dataclass(frozen=True)
class Rule:
    """A parsed condition: its text, its tree, and the catalogue names it reads (in order of first use)."""

    text: str
    tree: object
    names: tuple[str, ...]


def parse(text: str, scope: str = fields.SALES_READY) -> Rule:
    """The condition's AST, or a RuleError with the position of the first problem."""
    parser = _Parser(text or "", scope)
    tree = parser.parse()
    return Rule(text, tree, tuple(dict.fromkeys(parser.names)))
