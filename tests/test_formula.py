"""The formula grammar: what it accepts, what it refuses (and where), and its gradients."""

from __future__ import annotations

import builtins
import dataclasses
import math
import threading

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from app import limits
from app.surfaces import formula as formula_module
from app.surfaces.catalogue import CATALOGUE
from app.surfaces.formula import (
    CompiledSource,
    FormulaError,
    FormulaTooComplex,
    build_formula,
    compile_formula,
    compile_source,
    parse,
)


@pytest.mark.parametrize(
    ("text", "x", "y", "expected"),
    [
        ("x**2 + 3*y**2", 1.0, 2.0, 13.0),
        ("x^2 + y^2", 3.0, 4.0, 25.0),
        ("2^3^2", 0.0, 0.0, 512.0),  # power is right-associative, as in mathematics
        ("-x^2", 3.0, 0.0, -9.0),  # unary minus binds looser than power
        ("x - y - 1", 5.0, 2.0, 2.0),
        ("x / y / 2", 8.0, 2.0, 2.0),
        ("pi * e", 0.0, 0.0, math.pi * math.e),
        ("sin(x) + cos(y) + tan(x)", 0.3, 0.4, math.sin(0.3) + math.cos(0.4) + math.tan(0.3)),
        (
            "asin(x) + acos(y) + atan(x*y)",
            0.3,
            0.4,
            math.asin(0.3) + math.acos(0.4) + math.atan(0.12),
        ),
        ("sinh(x) + cosh(y) + tanh(x)", 0.3, 0.4, math.sinh(0.3) + math.cosh(0.4) + math.tanh(0.3)),
        (
            "exp(x) + log(y) + log10(y) + sqrt(y)",
            0.3,
            4.0,
            math.exp(0.3) + math.log(4) + math.log10(4) + 2,
        ),
        ("abs(x) + abs(y)", -1.5, 2.0, 3.5),
        ("  x  +\ty ", 1.0, 2.0, 3.0),
        ("1.5e1 * x", 2.0, 0.0, 30.0),
        ("7", 1.0, 1.0, 7.0),
    ],
)
def test_accepted_formulas_evaluate_correctly(text, x, y, expected):
    formula = compile_formula(text)
    value = formula.value(np.array([x]), np.array([y]))
    assert value[0] == pytest.approx(expected, rel=1e-12)


SMOOTH = [
    "(1 - x)**2 + 100*(y - x**2)**2",
    "sin(3*x) * cos(2*y) + exp(-(x**2 + y**2))",
    "log(1 + x**2 + y**2) * atan(x - y)",
    "sqrt(x**2 + y**2 + 1) + tanh(x*y)",
    "x^3 - 3*x*y^2",
    "log10(2 + cos(x)) / (1 + y^2)",
]


