"""A server a class can share (issue 8): every attack gets a quick, clear answer.

Sections:
- Formula attacks: the corpus that froze the server, through every endpoint that
  takes a surface; three at once while /api/health answers; the failure cache;
  grammar bounds (constants, numbers that are not real, nowhere-real surfaces).
- The formula compiler's pool: budget, replacement, sharing, no leaked process.
- Strict types of the surface and descent requests.
"""

from __future__ import annotations

import itertools
import os
import threading

import httpx
import pytest
from fastapi.testclient import TestClient

from app import limits
from app.main import app
from app.surfaces.compiler import FormulaCompiler, compiler
from app.surfaces.formula import FormulaTooComplex


def nested(function: str, depth: int, inner: str = "x") -> str:
    return f"{function}(" * depth + inner + ")" * depth


# --- Formula attacks -----------------------------------------------------------------

# Each of these froze the whole server for 8-46 s before compiling moved to workers
# with a budget; the 70-deep log10 was a 500 (RecursionError inside sympy.diff).
CORPUS = {
    "power tower": "^".join(["x"] * 85),  # 169 characters
    "exp": nested("exp", 99),
    "log": nested("log", 99),
    "tan": nested("tan", 99),
    "sin": nested("sin", 99),
    "product": "*".join(f"(x+{i})" for i in range(1, 69)),
    "log10": nested("log10", 70, "y"),
}
assert len(CORPUS["power tower"]) == 169

_fresh = itertools.count(1)


def fresh(text: str) -> str:
    """The same formula as a text never asked before (one more space), so it is compiled
    afresh rather than answered from the compiler's cache."""
    n = next(_fresh)
    if len(text) + n <= limits.MAX_FORMULA_LENGTH:
        return text + " " * n
    opening = [i for i, char in enumerate(text) if char == "("][n]  # 99-deep: no room at the end
    return text[: opening + 1] + " " + text[opening + 1 :]


def surface_body(path: str, formula: str) -> dict:
    """The smallest request to ``path`` on a formula surface."""
    surface = {"formula": formula, "x_range": [-3, 3], "y_range": [-3, 3]}
    return {
        "/api/formula": {"formula": formula},
        "/api/mesh": {"surface": surface, "resolution": 10},
        "/api/evaluate": {"surface": surface, "points": [[0.5, 0.5]]},
        "/api/descent": {"surface": surface, "runs": [{"optimizer": "sgd", "start": [1, 1]}]},
        "/api/descent/stream": {
            "surface": surface,
            "runs": [{"optimizer": "sgd", "start": [1, 1]}],
        },
        "/api/basins": {"surface": surface, "optimizer": {"optimizer": "sgd"}, "resolution": 4},
        "/page/check-surface": {"surface": surface},
    }[path]


SURFACE_ENDPOINTS = [
    "/api/formula",
    "/api/mesh",
    "/api/evaluate",
    "/api/descent",
    "/api/descent/stream",
    "/api/basins",
    "/page/check-surface",
]


def formula_errors(response: httpx.Response, path: str) -> list[dict]:
    """The formula's errors: a 422's detail, or /page/check-surface's 200 {ok, detail}."""
    if path == "/page/check-surface":
        assert response.status_code == 200, response.text
        assert response.json()["ok"] is False
        errors = response.json()["detail"]
    else:
        assert response.status_code == 422, response.text
        errors = response.json()["detail"]
    loc = ["body", "formula"] if path == "/api/formula" else ["body", "surface", "formula"]
    assert [e["loc"] for e in errors] == [loc], errors
    return errors


def assert_too_complex(response: httpx.Response, path: str) -> str:
    (error,) = formula_errors(response, path)
    assert error["type"] == "formula_too_complex", error
    budget = f"{limits.FORMULA_COMPILE_SECONDS:g} s budget"
    assert budget in error["msg"] or "operations" in error["msg"] or "nested" in error["msg"]
    return error["msg"]


@pytest.mark.parametrize("path", SURFACE_ENDPOINTS)
def test_the_power_tower_is_refused_by_every_surface_endpoint(client, path):
    response = client.post(path, json=surface_body(path, fresh(CORPUS["power tower"])))
    message = assert_too_complex(response, path)
    assert "2 s budget" in message


@pytest.mark.parametrize("name", [name for name in CORPUS if name != "power tower"])
def test_each_hostile_formula_is_refused_as_too_complex(client, name):
    text = fresh(CORPUS[name])
    assert_too_complex(client.post("/api/formula", json={"formula": text}), "/api/formula")
    # ... and, asked again through the other endpoints, answered from the failure cache.
    before = compiler.stats.failure_cache_hits
    for path in SURFACE_ENDPOINTS[1:]:
        assert_too_complex(client.post(path, json=surface_body(path, text)), path)
    assert compiler.stats.failure_cache_hits == before + len(SURFACE_ENDPOINTS) - 1


def test_the_deep_log10_that_was_a_500_is_a_422(client):
    text = fresh(CORPUS["log10"])
    for path in ("/api/formula", "/api/mesh"):
        assert_too_complex(client.post(path, json=surface_body(path, text)), path)


