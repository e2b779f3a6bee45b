"""A tiny, safe expression language for value-equation formulas; it is never `eval`-ed.

A formula is text such as ``min(quantity, 40) + max(quantity - 40, 0) / 2``. Python's `ast`
module parses it (parsing runs no code) and a whitelist then admits only: non-negative
integer literals, the names a caller defines, binary ``+ - *``, ``/`` by a positive integer
literal (so a division by zero cannot happen at evaluation time), and ``min`` / ``max``
with two or more arguments. Everything else — attributes, subscripts, other calls, unary
operators, comparisons, floats, strings, non-ASCII text — is refused with the code
`invalid_formula`. Evaluation is exact, over Fractions.
"""

from __future__ import annotations

import ast
import re
import threading
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from fractions import Fraction

from p2pvalue.errors import EventError

MAX_FORMULA_CHARS = 200
# CPython before 3.11.8 can fail with SystemError when two threads parse at once.
_PARSING = threading.Lock()
MAX_FORMULA_NODES = 64
MAX_LITERAL = 2**53 - 1
FUNCTIONS = ("min", "max")
_ALLOWED_TEXT = re.compile(r"^[a-z0-9_ +\-*/(),]*$")
_OPERATORS: dict[type[ast.operator], str] = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*"}


@dataclass(frozen=True)
class Number:
    value: int


@dataclass(frozen=True)
class Name:
    name: str


@dataclass(frozen=True)
class BinaryOp:
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Call:
    function: str
    args: tuple[Node, ...]


Node = Number | Name | BinaryOp | Call


@dataclass(frozen=True)
class Formula:
    """A checked formula: its source `text` and the tree evaluated in its place."""

    text: str
    tree: Node

    def evaluate(self, variables: Mapping[str, Fraction]) -> Fraction:
        """The exact value of the formula with `variables` bound; every name must be given."""
        return _evaluate(self.tree, variables)


def _refuse(message: str) -> EventError:
    return EventError("invalid_formula", message)


def parse_formula(text: str, names: Collection[str]) -> Formula:
    """Check `text` against the whitelist, allowing only the variable `names`; refusals
    carry the code `invalid_formula`."""
    if len(text) > MAX_FORMULA_CHARS:
        raise _refuse(f"a formula has at most {MAX_FORMULA_CHARS} characters")
    if not _ALLOWED_TEXT.match(text):
        raise _refuse("a formula uses only a-z 0-9 _ + - * / ( ) , and spaces")
    try:
        with _PARSING:
            parsed = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError):
        raise _refuse(f"{text!r} is not a well-formed formula") from None
    if sum(1 for _ in ast.walk(parsed)) > MAX_FORMULA_NODES:
        raise _refuse(f"a formula has at most {MAX_FORMULA_NODES} parts")
    return Formula(text, _convert(parsed.body, frozenset(names)))


def _convert(node: ast.expr, names: frozenset[str]) -> Node:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        if node.value > MAX_LITERAL:
            raise _refuse(f"literal {node.value} is larger than 2**53 - 1")
        return Number(node.value)
    if isinstance(node, ast.Name):
        if node.id not in names:
            raise _refuse(f"unknown name {node.id!r}; defined: {sorted(names)}")
        return Name(node.id)
    if isinstance(node, ast.BinOp):
        return _convert_binary(node, names)
    if isinstance(node, ast.Call):
        return _convert_call(node, names)
    raise _refuse(f"{type(node).__name__} is not allowed in a formula")


def _convert_binary(node: ast.BinOp, names: frozenset[str]) -> Node:
    left = _convert(node.left, names)
    if isinstance(node.op, ast.Div):
        right = _convert(node.right, names)
        if not isinstance(right, Number) or right.value == 0:
            raise _refuse("divide only by a positive integer literal")
        return BinaryOp("/", left, right)
    symbol = _OPERATORS.get(type(node.op))
    if symbol is None:
        raise _refuse(f"operator {type(node.op).__name__} is not allowed in a formula")
    return BinaryOp(symbol, left, _convert(node.right, names))


def _convert_call(node: ast.Call, names: frozenset[str]) -> Node:
    if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
        raise _refuse(f"only {FUNCTIONS} may be called")
    if node.keywords or len(node.args) < 2:
        raise _refuse(f"{node.func.id} takes two or more positional arguments")
    return Call(node.func.id, tuple(_convert(arg, names) for arg in node.args))


def _evaluate(node: Node, variables: Mapping[str, Fraction]) -> Fraction:
    if isinstance(node, Number):
        return Fraction(node.value)
    if isinstance(node, Name):
        return variables[node.name]
    if isinstance(node, Call):
        values = [_evaluate(arg, variables) for arg in node.args]
        return min(values) if node.function == "min" else max(values)
    left, right = _evaluate(node.left, variables), _evaluate(node.right, variables)
    if node.op == "+":
        return left + right
    if node.op == "-":
        return left - right
    if node.op == "*":
        return left * right
    return left / right