@pytest.mark.parametrize("text", SMOOTH)
def test_symbolic_gradient_matches_finite_differences(text):
    formula = compile_formula(text)
    rng = np.random.default_rng(0)
    x, y = rng.uniform(-1.5, 1.5, 50), rng.uniform(-1.5, 1.5, 50)
    f, gx, gy = formula.value_and_gradient(x, y)
    h = 1e-6
    fd_x = (formula.value(x + h, y) - formula.value(x - h, y)) / (2 * h)
    fd_y = (formula.value(x, y + h) - formula.value(x, y - h)) / (2 * h)
    np.testing.assert_allclose(f, formula.value(x, y))
    np.testing.assert_allclose(gx, fd_x, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(gy, fd_y, rtol=1e-6, atol=1e-6)


def test_latex_of_f_and_both_partials():
    formula = compile_formula("x^2 * sin(y)")
    assert formula.latex == r"x^{2} \sin{\left(y \right)}"
    assert formula.gradient_latex == {
        "x": r"2 x \sin{\left(y \right)}",
        "y": r"x^{2} \cos{\left(y \right)}",
    }


def test_constant_formula_has_zero_gradient_everywhere():
    f, gx, gy = compile_formula("3").value_and_gradient(np.zeros((2, 3)), np.ones((2, 3)))
    assert f.shape == gx.shape == gy.shape == (2, 3)
    assert np.all(f == 3) and np.all(gx == 0) and np.all(gy == 0)


def test_undefined_values_are_not_finite_rather_than_errors():
    f = compile_formula("log(x) + sqrt(y)").value(np.array([-1.0, 1.0]), np.array([1.0, -1.0]))
    assert not np.isfinite(f).any()


# Hostile or broken input: refused with a message and the 0-based position of the problem.
HOSTILE = [
    ("", 0, "empty"),
    ("   ", 0, "empty"),
    ("x.real", 0, "attribute"),
    ("__import__('os').system('touch /tmp/gradient-hiker-pwned')", 0, "'_'"),
    ("().__class__.__bases__[0].__subclasses__()", 3, "'_'"),
    ("x[0]", 1, "'['"),
    ("sin.__call__(x)", 4, "'_'"),
    ("eval('1')", 5, "'"),
    ("exec", 0, "unknown name"),
    ("os", 0, "unknown name"),
    ("open(x)", 0, "unknown function 'open'"),
    ("getattr(x, 'y')", 9, "','"),
    ("[x for x in y]", 0, "'['"),
    ("(x for x in y)", 0, "comprehension"),
    ("lambda: 1", 6, "':'"),
    ("x if y else 1", 0, "if/else"),
    ("x and y", 0, "and/or"),
    ("x < y", 2, "'<'"),
    ("x == y", 2, "'='"),
    ("x // y", 0, "//"),
    ("x % y", 2, "'%'"),
    ("x @ y", 2, "'@'"),
    ("x & y", 2, "'&'"),
    ("~x", 0, "'~'"),
    ("9**9**9**9", 3, "exponent"),
    ("10**10**10", 0, "exponent"),
    ("(2**999)**999", 1, "too large"),
    ("x**1e6", 0, "exponent"),
    ("1e400", 0, "too large"),
    ("1/0", 0, "division by zero"),
    ("sqrt(-1)", 0, "not a real number"),
    ("1j", 0, "not a real number"),
    ("ｘ**2", 0, "U+FF58"),  # fullwidth x: Python itself would read it as x
    ("х**2", 0, "U+0445"),  # Cyrillic ha
    ("x + у", 4, "U+0443"),  # Cyrillic u
    ("x\u200b+y", 1, "U+200B"),  # zero-width space
    ("sin(x, y)", 5, "','"),
    ("sin()", 0, "exactly one argument"),
    ("sin(*x)", 0, "exactly one argument"),
    ("foo(x)", 0, "unknown function 'foo'"),
    ("X + Y", 0, "unknown name 'X'"),
    ("sin", 0, "is a function"),
    ("2x", 0, "2*x"),
    ("x +* y", 3, "not a valid expression"),
    ("(x + y", 0, "never closed"),
    ("x + y)", 5, "unmatched"),
    ("x" * 501, 500, "at most 500"),
    ("(" * 240 + "x" + ")" * 240, None, "nested"),
    ("-" * 499 + "x", None, "nested"),
    ("x = 1", 2, "'='"),
    ("x; y", 1, "';'"),
    ("'x'", 0, "'"),
    ("x#comment", 1, "'#'"),
    ("\\x", 0, "'\\\\'"),
]


@pytest.mark.parametrize(("text", "position", "fragment"), HOSTILE)
def test_hostile_and_broken_input_is_refused_with_where(text, position, fragment, monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("a formula reached eval/exec")

    monkeypatch.setattr(builtins, "eval", forbidden)
    with pytest.raises(FormulaError) as error:
        parse(text)
    assert fragment in error.value.message
    assert "at character" in error.value.message
    if position is not None:
        assert error.value.position == position
    assert 0 <= error.value.position <= len(text)


def test_nothing_executes(tmp_path):
    marker = tmp_path / "pwned"
    for text in [
        f"__import__('os').system('touch {marker}')",
        f"open('{marker}', 'w')",
        "().__class__.__base__.__subclasses__()",
    ]:
        with pytest.raises(FormulaError):
            compile_formula(text)
    assert not marker.exists()


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="xy0123456789.+-*/^() sincoexplgqrtabhe", max_size=60))
def test_any_text_either_compiles_or_is_refused_cleanly(text):
    try:
        formula = compile_formula(text)
    except FormulaError as error:
        assert error.position is None or 0 <= error.position <= len(text)
        return
    f, gx, gy = formula.value_and_gradient(np.linspace(-2, 2, 7), np.linspace(-1, 3, 7))
    assert f.shape == gx.shape == gy.shape == (7,)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_arbitrary_unicode_never_crashes(text):
    try:
        compile_formula(text)
    except FormulaError as error:
        assert error.position is None or 0 <= error.position <= max(len(text), 500)