def test_a_repeat_is_answered_from_the_failure_cache(client):
    text = fresh(CORPUS["power tower"])
    assert_too_complex(client.post("/api/formula", json={"formula": text}), "/api/formula")
    timed_out, hits = compiler.stats.timed_out, compiler.stats.failure_cache_hits
    assert_too_complex(client.post("/api/formula", json={"formula": text}), "/api/formula")
    assert compiler.stats.failure_cache_hits == hits + 1
    assert compiler.stats.timed_out == timed_out  # not compiled again


def test_three_hostile_formulas_at_once_while_health_answers(live_server):
    texts = [fresh(CORPUS[name]) for name in ("power tower", "product", "tan")]
    answers: dict[int, httpx.Response] = {}
    done = threading.Event()

    def ask(index: int, text: str) -> None:
        answers[index] = httpx.post(
            f"{live_server}/api/formula", json={"formula": text}, timeout=60
        )
        done.set()

    with httpx.Client(base_url=live_server, timeout=60) as http:
        http.get("/api/health")  # a connection ready, so health is one round trip
        threads = [threading.Thread(target=ask, args=item) for item in enumerate(texts)]
        for thread in threads:
            thread.start()
        while compiler.in_flight() < 3 and not done.is_set():
            done.wait(0.01)
        assert compiler.in_flight() == 3, "the three compiles should all be under way"
        health = http.get("/api/health")
        # Health answered while all three compiles were still pending.
        still_compiling = compiler.in_flight()
        answered_meanwhile = done.is_set()
    for thread in threads:
        thread.join()
    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert still_compiling == 3 and not answered_meanwhile
    for index in range(3):
        assert_too_complex(answers[index], "/api/formula")


# Exact grammar bounds, through the API.
@pytest.mark.parametrize(
    ("formula", "position", "fragment"),
    [
        ("pi**1000", 0, "too large"),
        ("e**1000", 0, "too large"),
        ("x + exp(1000)", 4, "too large"),
        ("acos(2)", 0, "not a real number"),
        ("(-8)^(1/3)", 0, "not a real number"),
        ("y * log(-1)", 4, "not a real number"),
        ("sqrt(-4) + x", 0, "not a real number"),
    ],
)
def test_constants_too_large_or_not_real_are_refused_where_written(
    client, formula, position, fragment
):
    for path in ("/api/formula", "/api/mesh", "/page/check-surface"):
        (error,) = formula_errors(client.post(path, json=surface_body(path, formula)), path)
        assert error["type"] == "formula_error" and fragment in error["msg"], error
        assert error["ctx"]["position"] == position


def test_a_tiny_constant_is_fine(client):
    response = client.post("/api/formula", json={"formula": "x^2 + 2**-1000"})
    assert response.status_code == 200, response.text
    mesh = client.post("/api/mesh", json=surface_body("/api/mesh", "x^2 + 2**-1000"))
    assert mesh.status_code == 200 and mesh.json()["z"][0][0] == pytest.approx(9)


def test_a_surface_real_nowhere_on_its_domain_is_refused(client):
    formula = "acos(x + 10)"
    # /api/formula has no domain: only the constants are checked there.
    assert client.post("/api/formula", json={"formula": formula}).status_code == 200
    for path in SURFACE_ENDPOINTS[1:]:
        (error,) = formula_errors(client.post(path, json=surface_body(path, formula)), path)
        assert error["type"] == "formula_error"
        assert error["msg"] == "f is not a real number anywhere on x ∈ [-3, 3], y ∈ [-3, 3]"
    # Real on part of the domain is fine: the mesh shows null elsewhere.
    body = surface_body("/api/mesh", formula)
    body["surface"]["x_range"] = [-12, -8]
    assert client.post("/api/mesh", json=body).status_code == 200


# --- The formula compiler's pool -------------------------------------------------------


@pytest.fixture
def small_pool():
    """A pool of its own with a short budget, stopped after the test."""
    pool = FormulaCompiler(processes=1, budget=1.0)
    yield pool
    pool.stop()


def test_a_worker_over_the_budget_is_replaced_and_the_next_formula_compiles(small_pool):
    assert small_pool.submit("x + y").result().latex == "x + y"
    (first_pid,) = small_pool.worker_pids()
    with pytest.raises(FormulaTooComplex, match="1 s budget"):
        small_pool.submit(CORPUS["power tower"]).result()
    assert small_pool.stats.timed_out == 1
    assert small_pool.submit("x - y").result().latex == "x - y"
    assert small_pool.worker_pids() and first_pid not in small_pool.worker_pids()
    assert small_pool.stats.workers_started == 2


def test_one_formula_asked_twice_at_once_compiles_once(small_pool):
    first, second = small_pool.submit("x*y + 2"), small_pool.submit("x*y + 2")
    assert first.result() is second.result()
    assert small_pool.stats.shared == 1 and small_pool.stats.compiled == 1
    assert small_pool.submit("x*y + 2").result() is first.result()
    assert small_pool.stats.cache_hits == 1


