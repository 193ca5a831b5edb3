"""Lessons: every lesson file validates; a broken file is refused with its file,
step and field; the API serves the course; a teacher's folder joins it; and each
task of the course does what its text promises, checked through the API: the
"show me" state meets its checks, the step's own state (where they differ) does not,
and each prediction's answer is what the run shows.

The page evaluates the same checks in the browser (static/js/lessons/checks.js);
tests/browser/test_lesson_pages.py presses "Show me" there.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from app import __main__ as cli
from app import config
from app.api import lessons as lesson_routes
from app.lessons import COURSE_DIR, LessonError, load_course, load_lesson, page_url
from app.lessons.markdown import MarkdownError, parse
from app.main import app

COURSE = load_course()
TITLES = [
    "A cost is a landscape",
    "The gradient points uphill",
    "Too small a step: the hiker crawls",
    "Too large a step: overshoot, zig-zag, fly off",
    "When to stop",
    "Local and global minima",
    "Saddle points",
    "Ravines: momentum and Adam",
    "Noise: stochastic gradients",
    "A network is a cost landscape too",
    "Backprop versus nudging",
    "Vanishing gradients",
]

GOOD_LESSON = """
title = "Bowl"
summary = "A bowl."

[[steps]]
title = "Run it"
page = "surface"
text = "Press **Run**: $f = x^2 + y^2$."
state = { s = "bowl", h = ["sgd:lr=0.1"], start = [-4, 3], steps = 100, tol = 0.0001 }