# Exact bounds on constants: magnitude at most 1e300 (evaluated to any precision, so
# pi**1000 is caught), tiny is fine, and every constant part is real.
@pytest.mark.parametrize(
    ("text", "position", "fragment"),
    [
        ("pi**1000", 0, "too large"),
        ("e**1000", 0, "too large"),
        ("exp(1000) + x", 0, "too large"),
        ("x + 2**(pi*1000)", 4, "too large"),
        ("1e301", 0, "too large"),
        ("x*10**300*10**300", 0, "too large"),
        ("acos(2)", 0, "not a real number"),
        ("x + acos(2)", 4, "not a real number"),
        ("(-8)^(1/3)", 0, "not a real number"),
        ("log(-1)", 0, "not a real number"),
        ("sqrt(-4)", 0, "not a real number"),
        ("asin(1.0000000000000002)", 0, "not a real number"),
        ("y * tan(pi/2)", 4, "undefined"),
    ],
)
def test_constants_are_bounded_and_real(text, position, fragment):
    with pytest.raises(FormulaError) as error:
        compile_formula(text)
    assert fragment in error.value.message and error.value.position == position
    assert error.value.error_type == "formula_error"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2**-1000", 2.0**-1000),
        ("x*2**-1000", 2.0**-1000),
        ("(2**-1000)**1000 + x", 1.0),  # far below a float's range: 0, no 300,000-digit number
        ("x/10**300/10**300", 0.0),
        ("pi**-1000 + x", 1.0),
        ("10**300", 1e300),
        ("cos(acos(1))", 1.0),
    ],
)
def test_tiny_constants_are_fine(text, expected):
    value = compile_formula(text).value(np.array([1.0]), np.array([1.0]))[0]
    assert value == pytest.approx(expected, rel=1e-12)


def test_one_formula_compiles_at_a_time_in_a_process():
    """SymPy's cache is shared by the threads while its switch for distributing numbers
    (off while differentiating) is each thread's: compiles must not overlap."""
    finished = threading.Event()
    worker = threading.Thread(target=lambda: (compile_source("2*(x + 1) + y"), finished.set()))
    with formula_module._SYMPY:
        worker.start()
        assert not finished.wait(0.2)  # waiting for the lock, not compiling
    worker.join(10)
    assert finished.is_set()
    # and the switch is back on afterwards, in this thread as in the other
    assert sympy.core.parameters.global_parameters.distribute


def test_compiled_source_is_plain_data_and_rebuilds_the_same_formula():
    import pickle

    source = compile_source("sin(x) * y^2")
    assert isinstance(source, CompiledSource)
    assert pickle.loads(pickle.dumps(source)) == source
    for code in (source.value, source.value_and_gradient, source.hessian):
        assert code.startswith("def _lambdifygenerated(x, y):")
    rebuilt = build_formula("sin(x) * y^2", source)
    x, y = np.array([0.3, -1.2]), np.array([2.0, 0.5])
    f, gx, gy = rebuilt.value_and_gradient(x, y)
    np.testing.assert_allclose(f, np.sin(x) * y**2)
    np.testing.assert_allclose(gx, np.cos(x) * y**2)
    np.testing.assert_allclose(gy, 2 * np.sin(x) * y)
    hxx, hxy, hyy = rebuilt.hessian(x, y)
    np.testing.assert_allclose(hxx, -np.sin(x) * y**2)
    np.testing.assert_allclose(hxy, 2 * np.cos(x) * y)
    np.testing.assert_allclose(hyy, 2 * np.sin(x))
    # The Formula keeps numpy functions and LaTeX, no SymPy tree.
    assert not any("sympy" in type(v).__module__ for v in vars(rebuilt).values())


@pytest.mark.parametrize(("bound", "name"), [(6, "f"), (8, "∂f/∂x"), (12, "∂²f/∂x²")])
def test_f_its_gradient_and_its_hessian_are_bounded_in_size(monkeypatch, bound, name):
    monkeypatch.setattr(limits, "MAX_DERIVATIVE_OPS", bound)
    with pytest.raises(FormulaTooComplex) as error:
        compile_source("sin(x*x) * exp(y)")
    assert error.value.message.startswith(f"{name} would have more than {bound} operations")
    assert error.value.error_type == "formula_too_complex" and error.value.position is None


@pytest.mark.parametrize(
    ("failure", "kind", "fragment"),
    [
        (RecursionError, FormulaTooComplex, "nested too deeply"),
        (MemoryError, FormulaTooComplex, "memory"),
        (ValueError, FormulaError, "SymPy could not compile"),
    ],
)
def test_any_sympy_failure_is_a_formula_error(monkeypatch, failure, kind, fragment):
    def failing(*args, **kwargs):
        raise failure("deep inside SymPy")

    monkeypatch.setattr(formula_module.sympy, "diff", failing)
    with pytest.raises(kind) as error:
        compile_source("x * y")
    assert fragment in error.value.message


# The descent loop's evaluator (the formula's tape): lambdify's numbers, bit for bit.

