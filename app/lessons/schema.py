"""What a lesson file may say: the schema every lesson is validated against.

A lesson is a title, a summary and its steps. A step has its text (the small
Markdown of app/lessons/markdown.py), the page it opens (``surface`` or
``network``) with that page's state — the query parameters a shared link of
the page carries, so a step is a link — and optionally a task and a "show me"
state that solves it (written as the parameters that change the step's state).

Errors a validator raises about a part of a step say which in ``ctx["where"]``
(``task.checks[2]``), so the loader can name the field.

A task says what to do (``goal``) and what the page checks on what the
learner's run produced, from a fixed vocabulary (``checks``, all of which must
hold, on the surface page by one hiker), and may ask for a prediction first
(multiple choice, the answer revealed only after the run). See ``CHECKS``.

Every model is strict and forbids unknown fields, so a typo in a lesson is an
error naming it, not a field silently ignored.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from app import optim
from app.lessons import markdown
from app.nets.datasets import DATASETS
from app.surfaces.catalogue import CATALOGUE
from app.verdicts import VERDICTS as HIKER_VERDICTS

STRICT = ConfigDict(extra="forbid", strict=True)

# A teacher's lesson may be short or long; the course's own lessons keep to 3–7 steps.
MAX_STEPS = 20
MAX_CHOICES = 6

PAGES = ("surface", "network")
# Training verdicts, as API.md ("Networks: verdicts") names them.
TRAINING_VERDICTS = ("converged", "learning", "stalled", "unstable", "diverged")
VERDICTS = {"surface": HIKER_VERDICTS, "network": TRAINING_VERDICTS}

# What each page publishes when a run ends (static/js/common/events.js), and so what
# a check is evaluated on: a descent run's hikers, a training run, a gradient check
# (backprop beside nudging), one example's backprop walk.
DESCENT, TRAINING, GRADIENT_CHECK, BACKPROP = "descent", "training", "gradient-check", "backprop"
DEFAULT_RESULT = {"surface": DESCENT, "network": TRAINING}


class Text(BaseModel):
    """Lesson text: its Markdown as written and the tree the page draws."""

    model_config = STRICT

    markdown: str
    blocks: list[dict[str, Any]]

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, value: Any) -> Any:
        if not isinstance(value, str):
            raise PydanticCustomError("text_type", "must be text in quotes")
        if not value.strip():
            raise PydanticCustomError("text_empty", "must not be empty")
        try:
            blocks = markdown.parse(value)
        except markdown.MarkdownError as error:
            raise PydanticCustomError("markdown", str(error)) from None
        return {"markdown": value, "blocks": blocks}


class Choice(Text):
    """One answer of a prediction: a single paragraph."""

    @model_validator(mode="after")
    def _one_paragraph(self) -> Choice:
        if len(self.blocks) != 1 or self.blocks[0]["type"] != "paragraph":
            raise PydanticCustomError("choice", "a choice is one paragraph of text")
        return self


# ---------------------------------------------------------------- checks

HikerIndex = Annotated[
    int, Field(ge=1, description="the hiker it is about (1 = the first); any if left out")
]


class VerdictCheck(BaseModel):
    """The server's verdict is one of ``is``: a hiker's, or the training's."""

    model_config = STRICT
    check: Literal["verdict"]
    is_: str | list[str] = Field(alias="is")
    hiker: HikerIndex | None = None

    @property
    def verdicts(self) -> list[str]:
        return [self.is_] if isinstance(self.is_, str) else self.is_


class GlobalMinimumCheck(BaseModel):
    """A hiker converged at a global minimum of the surface."""

    model_config = STRICT
    check: Literal["global_minimum"]
    hiker: HikerIndex | None = None


class StepsBelowCheck(BaseModel):
    """A hiker converged in fewer than ``steps`` steps."""

    model_config = STRICT
    check: Literal["steps_below"]
    steps: int = Field(ge=1)
    hiker: HikerIndex | None = None


class LearningRateCheck(BaseModel):
    """The learning rate lies in [min, max] (a hiker's, or the training's)."""

    model_config = STRICT
    check: Literal["learning_rate"]
    min: float = Field(ge=0)
    max: float = Field(gt=0)
    hiker: HikerIndex | None = None

    @model_validator(mode="after")
    def _ordered(self) -> LearningRateCheck:
        if not self.min <= self.max:
            raise PydanticCustomError("range", "min must not be above max")
        return self


