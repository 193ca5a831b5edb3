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
import inspect
import math
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import sympy

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


def _compile_source(text: str) -> CompiledSource:
    expression = parse(text)
    _check_size("f", expression)
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
    return Formula(
        text=text,
        latex=source.latex,
        gradient_latex=dict(source.gradient_latex),
        _f=_function(source.value, "f"),
        _f_and_grad=_function(source.value_and_gradient, "f and ∇f"),
        _hessian=_function(source.hessian, "Hessian"),
    )


@lru_cache(maxsize=256)
def compile_formula(text: str) -> Formula:
    """Parse, differentiate and compile a formula in this process (for trusted text:
    the catalogue, tests); the API compiles users' formulas with a budget instead
    (app/surfaces/compiler.py). Cached: the catalogue compiles once."""
    return build_formula(text, compile_source(text))
