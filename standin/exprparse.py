"""Recursive-descent parser that turns an expression into a closure (see ``expr.py``)."""

from __future__ import annotations

import ast
from typing import Any

from mixpanel_data.standin.expr import (
    FUNCTIONS,
    Compiled,
    ExprError,
    Getter,
    arith,
    compare,
    contains,
    tokenize,
)

SOURCES = ("properties", "event", "user")
CONSTANTS = {"true": True, "false": False, "null": None, "undefined": None}


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = tokenize(text)
        self.i = 0

    def peek(self) -> str | None:
        return self.toks[self.i][1] if self.i < len(self.toks) else None

    def take(self, expected: str | None = None) -> tuple[str, str]:
        if self.i >= len(self.toks):
            raise ExprError("unexpected end of expression")
        tok = self.toks[self.i]
        if expected is not None and tok[1] != expected:
            raise ExprError(f"expected {expected!r}, got {tok[1]!r}")
        self.i += 1
        return tok

    def parse(self) -> Compiled:
        node = self.or_()
        if self.i != len(self.toks):
            raise ExprError(f"unexpected {self.toks[self.i][1]!r}")
        return node

    def or_(self) -> Compiled:
        left = self.and_()
        while self.peek() == "or":
            self.take()
            right, prev = self.and_(), left
            left = _either(prev, right)
        return left

    def and_(self) -> Compiled:
        left = self.not_()
        while self.peek() == "and":
            self.take()
            right, prev = self.not_(), left
            left = _both(prev, right)
        return left

    def not_(self) -> Compiled:
        if self.peek() == "not":
            self.take()
            inner = self.not_()
            return lambda g: not inner(g)
        return self.comparison()

    def comparison(self) -> Compiled:
        left = self.additive()
        op = self.peek()
        if op in ("==", "!=", "<", "<=", ">", ">="):
            self.take()
            right = self.additive()
            return _compared(str(op), left, right)
        if op == "in":
            self.take()
            right = self.additive()
            return lambda g: contains(left(g), right(g))
        return left

    def additive(self) -> Compiled:
        left = self.term()
        while self.peek() in ("+", "-"):
            op = self.take()[1]
            right, prev = self.term(), left
            left = _arith(op, prev, right)
        return left

    def term(self) -> Compiled:
        left = self.unary()
        while self.peek() in ("*", "/", "%"):
            op = self.take()[1]
            right, prev = self.unary(), left
            left = _arith(op, prev, right)
        return left

    def unary(self) -> Compiled:
        if self.peek() == "-":
            self.take()
            inner = self.unary()
            return lambda g: arith("-", 0, inner(g))
        return self.primary()

    def primary(self) -> Compiled:
        kind, text = self.take()
        if kind == "num":
            num = float(text) if any(c in text for c in ".eE") else int(text)
            return lambda g: num
        if kind == "str":
            value = ast.literal_eval(text)
            return lambda g: value
        if text == "(":
            inner = self.or_()
            self.take(")")
            return inner
        if text == "[":
            return self.list_literal()
        if kind == "name":
            return self.name(text)
        raise ExprError(f"unexpected {text!r}")

    def list_literal(self) -> Compiled:
        items: list[Compiled] = []
        while self.peek() != "]":
            items.append(self.or_())
            if self.peek() == ",":
                self.take()
        self.take("]")
        return lambda g: [item(g) for item in items]

    def name(self, text: str) -> Compiled:
        if text in CONSTANTS:
            const = CONSTANTS[text]
            return lambda g: const
        if text in SOURCES:
            self.take("[")
            kind, key = self.take()
            if kind != "str":
                raise ExprError(f"{text}[...] needs a string key")
            self.take("]")
            source, name = text, ast.literal_eval(key)
            return lambda g: g(source, name)
        if text in FUNCTIONS:
            fn = FUNCTIONS[text]
            self.take("(")
            arg = self.or_()
            self.take(")")
            return lambda g: fn(arg(g))
        raise ExprError(f"unknown name {text!r}")


def compile_expr(text: str) -> Compiled:
    """Compile an expression; raises ``ExprError`` with a short reason when unsupported."""
    if not text or not text.strip():
        raise ExprError("empty expression")
    return _Parser(text).parse()


def evaluate(compiled: Compiled, getter: Getter) -> Any:
    """Run a compiled expression against one record."""
    return compiled(getter)


__all__ = ["compile_expr", "evaluate"]


# Closures built by functions, not lambdas with default arguments: each binds its operands once,
# and a type checker can see what they take and return.


def _either(a: Compiled, b: Compiled) -> Compiled:
    return lambda g: bool(a(g)) or bool(b(g))


def _both(a: Compiled, b: Compiled) -> Compiled:
    return lambda g: bool(a(g)) and bool(b(g))


def _compared(op: str, a: Compiled, b: Compiled) -> Compiled:
    return lambda g: compare(op, a(g), b(g))


def _arith(op: str, a: Compiled, b: Compiled) -> Compiled:
    return lambda g: arith(op, a(g), b(g))