class TestAccuracyCheck(BaseModel):
    """The network's accuracy on the held-out test points is at least ``at_least``."""

    __test__ = False  # a schema, not a pytest class
    model_config = STRICT
    check: Literal["test_accuracy"]
    at_least: float = Field(gt=0, le=1)


class GradientRatioCheck(BaseModel):
    """Layer ``layer``'s weight gradient, over the largest layer's, fell below ``below``
    during the run (vanishing gradients: six sigmoid layers start near 1e-4)."""

    model_config = STRICT
    check: Literal["gradient_ratio"]
    layer: int = Field(ge=1)
    below: float = Field(gt=0, le=1)


class GradientCheckCheck(BaseModel):
    """The learner ran "backprop vs nudging" (POST /api/network/gradients)."""

    model_config = STRICT
    check: Literal["gradient_check"]


class BackpropWalkCheck(BaseModel):
    """The learner walked one example's backward pass down to the first layer."""

    model_config = STRICT
    check: Literal["backprop_walk"]


Check = Annotated[
    VerdictCheck
    | GlobalMinimumCheck
    | StepsBelowCheck
    | LearningRateCheck
    | TestAccuracyCheck
    | GradientRatioCheck
    | GradientCheckCheck
    | BackpropWalkCheck,
    Field(discriminator="check"),
]

# Each check: the pages it makes sense on, and what it is evaluated on (None: the
# page's own run, DEFAULT_RESULT).
CHECKS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "verdict": (PAGES, None),
    "global_minimum": (("surface",), DESCENT),
    "steps_below": (("surface",), DESCENT),
    "learning_rate": (PAGES, None),
    "test_accuracy": (("network",), TRAINING),
    "gradient_ratio": (("network",), TRAINING),
    "gradient_check": (("network",), GRADIENT_CHECK),
    "backprop_walk": (("network",), BACKPROP),
}


class Prediction(BaseModel):
    """A multiple-choice question answered before the run; the answer is shown after it."""

    model_config = STRICT
    question: Text
    choices: list[Choice] = Field(min_length=2, max_length=MAX_CHOICES)
    answer: int = Field(ge=1, description="the right choice (1 = the first)")
    explain: Text

    @model_validator(mode="after")
    def _answer_is_a_choice(self) -> Prediction:
        if self.answer > len(self.choices):
            raise PydanticCustomError(
                "answer",
                "answer {answer} is not one of the {n} choices",
                {"answer": self.answer, "n": len(self.choices)},
            )
        return self


class Task(BaseModel):
    model_config = STRICT
    goal: Text
    checks: list[Check] = Field(default_factory=list)
    prediction: Prediction | None = None


# ---------------------------------------------------------------- page state

StateValue = str | int | float | bool | list[str] | list[int | float]


def _number(
    value: Any, *, integer: bool = False, low: float = -math.inf, high: float = math.inf
) -> str | None:
    """Why `value` is not such a number, or None."""
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds):
        return "must be a whole number" if integer else "must be a number"
    if not low <= value <= high:
        return f"must lie between {low:g} and {high:g}"
    return None


def _numbers(count: int | tuple[int, ...], ordered: bool = False):
    counts = (count,) if isinstance(count, int) else count

    def check(value: Any) -> str | None:
        parts = value.split(",") if isinstance(value, str) else value
        if not isinstance(parts, list) or len(parts) not in counts:
            return f'must be {" or ".join(map(str, counts))} numbers, as [1, 2] or "1,2"'
        try:
            numbers = [float(p) for p in parts]
        except (TypeError, ValueError):
            return "must be numbers"
        if not all(math.isfinite(n) for n in numbers):
            return "must be finite numbers"
        if ordered and not numbers[0] < numbers[1]:
            return "must be [low, high] with low < high"
        return None

    return check


def _one_of(*allowed: str):
    def check(value: Any) -> str | None:
        return None if value in allowed else f"must be one of {', '.join(allowed)}"

    return check


def _switch(value: Any) -> str | None:
    return None if isinstance(value, bool) or value in ("0", "1", 0, 1) else "must be true or false"


def _text(value: Any) -> str | None:
    return None if isinstance(value, str) and value else "must be text in quotes"


