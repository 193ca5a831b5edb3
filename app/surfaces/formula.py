"""The formula grammar: text → whitelisted Python AST → SymPy → numpy f and ∇f, LaTeX.

A formula is never handed to ``eval``/``exec``/``sympify``. The text is checked
character by character, parsed by ``ast.parse`` (which only builds a tree), and
the tree is walked node by node: anything not in the grammar of API.md is
refused with a message that says what and where. The SymPy expression is built
from the walked tree, differentiated symbolically, and compiled to vectorised
numpy code by ``lambdify`` (which generates code from the SymPy tree, not from
the user's text).

Compiling is split in two so the slow half can run in a worker process
(app/surfaces/compiler.py): ``compile_source`` (parse, differentiate, check the
sizes, generate code and LaTeX: all the SymPy work) gives a ``CompiledSource``,
plain strings; ``build_formula`` turns those strings into numpy functions.

Grammar: variables ``x``, ``y``; numbers; ``+ - * /``; ``**`` and ``^`` (both
power); parentheses; constants ``pi``, ``e``; one-argument functions
``sin cos tan asin acos atan sinh cosh tanh exp log log10 sqrt abs``.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import inspect
import math
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import sympy

try:
    from sympy.core.parameters import distribute
except ImportError:  # SymPy says the switch may go: derivatives are then merely expanded

    def distribute(_):
        return contextlib.nullcontext()


from app import limits

X, Y = sympy.symbols("x y", real=True)

FUNCTIONS = {
    "sin": sympy.sin,
    "cos": sympy.cos,
    "tan": sympy.tan,
    "asin": sympy.asin,
    "acos": sympy.acos,
    "atan": sympy.atan,
    "sinh": sympy.sinh,
    "cosh": sympy.cosh,
    "tanh": sympy.tanh,
    "exp": sympy.exp,
    "log": sympy.log,
    "log10": lambda arg: sympy.log(arg, 10),
    "sqrt": sympy.sqrt,
    "abs": sympy.Abs,
}
NAMES = {"x": X, "y": Y, "pi": sympy.pi, "e": sympy.E}
_OPERATORS = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
}
_OPERATOR_SYMBOLS = {
    ast.BitXor: "^ (write ** or ^ for power)",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.MatMult: "@",
    ast.BitAnd: "&",
    ast.BitOr: "|",
    ast.LShift: "<<",
    ast.RShift: ">>",
}
_ALLOWED_CHARACTERS = set(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 \t\n\r+-*/^()."
)
_GRAMMAR_HINT = (
    "use x, y, numbers, + - * / ** ^, parentheses, pi, e and "
    "sin cos tan asin acos atan sinh cosh tanh exp log log10 sqrt abs"
)


class FormulaError(ValueError):
    """A formula that is refused; ``position`` is a 0-based index into the text, or
    None when the problem is the formula as a whole."""

    error_type = "formula_error"  # the 422's "type"

    def __init__(self, message: str, position: int | None = None):
        if position is not None:
            message = f"{message} (at character {position + 1})"
        super().__init__(message)
        self.message = message
        self.position = position


class FormulaTooComplex(FormulaError):
    """A formula over the compile budget: its time, or the size of f, ∇f or the Hessian."""

    error_type = "formula_too_complex"

    def __init__(self, message: str):
        super().__init__(message)


@dataclass(frozen=True)
class CompiledSource:
    """What compiling a formula gives, as plain data that can cross a process boundary:
    LaTeX, and the Python source lambdify generated (from SymPy's tree, with shared
    subexpressions) for f, for (f, ∂f/∂x, ∂f/∂y) and for the Hessian."""

    latex: str
    gradient_latex: dict[str, str]
    value: str
    value_and_gradient: str
    hessian: str


@dataclass(frozen=True, eq=False)  # eq=False: hashed by identity, so it can key a cache
class Formula:
    """A compiled formula: f and its gradient as vectorised numpy functions, plus LaTeX."""

    text: str
    latex: str
    gradient_latex: dict[str, str]
    _f: object
    _f_and_grad: object
    _hessian: object
    _tape: _Tape | None = None  # _f_and_grad as a tape, when it translates to one

    def hessian(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(∂²f/∂x², ∂²f/∂x∂y, ∂²f/∂y²) at every point (used to polish minima)."""
        shape = np.broadcast(x, y).shape
        with np.errstate(all="ignore"):
            return tuple(_as_float_array(h, shape) for h in self._hessian(x, y))

    def value(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """f(x, y), element-wise; non-finite where f is undefined."""
        with np.errstate(all="ignore"):
            return _as_float_array(self._f(x, y), np.broadcast(x, y).shape)

    def value_and_gradient(
        self, x: np.ndarray, y: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(f, ∂f/∂x, ∂f/∂y) at every point, computed together (shared subexpressions)."""
        with np.errstate(all="ignore"):
            return self.raw_value_and_gradient(x, y)

    def raw_value_and_gradient(self, x: np.ndarray, y: np.ndarray):
        """value_and_gradient for hot loops that set numpy's error state themselves."""
        shape = np.broadcast(x, y).shape
        f, gx, gy = self._f_and_grad(x, y)
        return _as_float_array(f, shape), _as_float_array(gx, shape), _as_float_array(gy, shape)

    def bound(self, x_range: tuple[float, float], y_range: tuple[float, float]) -> float:
        """A number no |f|, |∂f/∂x| or |∂f/∂y| exceeds anywhere on the rectangle, or inf
        where none is known (see ``_Tape.bound``)."""
        return math.inf if self._tape is None else self._tape.bound(x_range, y_range)

    def evaluator(self, shape: tuple[int, ...]) -> Callable[..., None]:
        """``evaluate(x, y, f, gx, gy)``: f and ∇f at every point written into the float
        arrays ``f``, ``gx``, ``gy`` (none of them x or y), for float arrays x, y of
        ``shape``, in a hot loop that sets numpy's error state itself.

        The numbers are value_and_gradient's, bit for bit. With the formula's tape (see
        ``_Tape``) nothing is allocated: the evaluator owns its scratch arrays, so each
        loop (each thread) takes its own.
        """
        if self._tape is not None:
            return self._tape.bind(shape)
        raw = self.raw_value_and_gradient

        def evaluate(x, y, f, gx, gy):
            f[...], gx[...], gy[...] = raw(x, y)

        return evaluate


def _as_float_array(value, shape) -> np.ndarray:
    """lambdify returns a bare scalar for constant parts (f = 3): broadcast it."""
    if type(value) is np.ndarray and value.dtype == np.float64 and value.shape == shape:
        return value  # the usual case, kept quick for the descent loop
    array = np.asarray(value)
    if array.dtype.kind == "c":  # e.g. sqrt of a negative number: undefined on the reals
        array = np.where(array.imag == 0, array.real, np.nan)
    array = array.astype(float, copy=False)
    if array.shape != shape:
        array = np.broadcast_to(array, shape).copy()
    return array


def _describe(char: str) -> str:
    name = unicodedata.name(char, "unnamed character")
    return f"{char!r} (U+{ord(char):04X} {name})"


def check_characters(text: str) -> None:
    """The formula's length and characters (cheap: request validation runs it)."""
    if len(text) > limits.MAX_FORMULA_LENGTH:
        raise FormulaError(
            f"the formula is {len(text)} characters long; "
            f"at most {limits.MAX_FORMULA_LENGTH} are allowed",
            limits.MAX_FORMULA_LENGTH,
        )
    if not text.strip():
        raise FormulaError("the formula is empty; type an expression in x and y", 0)
    for position, char in enumerate(text):
        if char not in _ALLOWED_CHARACTERS:
            if char in ",[]{}:;=<>!&|%@~'\"\\#$?`_":
                what = f"{char!r} is not part of a formula"
            else:
                what = f"unexpected character {_describe(char)}"
            raise FormulaError(f"{what}; {_GRAMMAR_HINT}", position)


class _Builder:
    """Walks a parsed tree, refusing anything outside the grammar, building SymPy."""

    def __init__(self, source_positions: list[int]):
        # source_positions[i] is the index in the user's text of parsed character i
        # (they differ after ^ became **).
        self.source_positions = source_positions

    def position(self, node: ast.AST) -> int:
        offset = getattr(node, "col_offset", 0)
        return self.source_positions[min(offset, len(self.source_positions) - 1)]

    def fail(self, node: ast.AST, message: str) -> FormulaError:
        return FormulaError(message, self.position(node))

    def build(self, node: ast.AST, depth: int = 0) -> sympy.Expr:
        if depth > limits.MAX_FORMULA_DEPTH:
            raise self.fail(
                node,
                f"the formula is nested too deeply (at most {limits.MAX_FORMULA_DEPTH} levels)",
            )
        return self._checked(node, self._build(node, depth + 1))

    def _build(self, node: ast.AST, depth: int) -> sympy.Expr:
        if isinstance(node, ast.Constant):
            return self._number(node)
        if isinstance(node, ast.Name):
            if node.id in NAMES:
                return NAMES[node.id]
            if node.id in FUNCTIONS:
                raise self.fail(node, f"{node.id} is a function: write {node.id}(...)")
            raise self.fail(node, f"unknown name {node.id!r}; {_GRAMMAR_HINT}")
        if isinstance(node, ast.UnaryOp):
            operand = self.build(node.operand, depth)
            if isinstance(node.op, ast.USub):
                return -operand
            if isinstance(node.op, ast.UAdd):
                return operand
            raise self.fail(node, f"operator {type(node.op).__name__} is not allowed")
        if isinstance(node, ast.BinOp):
            operator = _OPERATORS.get(type(node.op))
            if operator is None:
                symbol = _OPERATOR_SYMBOLS.get(type(node.op), type(node.op).__name__)
                raise self.fail(node, f"operator {symbol} is not allowed; {_GRAMMAR_HINT}")
            left = self.build(node.left, depth)
            right = self.build(node.right, depth)
            if isinstance(node.op, ast.Pow):
                self._check_power(node, left, right)
            return operator(left, right)
        if isinstance(node, ast.Call):
            return self._call(node, depth)
        what = {
            ast.Attribute: "attribute access (.)",
            ast.Subscript: "indexing",
            ast.Compare: "comparisons",
            ast.BoolOp: "and/or",
            ast.IfExp: "if/else",
            ast.Lambda: "lambda",
            ast.Tuple: "tuples",
            ast.List: "lists",
            ast.ListComp: "comprehensions",
            ast.GeneratorExp: "comprehensions",
            ast.NamedExpr: "assignment",
            ast.Await: "await",
        }.get(type(node), type(node).__name__)
        raise self.fail(node, f"{what} is not allowed in a formula; {_GRAMMAR_HINT}")

    def _number(self, node: ast.Constant) -> sympy.Expr:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(node, f"{value!r} is not a real number")
        if isinstance(value, int):
            return sympy.Integer(value)
        if not math.isfinite(value):
            raise self.fail(node, "the number is too large")
        return sympy.Float(value)

    def _call(self, node: ast.Call, depth: int) -> sympy.Expr:
        if not isinstance(node.func, ast.Name):
            raise self.fail(node, f"only these functions can be called: {_GRAMMAR_HINT}")
        name = node.func.id
        if name not in FUNCTIONS:
            raise self.fail(node, f"unknown function {name!r}; {_GRAMMAR_HINT}")
        if node.keywords or len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
            raise self.fail(node, f"{name} takes exactly one argument: {name}(...)")
        return FUNCTIONS[name](self.build(node.args[0], depth))

    def _check_power(self, node: ast.BinOp, base: sympy.Expr, exponent: sympy.Expr) -> None:
        # Exact integer powers are computed exactly by SymPy: 9**9**9 would run for
        # ever. A numeric exponent is bounded, and so is every constant's size.
        if exponent.is_Number and abs(float(exponent)) > 1000:
            raise self.fail(node, f"the exponent {exponent} is too large (at most 1000 in size)")

    def _checked(self, node: ast.AST, expr: sympy.Expr) -> sympy.Expr:
        """Every part of a formula is real and every number in it at most 1e300 in size.

        A constant part (pi**1000, acos(2)) is evaluated numerically, to any
        precision, so it is refused where it is written. A number too small for
        a float (2**-1000) is fine: it becomes a float, not a 300-digit fraction.
        """
        if expr.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
            raise self.fail(node, "this part is undefined or infinite (a division by zero?)")
        if expr.has(sympy.I):
            raise self.fail(node, "this part is not a real number")
        tiny = {}
        for number in expr.atoms(sympy.Number):
            if _magnitude_over_bound(number):
                raise self.too_large(node)
            if number.is_Rational and max(abs(number.p), number.q) > _BOUND:
                tiny[number] = sympy.Float(number, 17)
        if tiny:
            expr = expr.xreplace(tiny)
        if not expr.free_symbols and not expr.is_Number:
            value = expr.evalf(15)
            if value.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
                raise self.fail(node, "this part is undefined or infinite")
            real, imaginary = value.as_real_imag()
            if abs(float(imaginary)) > 1e-12 * max(abs(float(real)), 1e-300):
                raise self.fail(node, "this part is not a real number")
            if abs(float(real)) > float(_BOUND):
                raise self.too_large(node)
        return expr

    def too_large(self, node: ast.AST) -> FormulaError:
        return self.fail(
            node, f"this constant is too large (at most 1e{limits.MAX_CONSTANT_LOG10})"
        )


_BOUND = 10**limits.MAX_CONSTANT_LOG10


def _magnitude_over_bound(number: sympy.Number) -> bool:
    if number.is_Rational:
        return abs(number.p) > _BOUND * number.q
    return abs(float(number)) > float(_BOUND)  # a Float: beyond a double's range is inf


def _prepare(text: str) -> tuple[str, list[int]]:
    """Replace ^ by ** and whitespace by spaces; map each parsed character to its source."""
    parsed, source_positions = [], []
    for position, char in enumerate(text):
        if char == "^":
            parsed.append("**")
            source_positions += [position, position]
        else:
            parsed.append(" " if char.isspace() else char)
            source_positions.append(position)
    source_positions.append(len(text))  # one past the end, for "unexpected end"
    return "".join(parsed), source_positions


def _check_size(name: str, expr: sympy.Expr) -> None:
    """Refuse a tree of more than MAX_DERIVATIVE_OPS nodes (counting stops there)."""
    bound = limits.MAX_DERIVATIVE_OPS
    for size, _ in enumerate(sympy.preorder_traversal(expr), start=1):
        if size > bound:
            raise FormulaTooComplex(
                f"{name} would have more than {bound:,} operations; write a simpler formula"
            )


def parse(text: str) -> sympy.Expr:
    """The SymPy expression of a formula, or FormulaError saying what is wrong and where."""
    check_characters(text)
    stripped = text.rstrip()
    if stripped[-1] in "+-*/^(":
        raise FormulaError(
            f"the formula ends with {stripped[-1]!r}: something is missing after it",
            len(stripped) - 1,
        )
    parsed, source_positions = _prepare(text)
    lead = len(parsed) - len(parsed.lstrip())
    try:
        tree = ast.parse(parsed.strip(), mode="eval")
    except SyntaxError as error:
        offset = max((error.offset or 1) - 1 + lead, 0)
        position = source_positions[min(offset, len(source_positions) - 1)]
        reason = error.msg if error.msg != "invalid syntax" else "this is not a valid expression"
        if "decimal literal" in reason:
            reason = "a number runs into a name: write 2*x, not 2x"
        if "never closed" in reason or "unmatched" in reason or "does not match" in reason:
            reason = f"unbalanced parentheses: {reason}"
        raise FormulaError(f"{reason}; {_GRAMMAR_HINT}", position) from None
    except (RecursionError, MemoryError, ValueError):
        raise FormulaError("the formula is nested too deeply", 0) from None
    if lead:
        for node in ast.walk(tree):
            if hasattr(node, "col_offset"):
                node.col_offset += lead
    return _Builder(source_positions).build(tree.body)


def compile_source(text: str) -> CompiledSource:
    """Parse, differentiate and generate the code of a formula: all of its SymPy work.

    Whatever goes wrong inside SymPy (a RecursionError from a deep tree, memory, any
    exception) is a FormulaError, never a crash.
    """
    try:
        return _compile_source(text)
    except FormulaError:
        raise
    except RecursionError:
        raise FormulaTooComplex(
            "this formula is nested too deeply for SymPy to differentiate; write a simpler one"
        ) from None
    except MemoryError:
        raise FormulaTooComplex("compiling this formula needs too much memory") from None
    except Exception as error:  # noqa: BLE001 - any SymPy failure is the formula's 422
        raise FormulaError(
            f"SymPy could not compile this formula ({type(error).__name__}); "
            "try writing it another way"
        ) from None


# SymPy's cache is the process's, while its switch for distributing numbers (below) is
# each thread's: one formula compiles at a time in a process, so no thread meets an
# expression cached with the switch set otherwise (the catalogue's warm-up thread and a
# request may both compile).
_SYMPY = threading.Lock()


def _compile_source(text: str) -> CompiledSource:
    with _SYMPY:
        expression = parse(text)
        _check_size("f", expression)
        # Derivatives as the chain rule gives them, 2(x + y² − 7) rather than SymPy's
        # usual 2x + 2y² − 14 (SymPy distributes a number over a sum unless told not to,
        # here and when lambdify rebuilds the expressions): easier to read, and they share
        # more with f (Himmelblau's f and ∇f take 17 operations instead of 23 each step).
        with distribute(False):
            return _differentiated(expression)


def _differentiated(expression: sympy.Expr) -> CompiledSource:
    gradient = (sympy.diff(expression, X), sympy.diff(expression, Y))
    _check_size("∂f/∂x", gradient[0])
    _check_size("∂f/∂y", gradient[1])
    second = {
        "∂²f/∂x²": sympy.diff(gradient[0], X),
        "∂²f/∂x∂y": sympy.diff(gradient[0], Y),
        "∂²f/∂y²": sympy.diff(gradient[1], Y),
    }
    for name, derivative in second.items():
        _check_size(name, derivative)
    # abs(x)'' is a Dirac delta at 0; numerically it is 0 everywhere else.
    hessian = [h.replace(sympy.DiracDelta, lambda *args: sympy.S.Zero) for h in second.values()]
    return CompiledSource(
        latex=sympy.latex(expression),
        gradient_latex={"x": sympy.latex(gradient[0]), "y": sympy.latex(gradient[1])},
        value=_source(expression),
        value_and_gradient=_source([expression, *gradient]),
        hessian=_source(hessian),
    )


def _source(expressions) -> str:
    """The Python source lambdify generates for ``expressions`` as a function of (x, y)."""
    return inspect.getsource(sympy.lambdify((X, Y), expressions, modules="numpy", cse=True))


# The names lambdify's numpy code may use (numpy's functions, pi, e, ...): the
# namespace lambdify itself builds.
_NUMPY_NAMESPACE = {
    name: value
    for name, value in sympy.lambdify((X, Y), X, modules="numpy").__globals__.items()
    if name != "_lambdifygenerated"
}


def _function(source: str, what: str):
    namespace = dict(_NUMPY_NAMESPACE)
    exec(compile(source, f"<{what} of a formula>", "exec"), namespace)  # noqa: S102 - generated code
    return namespace["_lambdifygenerated"]


def build_formula(text: str, source: CompiledSource) -> Formula:
    """The numpy functions of a compiled formula (its code was generated by SymPy from the
    checked tree, never from the user's text)."""
    f_and_grad = _function(source.value_and_gradient, "f and ∇f")
    return Formula(
        text=text,
        latex=source.latex,
        gradient_latex=dict(source.gradient_latex),
        _f=_function(source.value, "f"),
        _f_and_grad=f_and_grad,
        _hessian=_function(source.hessian, "Hessian"),
        _tape=_Tape.of(source.value_and_gradient, f_and_grad),
    )


# The fast path of the descent loop: f and ∇f as a tape of numpy calls.
#
# lambdify's code allocates a new array for every operation, and a grid of 10,000 hikers
# pays for it: glibc hands large blocks back to the system as soon as they are freed,
# so each new one starts with page faults (lambdify's Himmelblau took ~2.5× as long as
# the same operations into reused arrays). For a single hiker each operation's cost is
# numpy's per-call cost, and a Python number as an operand adds half of it again (it is
# converted on every call). The tape is lambdify's code run the same way, operation by
# operation in the same order (so every number is the same, bit for bit), but each
# operation writes into a scratch array reused from call to call (the last ones into
# the caller's arrays), and its constants are 0-d float arrays made once.

_BINARY_UFUNCS = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.true_divide,
    ast.Pow: np.power,
}
_UNARY_UFUNCS = {ast.USub: np.negative, ast.UAdd: np.positive}
# ``abs(array)`` is numpy's absolute; an array to these powers is what numpy computes
# instead of ``power`` (its fast_scalar_power: only for these exact types and values).
_CALLABLE_UFUNCS = {builtins.abs: np.absolute}
_POWER_SHORTCUTS = {(int, 2): np.square, (int, -1): np.reciprocal, (float, 0.5): np.sqrt}


def _placeholder(index: int) -> ast.Name:
    """A name for the value of a part's operand ``index``, when it is evaluated at once."""
    return ast.Name(f"_{index}", ast.Load())


class _NotTapeable(Exception):
    """Code the tape does not translate: the formula keeps lambdify's function alone."""


# An operand: "x", "y", ("constant", index) or ("value", index of the operation).
_Operand = str | tuple[str, int]


def _is_variable(operand: _Operand) -> bool:
    return operand in ("x", "y") or operand[0] == "value"


@dataclass(frozen=True)
class _Operation:
    ufunc: np.ufunc
    operands: tuple[_Operand, ...]


class _Tape:
    """lambdify's code for (f, ∂f/∂x, ∂f/∂y) as straight-line ufunc calls.

    Operation i's result is value i; each is written into a scratch array (one freed by
    an operand read for the last time, if any), or straight into the caller's array
    when it is one of the results. ``bind(shape)`` gives the function for arrays of
    that shape, with its own scratch arrays.
    """

    def __init__(self, source: str):
        (function,) = ast.parse(source).body
        if not isinstance(function, ast.FunctionDef) or [a.arg for a in function.args.args] != [
            "x",
            "y",
        ]:
            raise _NotTapeable("not lambdify's function of (x, y)")
        self.operations: list[_Operation] = []
        self.constants: list[Any] = []  # as lambdify's code computes them
        self._arrays: list[np.ndarray] = []  # the same as 0-d float arrays
        self._names: dict[str, _Operand] = {"x": "x", "y": "y"}
        self._namespace = dict(_NUMPY_NAMESPACE)
        *assignments, returned = function.body
        for statement in assignments:
            if not (
                isinstance(statement, ast.Assign)
                and len(statement.targets) == 1
                and isinstance(statement.targets[0], ast.Name)
            ):
                raise _NotTapeable("a statement other than name = expression")
            self._names[statement.targets[0].id] = self._operand(statement.value)
        if not (
            isinstance(returned, ast.Return)
            and isinstance(returned.value, ast.List)
            and len(returned.value.elts) == 3
        ):
            raise _NotTapeable("not a return of [f, ∂f/∂x, ∂f/∂y]")
        self.results = [self._operand(element) for element in returned.value.elts]
        self._in_place, self._apart = self._generate(in_place=True), self._generate(in_place=False)
        self._one = self._generate_scalar()

    @classmethod
    def of(cls, source: str, reference: Callable) -> _Tape | None:
        """The tape of lambdify's ``source``, or None where it does not translate or does
        not give exactly the numbers of ``reference`` (that code's function)."""
        try:
            tape = cls(source)
            arrays_agree, one_agrees = tape._agreement(reference)
            if not arrays_agree:
                return None
            if not one_agrees:
                tape._one = None  # one hiker evaluated by the array tape, as before
            return tape
        except Exception:  # noqa: BLE001 - the tape only saves time: lambdify's code will do
            return None

    # Translating lambdify's code

    def _operand(self, node: ast.expr) -> _Operand:
        """The operand ``node`` evaluates to, after the operations it takes. A part that
        reads neither x nor y is evaluated at once, as lambdify's code evaluates it."""
        if isinstance(node, ast.Name) and node.id in self._names:
            return self._names[node.id]
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY_UFUNCS:
            operands = [self._operand(node.left), self._operand(node.right)]
            ufunc = _BINARY_UFUNCS[type(node.op)]
            rebuilt: ast.expr = ast.BinOp(_placeholder(0), node.op, _placeholder(1))
        elif isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY_UFUNCS:
            operands = [self._operand(node.operand)]
            ufunc = _UNARY_UFUNCS[type(node.op)]
            rebuilt = ast.UnaryOp(node.op, _placeholder(0))
        elif isinstance(node, ast.Call) and len(node.args) == 1 and not node.keywords:
            operands = [self._operand(node.args[0])]
            function = self._evaluate(node.func)
            ufunc = _CALLABLE_UFUNCS.get(function, function)
            rebuilt = ast.Call(node.func, [_placeholder(0)], [])
        else:  # a number, or one of numpy's names (pi, e)
            return self._constant(self._evaluate(node))
        if not any(_is_variable(operand) for operand in operands):
            return self._constant(
                self._evaluate(rebuilt, [self.constants[index] for _, index in operands])
            )
        if ufunc is np.power and not _is_variable(operands[1]):
            exponent = self.constants[operands[1][1]]
            shortcut = _POWER_SHORTCUTS.get((type(exponent), exponent))
            if shortcut is not None:
                ufunc, operands = shortcut, operands[:1]
        if not (isinstance(ufunc, np.ufunc) and ufunc.nin == len(operands) and ufunc.nout == 1):
            raise _NotTapeable(f"no tape for {ast.unparse(node)}")
        return self._emit(ufunc, *operands)

    def _evaluate(self, node: ast.expr, values: list[Any] = ()) -> Any:
        """``node`` (reading neither x nor y) evaluated as lambdify's code would, with
        ``values`` for the placeholders."""
        code = compile(ast.fix_missing_locations(ast.Expression(node)), "<a formula>", "eval")
        placeholders = {f"_{index}": value for index, value in enumerate(values)}
        return eval(code, self._namespace, placeholders)  # noqa: S307 - generated code

    def _constant(self, value: Any) -> _Operand:
        if isinstance(value, bool) or not isinstance(value, int | float | np.floating):
            raise _NotTapeable(f"{value!r} is not a real number")
        self.constants.append(value)
        # As a 0-d float array (numpy converts a Python number operand on every call).
        self._arrays.append(np.array(value, dtype=float))
        return ("constant", len(self.constants) - 1)

    def _emit(self, ufunc: np.ufunc, *operands: _Operand) -> _Operand:
        self.operations.append(_Operation(ufunc, operands))
        return ("value", len(self.operations) - 1)

    # Generating the function

    def _storage(self, in_place: bool) -> tuple[dict[int, str], int]:
        """Where each value is written: a result's array ("f", "gx", "gy") or a scratch
        array ("s0", "s1", …), reused once the value in it has been read for the last
        time (few arrays, kept in the cache); and how many scratch arrays there are.

        ``in_place``: an operation may write over an operand it reads for the last time
        (faster for large arrays; numpy is slow to do so for arrays of one element)."""
        where: dict[int, str] = {}
        for operand, name in zip(self.results, _RESULT_NAMES, strict=True):
            if operand[0] == "value" and operand[1] not in where:
                where[operand[1]] = name
        last_read = {}
        for index, operation in enumerate(self.operations):
            for operand in operation.operands:
                if operand[0] == "value":
                    last_read[operand[1]] = index
        free: list[str] = []
        scratch = 0

        def release_operands(index: int) -> None:
            for operand in set(self.operations[index].operands):
                if operand[0] == "value" and last_read[operand[1]] == index:
                    if where[operand[1]].startswith("s"):
                        free.append(where[operand[1]])

        for index in range(len(self.operations)):
            if in_place:
                release_operands(index)
            if index not in where:
                if not free:
                    free.append(f"s{scratch}")
                    scratch += 1
                where[index] = free.pop()
            if not in_place:
                release_operands(index)
        return where, scratch

    def _generate(self, in_place: bool) -> Callable[[tuple[int, ...]], Callable[..., None]]:
        """The function that binds the tape to scratch arrays of a shape."""
        where, scratch = self._storage(in_place)
        ufuncs: dict[np.ufunc, str] = {}

        def name_of(operand: _Operand) -> str:
            if operand in ("x", "y"):
                return operand
            kind, index = operand
            return f"c{index}" if kind == "constant" else where[index]

        lines = []
        for index, operation in enumerate(self.operations):
            ufunc = ufuncs.setdefault(operation.ufunc, f"u{len(ufuncs)}")
            operands = ", ".join(name_of(operand) for operand in operation.operands)
            lines.append(f"{ufunc}({operands}, {where[index]})")
        for operand, name in zip(self.results, _RESULT_NAMES, strict=True):
            if name_of(operand) != name:  # a variable, a constant, or twice a result
                lines.append(f"copyto({name}, {name_of(operand)})")
        scratch_names = [f"s{i}" for i in range(scratch)]
        source = "\n".join(
            [
                f"def bind({', '.join(scratch_names)}):",
                f"    def evaluate(x, y, {', '.join(_RESULT_NAMES)}):",
                *(f"        {line}" for line in lines),
                "    return evaluate",
            ]
        )
        namespace: dict[str, Any] = {"copyto": np.copyto}
        namespace.update({name: ufunc for ufunc, name in ufuncs.items()})
        namespace.update({f"c{index}": array for index, array in enumerate(self._arrays)})
        exec(compile(source, "<the tape of a formula>", "exec"), namespace)  # noqa: S102
        bind = namespace["bind"]

        def bound(shape: tuple[int, ...]) -> Callable[..., None]:
            return bind(*(np.empty(shape) for _ in range(scratch)))

        return bound

    def _generate_scalar(self) -> Callable[[Callable[..., None]], Callable[..., None]]:
        """The function that makes the tape's evaluator for one hiker, in Python floats.

        The operations Python's floats do exactly as numpy does (IEEE 754 arithmetic,
        correctly rounded square roots) are Python expressions, ~40 ns each against
        numpy's ~250 ns a call. Any other ufunc (sin, exp, a power) is called as the
        array tape calls it, on one-element arrays and the 0-d constants, so its numbers
        are the array tape's. A case where Python raises and numpy would not (x / 0, √ of
        a negative) is evaluated by ``fallback``, the array tape."""
        lines = []
        for index, operation in enumerate(self.operations):
            names = [self._scalar_name(operand) for operand in operation.operands]
            expression = _SCALAR_EXPRESSIONS.get(operation.ufunc)
            if expression is not None:
                lines.append(f"v{index} = {expression.format(*names)}")
                continue
            arguments = []
            for slot, (operand, name) in enumerate(zip(operation.operands, names, strict=True)):
                if _is_variable(operand):
                    lines.append(f"a{slot}[0] = {name}")
                    arguments.append(f"a{slot}")
                else:
                    arguments.append(f"k{operand[1]}")
            lines.append(f"u{index}({', '.join(arguments)}, out)")
            lines.append(f"v{index} = out.item()")
        results = [self._scalar_name(operand) for operand in self.results]
        source = "\n".join(
            [
                "def bind(fallback, a0, a1, out):",
                "    def evaluate(X, Y, F, GX, GY):",
                "        x, y = X.item(), Y.item()",
                "        try:",
                *(f"            {line}" for line in lines or ["pass"]),
                "        except (ZeroDivisionError, ValueError, OverflowError):",
                "            return fallback(X, Y, F, GX, GY)",
                *(
                    f"        {name.upper()}[0] = {result}"
                    for name, result in zip(_RESULT_NAMES, results, strict=True)
                ),
                "    return evaluate",
            ]
        )
        namespace: dict[str, Any] = {"sqrt": math.sqrt}
        namespace.update({f"u{i}": op.ufunc for i, op in enumerate(self.operations)})
        namespace.update({f"c{i}": float(array) for i, array in enumerate(self._arrays)})
        namespace.update({f"k{i}": array for i, array in enumerate(self._arrays)})
        exec(compile(source, "<the tape of a formula, for one hiker>", "exec"), namespace)  # noqa: S102
        bind = namespace["bind"]

        def bound(fallback: Callable[..., None]) -> Callable[..., None]:
            return bind(fallback, np.empty(1), np.empty(1), np.empty(1))

        return bound

    @staticmethod
    def _scalar_name(operand: _Operand) -> str:
        if operand in ("x", "y"):
            return operand
        kind, index = operand
        return f"c{index}" if kind == "constant" else f"v{index}"

    def bound(self, x_range: tuple[float, float], y_range: tuple[float, float]) -> float:
        """A bound on the absolute values of the results over the rectangle, by interval
        arithmetic: each operation's result lies in an interval computed from its
        operands' (x's is ``x_range``). Only for operations with simple rules (sums,
        products, powers, sin, cos, exp); inf where another one is used (1/x, log, …) or
        an interval overflows. Rounding can move a bound by ~1e-16 of itself per
        operation: a caller wanting finiteness compares with a far smaller number than
        the largest float."""
        intervals = {"x": tuple(x_range), "y": tuple(y_range)}

        def interval(operand: _Operand) -> tuple[float, float]:
            if operand in intervals:
                return intervals[operand]
            value = float(self._arrays[operand[1]])
            return (value, value)

        try:
            for index, operation in enumerate(self.operations):
                rule = _INTERVAL_RULES.get(operation.ufunc)
                if rule is None:
                    return math.inf
                operands = [interval(operand) for operand in operation.operands]
                low, high = rule(*operands)
                if not (math.isfinite(low) and math.isfinite(high)):
                    return math.inf
                intervals[("value", index)] = (low, high)
        except (OverflowError, ValueError):  # math.exp or a power too large, a bad power
            return math.inf
        return max(abs(end) for result in self.results for end in interval(result))

    def bind(self, shape: tuple[int, ...]) -> Callable[..., None]:
        """``evaluate(x, y, f, gx, gy)`` for arrays of ``shape``, with scratch arrays of its own."""
        if shape == (1,) and self._one is not None:
            return self._one(self._apart(shape))
        return (self._in_place if math.prod(shape) > 1 else self._apart)(shape)

    def _agreement(self, reference: Callable) -> tuple[bool, bool]:
        """Whether the array tape, and the evaluator of one hiker (point by point), give
        exactly lambdify's numbers on a few points (NaN where they are NaN): a guard
        against a rule of numpy's, or of Python's floats, missed above."""
        x, y = _PROBES
        with np.errstate(all="ignore"):
            expected = np.array([_as_float_array(part, x.shape) for part in reference(x, y)])
            arrays = [np.empty((3, x.size)) for _ in range(2)]
            for plan, results in zip((self._in_place, self._apart), arrays, strict=True):
                plan(x.shape)(x, y, *results)
            one, alone = self.bind((1,)), np.empty((3, x.size))
            for i in range(x.size):
                one(x[i : i + 1], y[i : i + 1], *alone[:, i : i + 1])

        def agrees(results: np.ndarray) -> bool:
            return np.array_equal(results, expected, equal_nan=True)

        return all(agrees(results) for results in arrays), agrees(alone)


_RESULT_NAMES = ("f", "gx", "gy")

# The points where a tape is checked against lambdify's code.
_PROBES = tuple(
    part.ravel()
    for part in np.meshgrid(
        *[np.array([-1e3, -7.5, -2.0, -1.0, -0.5, 0.0, 0.3, 1.0, 2.5, 10.0, 1e3])] * 2
    )
)


def _interval_product(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    products = [a[0] * b[0], a[0] * b[1], a[1] * b[0], a[1] * b[1]]
    return min(products), max(products)


def _interval_power(a: tuple[float, float], n: tuple[float, float]) -> tuple[float, float]:
    """[a]ⁿ for a constant whole n ≥ 0 (ValueError for any other power: no bound)."""
    exponent = n[0]
    if n[0] != n[1] or exponent < 0 or exponent != int(exponent):
        raise ValueError("no interval rule for this power")
    ends = [a[0] ** int(exponent), a[1] ** int(exponent)]
    if a[0] < 0 < a[1] and exponent % 2 == 0:
        return 0.0, max(ends)
    return min(ends), max(ends)


def _interval_absolute(a: tuple[float, float]) -> tuple[float, float]:
    if a[0] < 0 < a[1]:
        return 0.0, max(-a[0], a[1])
    return min(abs(a[0]), abs(a[1])), max(abs(a[0]), abs(a[1]))


# How each operation maps its operands' intervals to its result's (``_Tape.bound``).
_INTERVAL_RULES: dict[np.ufunc, Callable[..., tuple[float, float]]] = {
    np.add: lambda a, b: (a[0] + b[0], a[1] + b[1]),
    np.subtract: lambda a, b: (a[0] - b[1], a[1] - b[0]),
    np.multiply: _interval_product,
    np.square: lambda a: _interval_power(a, (2, 2)),
    np.power: _interval_power,
    np.negative: lambda a: (-a[1], -a[0]),
    np.positive: lambda a: a,
    np.absolute: _interval_absolute,
    np.sign: lambda a: (-1.0, 1.0),  # abs(u)' = sign(u)·u'
    np.sin: lambda a: (-1.0, 1.0),
    np.cos: lambda a: (-1.0, 1.0),
    np.exp: lambda a: (math.exp(a[0]), math.exp(a[1])),
}

# What Python's floats compute exactly as these ufuncs do on float64 arrays: IEEE 754
# operations, correctly rounded (numpy's square is x·x; an operand of these is never a
# Python int: constants are floats). Python raises where numpy gives inf or NaN for /,
# 1/x and √ (the evaluator falls back to the array tape then); +, −, × never raise.
_SCALAR_EXPRESSIONS = {
    np.add: "{} + {}",
    np.subtract: "{} - {}",
    np.multiply: "{} * {}",
    np.true_divide: "{} / {}",
    np.negative: "-{}",
    np.positive: "+{}",
    np.square: "{0} * {0}",
    np.reciprocal: "1.0 / {}",
    np.absolute: "abs({})",
    np.sqrt: "sqrt({})",
}


@lru_cache(maxsize=256)
def compile_formula(text: str) -> Formula:
    """Parse, differentiate and compile a formula in this process (for trusted text:
    the catalogue, tests); the API compiles users' formulas with a budget instead
    (app/surfaces/compiler.py). Cached: the catalogue compiles once."""
    return build_formula(text, compile_source(text))