def test_a_formula_that_cannot_start_in_its_budget_is_told_so_and_not_remembered(small_pool):
    small_pool.submit("1").result()  # the worker is up
    hostile = small_pool.submit(CORPUS["power tower"])
    queued = small_pool.submit(CORPUS["product"])
    with pytest.raises(FormulaTooComplex, match="busy"):
        queued.result()
    with pytest.raises(FormulaTooComplex, match="budget"):
        hostile.result()
    assert small_pool.stats.busy == 1
    # Not cached as the formula's fault: asked again, it is compiled (and times out).
    with pytest.raises(FormulaTooComplex, match="takes more than"):
        small_pool.submit(CORPUS["product"]).result()
    assert small_pool.stats.failure_cache_hits == 0


def test_every_job_is_answered_even_if_the_pool_fails_on_it(small_pool, monkeypatch):
    def broken(*args):
        raise RuntimeError("a defect in the pool")

    monkeypatch.setattr(small_pool, "_run", broken)
    with pytest.raises(FormulaTooComplex, match="compiler failed"):
        small_pool.submit("x + 1").result(timeout=60)


def test_no_worker_process_outlives_the_app():
    with TestClient(app) as client:
        assert client.post("/api/formula", json={"formula": fresh("x*y")}).status_code == 200
        pids = compiler.worker_pids()
        assert pids and all(alive(pid) for pid in pids)
    assert compiler.worker_pids() == []
    assert not any(alive(pid) for pid in pids)


def alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie, killed but not yet reaped, does not)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


# --- Strict types: surface and descent requests -----------------------------------------

DESCENT = {"surface": "booth", "runs": [{"optimizer": "sgd", "start": [0, 0]}]}


@pytest.mark.parametrize(
    ("path", "body", "loc"),
    [
        ("/api/mesh", {"surface": "booth", "resolution": "10"}, ["body", "resolution"]),
        ("/api/mesh", {"surface": "booth", "resolution": True}, ["body", "resolution"]),
        ("/api/mesh", {"surface": "booth", "resolution": 10.0}, ["body", "resolution"]),
        (
            "/api/mesh",
            {"surface": {"formula": "x", "x_range": ["0", 1]}, "resolution": 10},
            ["body", "surface", "x_range", 0],
        ),
        (
            "/api/mesh",
            {"surface": {"formula": 42}, "resolution": 10},
            ["body", "surface", "formula"],
        ),
        ("/api/evaluate", {"surface": "booth", "points": [["1", 2]]}, ["body", "points", 0, 0]),
        ("/api/evaluate", {"surface": "booth", "points": [[True, 2]]}, ["body", "points", 0, 0]),
        ("/api/formula", {"formula": 7}, ["body", "formula"]),
        ("/api/descent", {**DESCENT, "max_steps": "10"}, ["body", "max_steps"]),
        ("/api/descent", {**DESCENT, "seed": True}, ["body", "seed"]),
        ("/api/descent", {**DESCENT, "tolerance": "0.1"}, ["body", "tolerance"]),
        ("/api/descent", {**DESCENT, "gradient_noise": False}, ["body", "gradient_noise"]),
        (
            "/api/descent",
            {**DESCENT, "runs": [{"optimizer": "sgd", "lr": "0.1", "start": [0, 0]}]},
            ["body", "runs", 0, "lr"],
        ),
        (
            "/api/descent",
            {**DESCENT, "runs": [{"optimizer": "sgd", "lr": True, "start": [0, 0]}]},
            ["body", "runs", 0, "lr"],
        ),
        (
            "/api/descent",
            {**DESCENT, "runs": [{"optimizer": "sgd", "start": [0, "0"]}]},
            ["body", "runs", 0, "start", 1],
        ),
        (
            "/api/descent",
            {**DESCENT, "runs": [{"optimizer": "sgd", "start": [0, 0], "label": 5}]},
            ["body", "runs", 0, "label"],
        ),
        (
            "/api/basins",
            {"surface": "booth", "optimizer": {"optimizer": "sgd"}, "resolution": "10"},
            ["body", "resolution"],
        ),
        (
            "/api/basins",
            {"surface": "booth", "optimizer": {"optimizer": "sgd", "lr": "0.1"}},
            ["body", "optimizer", "lr"],
        ),
    ],
)
def test_types_are_strict(client, path, body, loc):
    response = client.post(path, json=body)
    assert response.status_code == 422, response.text
    assert any(e["loc"] == loc for e in response.json()["detail"]), response.json()


def test_a_float_field_still_takes_an_integer(client):
    body = {**DESCENT, "tolerance": 0, "gradient_noise": 0, "max_steps": 3}
    body["runs"] = [{"optimizer": "sgd", "lr": 1, "momentum": 0, "start": [1, 2]}]
    assert client.post("/api/descent", json=body).status_code == 200
    surface = {"formula": "x*y", "x_range": [-1, 1], "y_range": [-2, 2]}
    assert client.post("/api/mesh", json={"surface": surface, "resolution": 3}).status_code == 200


def test_the_leak_check_sees_a_live_process():
    """The leak check above reads /proc: it must tell a live process from a gone one."""
    assert alive(os.getpid())