def _optimizer_parts(text: str, extra: tuple[str, ...]) -> str | None:
    """Why "sgd:lr=0.1:momentum=0.9" is not an optimizer with its settings, or None."""
    name, *parts = text.split(":")
    info = optim.OPTIMIZERS.get(name)
    if info is None:
        return f"“{name}” is not an optimizer (one of {', '.join(optim.OPTIMIZERS)})"
    for part in parts:
        key, equals, raw = part.partition("=")
        if not equals:
            return f"“{part}” in “{text}” is not name=value"
        if key in extra:
            continue
        if key not in info.hyperparameters:
            known = ", ".join([*info.hyperparameters, *extra])
            return f"{info.title} has no setting “{key}” (it has {known})"
        if info.hyperparameters[key].kind == "number":
            try:
                float(raw)
            except ValueError:
                return f"{key} “{raw}” is not a number"
    return None


def _hikers(value: Any) -> str | None:
    hikers = [value] if isinstance(value, str) else value
    if not isinstance(hikers, list) or not hikers or not all(isinstance(h, str) for h in hikers):
        return 'must be a list of hikers, as ["sgd:lr=0.1", "adam:lr=0.05"]'
    if len(hikers) > 12:
        return "at most 12 hikers"
    for hiker in hikers:
        if problem := _optimizer_parts(hiker, extra=("c", "at", "n")):
            return problem
    return None


def _optimizer(value: Any) -> str | None:
    if not isinstance(value, str):
        return 'must be an optimizer with its settings, as "sgd:lr=0.5"'
    return _optimizer_parts(value, extra=())


def _surface_name(value: Any) -> str | None:
    return (
        None
        if value in CATALOGUE
        else f"“{value}” is not a surface (one of {', '.join(CATALOGUE)})"
    )


def _dataset_name(value: Any) -> str | None:
    if value == "own" or value in DATASETS:
        return None
    return f"“{value}” is not a dataset (one of {', '.join(DATASETS)}, or own)"


def _hidden(value: Any) -> str | None:
    units = value.split(",") if isinstance(value, str) and value else value
    if value == "" or value == []:
        return None  # no hidden layer
    if not isinstance(units, list) or not all(
        str(u).isdigit() and 1 <= int(u) <= 64 for u in units
    ):
        return "must be units per hidden layer, as [8, 8] (1 to 64 each)"
    return None if len(units) <= 8 else "at most 8 hidden layers"


# The query parameters each page reads from its link, and what each may be. They are
# the pages' own (static/js/surface/url-state.js and static/js/network/state.js); a
# browser test opens every step of the course and checks its page understood all of it.
PAGE_PARAMETERS: dict[str, dict[str, Any]] = {
    "surface": {
        "s": _surface_name,
        "f": _text,
        "xr": _numbers(2, ordered=True),
        "yr": _numbers(2, ordered=True),
        "start": _numbers(2),
        "race": _switch,
        "h": _hikers,
        "sel": lambda v: _number(v, integer=True, low=1, high=12),
        "steps": lambda v: _number(v, integer=True, low=1, high=100_000),
        "tol": lambda v: _number(v, low=0),
        "noise": lambda v: _number(v, low=0),
        "seed": lambda v: _number(v, integer=True, low=0),
        "speed": lambda v: _number(v, low=1, high=2000),
        "logc": _switch,
        "logl": _switch,
        "view": _one_of("contour", "basins"),
        "cam": _numbers((3, 6, 9)),
        "keep": _switch,
    },
    "network": {
        "ds": _dataset_name,
        "task": _one_of("classification", "regression"),
        "pts": _text,
        "n": lambda v: _number(v, integer=True, low=2, high=5000),
        "noise": lambda v: _number(v, low=0, high=1),
        "seed": lambda v: _number(v, integer=True, low=0),
        "test": lambda v: _number(v, low=0, high=0.9),
        "hidden": _hidden,
        "act": _one_of("tanh", "relu", "sigmoid", "linear"),
        "wseed": lambda v: _number(v, integer=True, low=0),
        "opt": _optimizer,
        "bs": lambda v: _number(v, integer=True, low=1, high=5000),
        "l2": lambda v: _number(v, low=0),
        "epochs": lambda v: _number(v, integer=True, low=1, high=20_000),
        "speed": lambda v: (
            None
            if v in (1, 3, 10, 30, 100, 300, 1000, 0)
            else "must be one of 1, 3, 10, 30, 100, 300, 1000 or 0 (as fast as it goes)"
        ),
        "layer": lambda v: _number(v, integer=True, low=1, high=9),
        "dir": _one_of("pca", "random"),
        "zlog": _switch,
        "loss": _one_of("log", "linear"),
    },
}