[steps.task]
goal = "Make it converge."
checks = [{ check = "verdict", is = "converged" }]
"""


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path) -> str:
    with pytest.raises(LessonError) as caught:
        load_lesson(path)
    return str(caught.value)


# ---------------------------------------------------------------- the course's files


def test_the_course_is_the_twelve_lessons_in_order():
    assert [entry.lesson.title for entry in COURSE.lessons] == TITLES
    assert all(not entry.teacher for entry in COURSE.lessons)


@pytest.mark.parametrize("entry", COURSE.lessons, ids=lambda e: e.id)
def test_every_course_lesson_has_three_to_seven_steps_and_tasks(entry):
    steps = entry.lesson.steps
    assert 3 <= len(steps) <= 7
    assert any(step.task for step in steps), "a lesson asks the learner to do something"
    for step in steps:
        if step.page == "surface":
            # explicit, so a surface's preset never changes what the lesson set up
            for key in ("h", "steps", "tol"):
                assert key in step.state, f"{step.title}: the state sets {key}"
            assert "start" in step.state or all(":at=" in h for h in step.state["h"])


def test_the_course_files_are_installed_with_the_package():
    text = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()
    assert '"app.lessons"' in text and '"course/*.toml"' in text
    assert len(list(COURSE_DIR.glob("*.toml"))) == len(TITLES)


# ---------------------------------------------------------------- broken files


@pytest.mark.parametrize(
    "change, where, says",
    [
        (
            'text = "Press **Run**',
            "step 1 (“Run it”), text",
            "bold text opened with ** is not closed",
        ),
        ("$f = x^2 + y^2$", "step 1 (“Run it”), text", None),
        ('is = "converged"', "step 1 (“Run it”), task.checks[1]", "“convergd” is not a verdict"),
        ('page = "surface"', "step 1 (“Run it”), page", "'surface' or 'network'"),
        (
            "steps = 100",
            "step 1 (“Run it”), state",
            "“stps” is not a parameter of the surface page",
        ),
        ('s = "bowl"', "step 1 (“Run it”), state", "“bowl2” is not a surface"),
        ('"sgd:lr=0.1"', "step 1 (“Run it”), state", "has no setting “lrr”"),
        ('goal = "Make it converge."', "step 1 (“Run it”), task.goal", "is missing"),
        ('title = "Run it"', "step 1, titel", "is not a field a lesson may have here"),
        (
            'check = "verdict"',
            "step 1 (“Run it”), task.checks[1]",
            "“verdicts” is not a check (one of verdict,",
        ),
    ],
)
def test_a_broken_file_is_refused_naming_file_step_and_field(tmp_path, change, where, says):
    broken = {
        'text = "Press **Run**': 'text = "Press **Run',
        "$f = x^2 + y^2$": "$f = x^2 + y^2",
        'is = "converged"': 'is = "convergd"',
        'page = "surface"': 'page = "surfaces"',
        "steps = 100": "stps = 100",
        's = "bowl"': 's = "bowl2"',
        '"sgd:lr=0.1"': '"sgd:lrr=0.1"',
        'goal = "Make it converge."': 'gaol = "Make it converge."',
        'title = "Run it"': 'titel = "Run it"',
        'check = "verdict"': 'check = "verdicts"',
    }[change]
    assert change in GOOD_LESSON
    path = write(tmp_path, "01-bowl.toml", GOOD_LESSON.replace(change, broken))
    message = problems_of(path)
    assert f"{path}, {where}" in message
    assert says is None or says in message


def test_the_readme_example_is_a_valid_lesson(tmp_path):
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme[readme.index("### Writing a lesson") :]
    example = section[section.index("```toml\n") + len("```toml\n") : section.index("\n```\n")]
    lesson = load_lesson(write(tmp_path, "01-tolerance.toml", example))
    assert [step.title for step in lesson.steps] == ["Flat enough", "A prediction"]
    assert lesson.steps[0].solution_state["tol"] == 0.5


def test_the_good_lesson_used_above_is_valid(tmp_path):
    lesson = load_lesson(write(tmp_path, "bowl.toml", GOOD_LESSON))
    assert lesson.steps[0].task.checks[0].verdicts == ["converged"]


@pytest.mark.parametrize(
    "text, says",
    [
        ("title = ", "is not valid TOML"),
        ('title = "x"\nsummary = "y"\nsteps = []', "steps: List should have at least 1 item"),
        (
            GOOD_LESSON.replace('checks = [{ check = "verdict", is = "converged" }]', ""),
            "a task needs checks, a prediction or both",
        ),
        (
            GOOD_LESSON.replace(
                'check = "verdict", is = "converged"', 'check = "test_accuracy", at_least = 0.9'
            ),
            "a test_accuracy check needs the network page",
        ),
        (
            GOOD_LESSON
            + '\n[steps.task.prediction]\nquestion = "Q?"\nchoices = ["a", "b"]\nanswer = 3\nexplain = "E."\n',
            "answer 3 is not one of the 2 choices",
        ),
        (
            GOOD_LESSON.split("[steps.task]")[0] + '[steps.show_me]\nh = ["sgd:lr=0.2"]\n',
            "show_me solves a task: this step has none",
        ),
        (
            GOOD_LESSON.replace("Press **Run**", "[click](javascript:alert(1))"),
            "must start with https://, http://, / or #",
        ),
    ],
    ids=["toml", "no-steps", "empty-task", "wrong-page", "answer", "show-me-alone", "link"],
)
def test_more_mistakes_are_named(tmp_path, text, says):
    assert says in problems_of(write(tmp_path, "lesson.toml", text))


def test_markdown_never_passes_html_through():
    blocks = parse("<script>alert(1)</script> and **<b>bold</b>**")
    assert blocks == [
        {
            "type": "paragraph",
            "children": [
                {"type": "text", "text": "<script>alert(1)</script> and "},
                {"type": "strong", "children": [{"type": "text", "text": "<b>bold</b>"}]},
            ],
        }
    ]


def test_markdown_subset():
    blocks = parse(
        "One *two* `three` $x^2$ [four](/lessons) \\$5.\n\n- a\n  b\n- c\n\n1. first\n\n$$ \\nabla f $$"
    )
    assert [b["type"] for b in blocks] == ["paragraph", "list", "list", "math"]
    assert [n["type"] for n in blocks[0]["children"]] == [
        "text",
        "em",
        "text",
        "code",
        "text",
        "math",
        "text",
        "link",
        "text",
    ]
    assert blocks[0]["children"][-1]["text"] == " $5."
    assert blocks[1] == {
        "type": "list",
        "ordered": False,
        "items": [[{"type": "text", "text": "a b"}], [{"type": "text", "text": "c"}]],
    }
    assert blocks[2]["ordered"] is True
    assert blocks[3] == {"type": "math", "tex": "\\nabla f"}
    with pytest.raises(MarkdownError, match="line 3: maths opened with"):
        parse("fine\n\nalso $ fine\nbut not")


# ---------------------------------------------------------------- teachers' folders


def test_a_teachers_folder_joins_the_course_after_its_own_lessons(tmp_path):
    folder = tmp_path / "mine"
    write(folder, "02-second.toml", GOOD_LESSON.replace('"Bowl"', '"Second"'))
    write(folder, "01-first.toml", GOOD_LESSON.replace('"Bowl"', '"First"'))
    course = load_course((folder,))
    assert [e.id for e in course.lessons[-2:]] == ["first", "second"]
    assert [e.teacher for e in course.lessons[-3:]] == [False, True, True]


def test_lesson_folders_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("GH_LESSONS_DIR", f"{tmp_path / 'a'}:{tmp_path / 'b'}")
    assert config.load().lesson_folders == (str(tmp_path / "a"), str(tmp_path / "b"))
    monkeypatch.delenv("GH_LESSONS_DIR")
    assert config.load().lesson_folders == ()


def test_the_lessons_flag_sets_the_environment(tmp_path):
    args = cli.parser().parse_args(["--lessons", str(tmp_path), "--lessons", "rel"])
    folders = cli.settings_environment(args)["GH_LESSONS_DIR"].split(":")
    assert folders == [str(tmp_path), str(Path("rel").resolve())]


def test_python_m_app_refuses_to_start_with_a_broken_lesson(tmp_path, monkeypatch):
    write(tmp_path, "01-bowl.toml", GOOD_LESSON.replace('is = "converged"', 'is = "convergd"'))
    started = []
    monkeypatch.setattr(cli.uvicorn, "run", lambda *a, **k: started.append(a))
    monkeypatch.setattr(cli.os, "environ", {})  # the flags' variables stay in this test
    with pytest.raises(SystemExit) as caught:
        cli.main(["--lessons", str(tmp_path)])
    message = str(caught.value)
    assert "the lessons cannot be loaded" in message
    assert f"{tmp_path / '01-bowl.toml'}, step 1 (“Run it”), task.checks[1]" in message
    assert not started


def test_a_good_teacher_folder_starts(tmp_path, monkeypatch):
    write(tmp_path, "bowl.toml", GOOD_LESSON)
    started = []
    monkeypatch.setattr(cli.uvicorn, "run", lambda *a, **k: started.append(a))
    monkeypatch.setattr(cli.os, "environ", {})
    cli.main(["--lessons", str(tmp_path)])
    assert started


def test_folder_mistakes(tmp_path):
    with pytest.raises(LessonError, match="is not a folder of lesson files"):
        load_course((tmp_path / "missing",))
    with pytest.raises(LessonError, match=r"has no lesson files \(\*.toml\)"):
        load_course((tmp_path,))
    write(tmp_path, "Bad Name.toml", GOOD_LESSON)
    with pytest.raises(LessonError, match="lower-case letters, digits and dashes"):
        load_course((tmp_path,))
    (tmp_path / "Bad Name.toml").unlink()
    write(tmp_path, "07-saddles.toml", GOOD_LESSON)
    with pytest.raises(LessonError, match="the lesson id “saddles” is already taken"):
        load_course((tmp_path,))


# ---------------------------------------------------------------- the API


def test_get_lessons(client):
    reply = client.get("/api/lessons")
    assert reply.status_code == 200
    lessons = reply.json()
    assert [lesson["title"] for lesson in lessons] == TITLES
    for lesson in lessons:
        assert set(lesson) >= {"id", "title", "summary", "steps"}
        assert isinstance(lesson["steps"], int)


def test_get_one_lesson(client):
    lesson = client.get("/api/lessons/too-small").json()
    assert lesson["id"] == "too-small" and lesson["number"] == 3 and lesson["of"] == 12
    assert (lesson["previous"], lesson["next"]) == ("gradient", "too-large")
    step = lesson["steps"][1]
    assert set(step) == {"title", "text", "page", "state", "url", "task", "show_me"}
    assert step["text"]["blocks"] and step["text"]["markdown"]
    assert step["page"] == "surface" and step["url"].startswith("/?s=bowl&h=sgd:lr=")
    task = step["task"]
    assert task["result"] == "descent"
    assert task["checks"] == [{"check": "steps_below", "steps": 50, "hiker": None}]
    assert step["show_me"]["url"] != step["url"]
    assert step["show_me"]["state"] == {
        **step["state"],
        **COURSE.get("too-small").lesson.steps[1].show_me,
    }


def test_an_unknown_lesson_is_404(client):
    assert client.get("/api/lessons/nope").status_code == 404
    page = client.get("/lessons/nope")
    assert page.status_code == 404 and "There is no lesson" in page.text


def test_the_pages(client):
    page = client.get("/lessons")
    assert page.status_code == 200
    for entry in COURSE.lessons:
        assert f'data-lesson="{entry.id}" href="/lessons/{entry.id}"' in page.text
    assert client.get("/lessons/saddles").status_code == 200
    assert '<a href="/lessons"' in client.get("/").text


def test_a_teachers_lesson_is_served(tmp_path):
    from fastapi.testclient import TestClient

    write(tmp_path, "my-bowl.toml", GOOD_LESSON)
    course = load_course((tmp_path,))
    app.dependency_overrides[lesson_routes.course] = lambda: course
    try:
        client = TestClient(app)
        listed = client.get("/api/lessons").json()
        assert listed[-1] == {
            "id": "my-bowl",
            "title": "Bowl",
            "summary": "A bowl.",
            "steps": 1,
            "tasks": 1,
            "teacher": True,
        }
        assert client.get("/api/lessons/my-bowl").json()["steps"][0]["url"] == (
            "/?s=bowl&h=sgd:lr=0.1&start=-4,3&steps=100&tol=0.0001"
        )
    finally:
        app.dependency_overrides.clear()


def test_page_urls_are_what_the_pages_read():
    assert page_url(
        "surface", {"s": "bowl", "h": ["sgd:lr=0.1", "adam:lr=0.05:betas=0.9,0.99"], "race": False}
    ) == ("/?s=bowl&h=sgd:lr=0.1&h=adam:lr=0.05:betas=0.9,0.99&race=0")
    assert (
        page_url("surface", {"f": "x**2 + (y - 1)**2", "xr": [-3, 3.5]})
        == "/?f=x%2A%2A2%20%2B%20%28y%20-%201%29%2A%2A2&xr=-3,3.5"
    )
    assert (
        page_url("network", {"hidden": [8, 8], "opt": "sgd:lr=0.5"}, "check-h")
        == "/network?hidden=8,8&opt=sgd:lr=0.5#check-h"
    )


# ---------------------------------------------------------------- each task, through the API

TASKS = [
    (entry.id, number, step)
    for entry in COURSE.lessons
    for number, step in enumerate(entry.lesson.steps, start=1)
    if step.task is not None
]


def descent_body(state: dict) -> dict:
    """What the surface page sends for a state (static/js/surface/url-state.js, main.js)."""
    if "f" in state:
        surface = {"formula": state["f"], "x_range": state["xr"], "y_range": state["yr"]}
    else:
        surface = state["s"]
    race = state.get("race", True)
    runs = []
    for text in state["h"]:
        name, *parts = text.split(":")
        run = {"optimizer": name, "start": state.get("start")}
        for part in parts:
            key, _, value = part.partition("=")
            if key == "at":
                if not race:
                    run["start"] = [float(v) for v in value.split(",")]
            elif key == "betas":
                run[key] = [float(v) for v in value.split(",")]
            elif key not in ("c", "n"):
                run[key] = float(value)
        runs.append(run)
    return {
        "surface": surface,
        "runs": runs,
        "max_steps": state["steps"],
        "tolerance": state["tol"],
        "gradient_noise": state.get("noise", 0),
        "seed": state.get("seed", 0),
    }


def train_body(state: dict) -> dict:
    """What the network page trains for a state (static/js/network/state.js, main.js)."""
    name, *parts = state.get("opt", "adam:lr=0.03").split(":")
    optimizer = {"optimizer": name}
    for part in parts:
        key, _, value = part.partition("=")
        optimizer[key] = [float(v) for v in value.split(",")] if "," in value else float(value)
    hidden = state.get("hidden", [16, 16])
    return {
        "dataset": {
            "name": state.get("ds", "spiral"),
            "n": state.get("n", 200),
            "noise": state.get("noise", 0.1),
            "seed": state.get("seed", 0),
            "test_fraction": state.get("test", 0.2),
        },
        "network": {
            "hidden": hidden,
            "activation": state.get("act", "tanh"),
            "seed": state.get("wseed", 0),
        },
        "optimizer": optimizer,
        "epochs": state.get("epochs", 2000),
        "batch_size": state.get("bs"),
        "l2": state.get("l2", 0),
        "record_every": 1,
    }


def outcome(client, step, state) -> dict:
    """The run the page makes for `state`, as the checks see it."""
    if step.page == "surface":
        reply = client.post("/api/descent", json=descent_body(state))
        assert reply.status_code == 200, reply.text
        body = descent_body(state)
        surface = body["surface"]
        if isinstance(surface, str):
            entry = next(s for s in client.get("/api/surfaces").json() if s["name"] == surface)
            ranges = entry["x_range"], entry["y_range"]
        else:
            ranges = surface["x_range"], surface["y_range"]
        return {
            "kind": "descent",
            "runs": reply.json()["runs"],
            "span": max(hi - lo for lo, hi in ranges),
        }
    body = train_body(state)
    reply = client.post("/api/train", json=body)
    assert reply.status_code == 200, reply.text
    result = {"kind": "training", **reply.json()}
    if step.result == "gradient-check":
        check = client.post(
            "/api/network/gradients", json={"network": body["network"], "dataset": body["dataset"]}
        )
        assert check.status_code == 200, check.text
        result["gradients"] = check.json()
    if step.result == "backprop":
        walk = client.post(
            "/api/network/backprop",
            json={"network": body["network"], "dataset": body["dataset"], "x": [1.0, 1.0], "y": 1},
        )
        assert walk.status_code == 200, walk.text
        result["walk"] = walk.json()
    return result


def hiker_meets(check, run: dict, span: float) -> bool:
    name = check.check
    if name == "verdict":
        return run["verdict"] in check.verdicts
    if name == "global_minimum":
        m = run["nearest_minimum"]
        return (
            run["verdict"] == "converged"
            and m is not None
            and m["global"]
            and m["distance"] <= 0.01 * span
        )
    if name == "steps_below":
        return run["status"] == "converged" and run["steps"] < check.steps
    if name == "learning_rate":
        return check.min <= run["hyperparameters"]["lr"] <= check.max
    raise AssertionError(name)


def training_meets(check, result: dict, lr: float) -> bool:
    name = check.check
    last = result["history"][-1]
    if name == "verdict":
        return result["verdict"] in check.verdicts
    if name == "test_accuracy":
        return last["test_accuracy"] >= check.at_least
    if name == "learning_rate":
        return check.min <= lr <= check.max
    if name == "gradient_ratio":
        ratios = []
        for record in result["history"]:
            norms = [layer["weight_grad_norm"] for layer in record["layers"]]
            ratios.append(norms[check.layer - 1] / max(norms))
        return min(ratios) < check.below
    if name == "gradient_check":
        return result["gradients"]["relative_error"] < 1e-5
    if name == "backprop_walk":
        return len(result["walk"]["layers"]) == len(result["history"][-1]["layers"])
    raise AssertionError(name)


def meets(step, result: dict, state: dict) -> bool:
    checks = step.task.checks
    if result["kind"] == "descent":
        return any(
            all(hiker_meets(c, run, result["span"]) for c in checks if c.hiker in (None, i + 1))
            and all(c.hiker in (None, i + 1) for c in checks)
            for i, run in enumerate(result["runs"])
        )
    lr = train_body(state)["optimizer"].get("lr", 0.001)
    return all(training_meets(c, result, lr) for c in checks)


@pytest.mark.parametrize("lesson_id, number, step", TASKS, ids=[f"{t[0]}-{t[1]}" for t in TASKS])
def test_show_me_solves_the_task_and_the_step_alone_does_not(client, lesson_id, number, step):
    solved = outcome(client, step, step.solution_state)
    assert meets(step, solved, step.solution_state), (
        f"{lesson_id} step {number}: show me does not solve it"
    )
    if step.show_me is not None:
        unsolved = outcome(client, step, step.state)
        assert not meets(step, unsolved, step.state), (
            f"{lesson_id} step {number}: solved before the learner acts"
        )
    prediction = step.task.prediction
    if prediction is not None:
        fact = PREDICTIONS[(lesson_id, number)]
        assert fact(solved) == prediction.answer, (
            f"{lesson_id} step {number}: the run shows another answer"
        )


def first_to_arrive(result) -> int:
    runs = result["runs"]
    arrived = [(run["steps"], i) for i, run in enumerate(runs) if run["status"] == "converged"]
    return min(arrived)[1] + 1


def settled_x(result) -> float:
    return result["runs"][0]["final"]["x"]


def steps_shrink(result) -> bool:
    path = result["runs"][0]["path"]
    lengths = [
        math.hypot(path["x"][k + 1] - path["x"][k], path["y"][k + 1] - path["y"][k])
        for k in range(10)
    ]
    return all(b < a for a, b in zip(lengths, lengths[1:], strict=False))


def smallest_gradient_layer(result) -> int:
    norms = [layer["weight_grad_norm"] for layer in result["history"][0]["layers"]]
    return norms.index(min(norms)) + 1


# What each prediction's run shows, read off the run as the learner would.
PREDICTIONS = {
    ("cost-landscape", 2): lambda r: 2 if settled_x(r) > 0 else 1,
    ("gradient", 1): lambda r: (
        2
        if r["runs"][0]["path"]["grad_x"][0]
        < 0
        < r["runs"][0]["path"]["x"][1] - r["runs"][0]["path"]["x"][0]
        else 1
    ),
    ("gradient", 2): lambda r: {(-3.2, 2.4): 1}.get(
        (round(r["runs"][0]["path"]["x"][1], 6), round(r["runs"][0]["path"]["y"][1], 6)), 0
    ),
    ("gradient", 4): lambda r: 2 if steps_shrink(r) else 1,
    ("too-small", 3): lambda r: 3 if r["runs"][0]["steps"] == 1 else 0,
    ("too-large", 1): lambda r: (
        2 if r["runs"][0]["verdict"] == "converged" and r["runs"][0]["path"]["x"][1] > 0 else 0
    ),
    ("when-to-stop", 3): lambda r: 2 if r["runs"][0]["verdict"] == "crawling" else 1,
    ("local-global", 2): lambda r: 2 if settled_x(r) > 0 else 1,
    ("ravines", 2): first_to_arrive,
    ("noise", 1): lambda r: (
        2
        if r["runs"][0]["verdict"] == "oscillating"
        and r["runs"][0]["nearest_minimum"]["distance"] < 0.5
        else 0
    ),
    ("backprop", 2): lambda r: (
        3
        if r["gradients"]["cost"]["finite_difference"]["forward_passes"]
        == 2 * r["gradients"]["parameters"]
        else 0
    ),
    ("vanishing", 2): lambda r: 1 if smallest_gradient_layer(r) == 1 else 0,
}
