"""A condition evaluated against a context (a mapping of field keys to values): fast, compiled once into plain
closures (`compile_tree`), or with an explanation of every test, its result and the values it saw (`evaluate`).

Pure: standard library only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from leadflow.conditions import compare, values
from leadflow.conditions.syntax import Rule
from leadflow.conditions.tree import BoolOp, Compare, Literal, Not, Path, render

Check = Callable[[Mapping], bool]


@dataclass
class Part:
    """One test of the condition as evaluated: its text, whether it held, and the values the lead had."""

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


def getter(path: Path) -> Callable[[Mapping], object]:
    """How a path reads its value from a context: its first key present (a context may hold an old spelling)."""
    keys = path.keys or (path.name,)
    if len(keys) == 1:
        key = keys[0]
        return lambda context: context.get(key)

    def get(context: Mapping) -> object:
        for key in keys:
            if key in context:
                return context[key]
        return None
    return get


def _truthy(value: object) -> bool:
    return values.is_known(value) and value is not False


def compile_tree(node) -> Check:
    """The condition as one closure over a context, every pattern and list compiled beforehand."""
    if isinstance(node, BoolOp):
        parts = tuple(compile_tree(operand) for operand in node.operands)
        if node.op == "and":
            return lambda context: all(part(context) for part in parts)
        return lambda context: any(part(context) for part in parts)
    if isinstance(node, Not):
        inner = compile_tree(node.operand)
        return lambda context: not inner(context)
    if isinstance(node, Compare):
        test = node.test
        read = _reader(node.left)
        if test is not None:
            return lambda context: test(read(context))
        op = node.op
        right = tuple(_reader(item) for item in node.right) if isinstance(node.right, tuple) else _reader(node.right)
        if isinstance(right, tuple):
            return lambda context: compare.dynamic(op, read(context), tuple(r(context) for r in right))
        return lambda context: compare.dynamic(op, read(context), right(context))
    if isinstance(node, Path):
        get = getter(node)
        return lambda context: _truthy(get(context))
    if isinstance(node, Literal):
        result = bool(node.value)
        return lambda context: result
    raise TypeError(f"not a condition node: {node!r}")


def _reader(node) -> Callable[[Mapping], object]:
    if isinstance(node, Path):
        return getter(node)
    if isinstance(node, Literal):
        value = node.value
        return lambda context: value
    return compile_tree(node)


class _Explainer:
    def __init__(self, text: str, context: Mapping):
        self.text = text
        self.context = context
        self.parts: list[Part] = []

    def said(self, node) -> str:
        return self.text[node.start:node.end] if self.text and node.end > node.start else render(node)

    def value(self, node, seen: dict):
        if isinstance(node, Literal):
            return node.value
        if isinstance(node, Path):
            value = getter(node)(self.context)
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
            left = self.value(node.left, seen)
            if node.test is not None:
                result = node.test(left)
            elif isinstance(node.right, tuple):
                result = compare.dynamic(node.op, left, tuple(self.value(item, seen) for item in node.right))
            else:
                result = compare.dynamic(node.op, left, self.value(node.right, seen))
            self.parts.append(Part(self.said(node), result, seen))
            return result
        seen = {}
        value = self.value(node, seen)
        if isinstance(node, Literal):
            return bool(value)
        result = _truthy(value)
        self.parts.append(Part(self.said(node), result, seen))
        return result


def evaluate(rule: Rule, context: Mapping) -> Outcome:
    """Whether a context matches the rule, with every test's result and the values it saw."""
    explainer = _Explainer(rule.text, context)
    matched = explainer.truth(rule.tree)
    return Outcome(matched, explainer.parts)