def check_state(page: str, state: dict[str, Any]) -> dict[str, Any]:
    """Raise (naming the parameter) unless every parameter is one the page reads, with a
    value it takes."""
    known = PAGE_PARAMETERS[page]
    for key, value in state.items():
        if key not in known:
            raise PydanticCustomError(
                "state_key",
                "“{key}” is not a parameter of the {page} page (it reads {known})",
                {"key": key, "page": page, "known": ", ".join(known)},
            )
        if problem := known[key](value):
            raise PydanticCustomError(
                "state_value", "{key}: {problem}", {"key": key, "problem": problem}
            )
    return state


# ---------------------------------------------------------------- lessons


class Step(BaseModel):
    model_config = STRICT

    title: str = Field(min_length=1, max_length=120)
    text: Text
    page: Literal["surface", "network"]
    state: dict[str, StateValue] = Field(default_factory=dict)
    anchor: str | None = Field(
        default=None, pattern=r"^[A-Za-z][\w-]*$", description="an element of the page to scroll to"
    )
    task: Task | None = None
    show_me: dict[str, StateValue] | None = None

    @field_validator("state", "show_me")
    @classmethod
    def _page_state(
        cls, state: dict[str, Any] | None, info: ValidationInfo
    ) -> dict[str, Any] | None:
        page = info.data.get("page")
        if state is None or page is None:
            return state
        return check_state(page, state)

    @model_validator(mode="after")
    def _task_fits_the_page(self) -> Step:
        if self.show_me is not None and self.task is None:
            raise PydanticCustomError(
                "show_me", "show_me solves a task: this step has none", {"where": "show_me"}
            )
        if self.task is None:
            return self
        for number, check in enumerate(self.task.checks, start=1):
            pages, _ = CHECKS[check.check]
            if self.page not in pages:
                raise PydanticCustomError(
                    "check_page",
                    "a {check} check needs the {pages} page, not the {page} page",
                    {
                        "where": f"task.checks[{number}]",
                        "check": check.check,
                        "pages": " or ".join(pages),
                        "page": self.page,
                    },
                )
            if isinstance(check, VerdictCheck):
                unknown = [v for v in check.verdicts if v not in VERDICTS[self.page]]
                if unknown:
                    raise PydanticCustomError(
                        "verdict",
                        "“{verdict}” is not a verdict of the {page} page (one of {known})",
                        {
                            "where": f"task.checks[{number}].is",
                            "verdict": unknown[0],
                            "page": self.page,
                            "known": ", ".join(VERDICTS[self.page]),
                        },
                    )
        if not self.task.checks and self.task.prediction is None:
            raise PydanticCustomError(
                "task", "a task needs checks, a prediction or both", {"where": "task"}
            )
        results = {self._result_of(check.check) for check in self.task.checks}
        if len(results) > 1:
            raise PydanticCustomError(
                "results",
                "the checks of one task must all be about one kind of run (here: {kinds})",
                {"where": "task.checks", "kinds": ", ".join(sorted(results))},
            )
        return self

    def _result_of(self, check: str) -> str:
        return CHECKS[check][1] or DEFAULT_RESULT[self.page]

    @property
    def result(self) -> str | None:
        """What the task is evaluated on (descent, training, gradient-check, backprop)."""
        if self.task is None:
            return None
        if self.task.checks:
            return self._result_of(self.task.checks[0].check)
        return DEFAULT_RESULT[self.page]

    @property
    def solution_state(self) -> dict[str, Any]:
        """The state "show me" opens: the step's, with show_me's parameters over it."""
        return {**self.state, **(self.show_me or {})}


class Lesson(BaseModel):
    model_config = STRICT

    title: str = Field(min_length=1, max_length=120)
    summary: str = Field(min_length=1, max_length=400)
    steps: list[Step] = Field(min_length=1, max_length=MAX_STEPS)


LESSON_ID = re.compile(r"^(?:\d+-)?([a-z0-9][a-z0-9-]*)$")