TAPE_FORMULAS = [
    *(entry.formula for entry in CATALOGUE.values()),
    "sin(x)*exp(y/3) + log10(abs(x) + 1) + sqrt(x^2 + y^2) + x^(1/3) + 2^x + pi*e*x",
    "x^-1 + x^2.0 + x^0.5 + x^3 + atan(y)/tanh(x) + asin(x/9) - acos(y/9)",
    "cosh(x) - sinh(y) + tan(x*y) + log(x) - sqrt(-y) + x^x",
    "(x - 1)^-2 + y^-1 - 4*x*y/7",
    "-x",
    "x*y",
    "x",
    "7",
]


@pytest.mark.parametrize("text", TAPE_FORMULAS)
def test_the_evaluator_writes_exactly_value_and_gradient(text):
    """Into the caller's arrays, for one point (numpy's slow case of writing over an
    operand) and many, NaN where f or ∇f is undefined."""
    formula = compile_formula(text)
    assert formula._tape is not None  # every formula of the grammar translates
    rng = np.random.default_rng(3)
    for count in (1, 2, 300):
        x, y = rng.uniform(-6, 6, (2, count))
        x[: count // 3] = np.round(x[: count // 3])  # integers and zeros, as on a grid
        evaluate = formula.evaluator((count,))
        for _ in range(2):  # its scratch arrays are reused
            written = np.full((3, count), 123.0)
            with np.errstate(all="ignore"):
                evaluate(x, y, *written)
            for ours, expected in zip(written, formula.value_and_gradient(x, y), strict=True):
                np.testing.assert_array_equal(ours, expected)


@pytest.mark.parametrize("text", TAPE_FORMULAS)
def test_one_hikers_evaluator_gives_the_numbers_of_a_batch(text):
    """One hiker's evaluator computes in Python floats (the ghost path's ~1,000 steps):
    point by point it must write what the array tape writes for the whole batch, where
    Python would raise (x / 0, √ of a negative, overflow) as well."""
    formula = compile_formula(text)
    assert formula._tape._one is not None  # every formula of the grammar has one
    rng = np.random.default_rng(5)
    x, y = rng.uniform(-6, 6, (2, 400))
    x[:100] = np.round(x[:100])  # zeros and integers
    special = [0.0, -0.0, 1.0, -1.0, 1e-300, 1e200, -1e200, np.inf, -np.inf, np.nan]
    x[100:110], y[100:110] = special, special[::-1]
    x[110:120], y[110:120] = special, 0.0
    batch = np.empty((3, x.size))
    with np.errstate(all="ignore"):
        formula.evaluator(x.shape)(x, y, *batch)
        one = formula.evaluator((1,))
        for i in range(x.size):
            written = np.full(3, 123.0)
            one(x[i : i + 1], y[i : i + 1], written[0:1], written[1:2], written[2:3])
            np.testing.assert_array_equal(written, batch[:, i], err_msg=f"at {x[i]}, {y[i]}")


def test_a_one_hiker_evaluator_that_disagrees_is_not_used(monkeypatch):
    """The array tape still serves one hiker then: the guard of the floats' rules."""
    monkeypatch.setitem(formula_module._SCALAR_EXPRESSIONS, np.add, "{} + {} + 1e-9")
    source = compile_source("x^2 + y").value_and_gradient
    tape = formula_module._Tape.of(source, formula_module._function(source, "f and ∇f"))
    assert tape is not None and tape._one is None
    written = np.empty(3)
    tape.bind((1,))(np.array([2.0]), np.array([1.0]), written[0:1], written[1:2], written[2:3])
    np.testing.assert_array_equal(written, [5.0, 4.0, 1.0])


def test_without_a_tape_the_evaluator_calls_lambdify():
    formula = compile_formula("x^2 + 3*sin(y)")
    plain = dataclasses.replace(formula, _tape=None)
    x, y = np.array([0.5, -2.0, 3.0]), np.array([1.0, 0.0, -4.0])
    written = np.empty((3, 3))
    plain.evaluator((3,))(x, y, *written)
    for ours, expected in zip(written, formula.value_and_gradient(x, y), strict=True):
        np.testing.assert_array_equal(ours, expected)


def test_a_tape_is_made_only_of_code_it_translates_and_that_agrees():
    source = compile_source("x^2 + y").value_and_gradient
    function = formula_module._function(source, "f and ∇f")
    assert formula_module._Tape.of(source, function) is not None
    # A result off by one: the guard against a rule of numpy's missed by the tape.
    assert formula_module._Tape.of(source, lambda x, y: [x**2 + y + 1, 2 * x, 1]) is None
    # Code the tape does not know (a function that is not one of numpy's ufuncs).
    unknown = "def _lambdifygenerated(x, y):\n    return [where(x > 0, x, 0), 1, 0]\n"
    assert formula_module._Tape.of(unknown, formula_module._function(unknown, "f")) is None
