"""The lessons in a real browser: the course page, a lesson's panel beside the real
page in its frame, every task solved by "Show me" (and not before), progress kept
in the browser, a link to a step, the phone, and every step's state understood by
its page. Pages fail their test on any console error, uncaught exception or
request to another host (conftest.PageProblems).

Test hooks (kept stable, see static/js/lessons/lesson.js): a[data-lesson] on
/lessons; on a lesson page [data-step] (data-step-index, 0 for ?step=1),
[data-task] (data-task-done), [data-show-me], [data-next-step].
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from app.lessons import load_course
from app.lessons.loader import query
from tests.browser.conftest import page_opener, unlabelled_controls

COURSE = load_course()
SOLVE_MS = 120_000  # a run on a loaded machine (software WebGL); never a measure of speed


def wait_course(page) -> None:
    page.wait_for_selector("a[data-lesson]")


@pytest.fixture
def open_course(browser, live_server):
    """open_course(query="", width, height) → /lessons; page.goto(origin + path) to move on."""
    with page_opener(browser, live_server, "/lessons", wait_course) as open_:
        yield open_


def goto_lesson(page, origin: str, lesson_id: str, step: int | None = None) -> None:
    page.goto(f"{origin}/lessons/{lesson_id}" + (f"?step={step}" if step else ""))
    page.wait_for_selector("#lesson[data-ready='1']")


def frame_of(page):
    return page.query_selector("#lesson-frame").content_frame()


def task_done(page) -> str:
    return page.get_attribute("[data-task]", "data-task-done")


def step_index(page) -> int:
    return int(page.get_attribute("[data-step]", "data-step-index"))


# ---------------------------------------------------------------- every task


@pytest.mark.parametrize("entry", COURSE.lessons, ids=lambda e: e.id)
def test_show_me_solves_every_task_and_nothing_is_solved_before(open_course, live_server, entry):
    page = open_course()
    for number, step in enumerate(entry.lesson.steps, start=1):
        if step.task is None:
            continue
        goto_lesson(page, live_server, entry.id, number)
        assert step_index(page) == number - 1
        assert task_done(page) == "false", f"step {number} is solved before the learner acts"
        page.click("[data-show-me]")
        page.wait_for_selector("[data-task][data-task-done='true']", timeout=SOLVE_MS)
        # the page in the frame understood its link, and says so nowhere as a problem
        assert frame_of(page).is_hidden("#alert"), frame_of(page).inner_text("#alert")


def test_running_the_unsolved_state_does_not_pass_and_says_what_is_missing(
    open_course, live_server
):
    page = open_course()

    def run_as_set(lesson_id: str, step: int, ready: str, run_button: str) -> str:
        """Run the step's page as the lesson sets it; the task's status once it says so."""
        goto_lesson(page, live_server, lesson_id, step)
        frame = frame_of(page)
        frame.wait_for_selector(ready)
        frame.click(run_button)
        page.wait_for_function(
            "document.getElementById('task-status').textContent.startsWith('Not yet')",
            timeout=SOLVE_MS,
        )
        assert task_done(page) == "false"
        return page.inner_text("#task-status")

    # too small a learning rate: the learner's run crawls
    status = run_as_set("too-small", 2, "#explorer[data-ready='1'][data-run='idle']", "#run")
    assert "did not converge within its 200 steps" in status
    assert page.get_attribute("#task-checks li", "data-met") == "false"
    # a stalled deep sigmoid network does not reach 90%
    status = run_as_set("vanishing", 3, "#netpage[data-ready='1'][data-run='paused']", "#play")
    assert "the test accuracy is" in status


def test_a_prediction_waits_for_the_learners_answer_and_reveals_it_after_the_run(
    open_course, live_server
):
    page = open_course()
    goto_lesson(page, live_server, "ravines", 2)
    assert page.is_hidden("#prediction-answer")
    frame = frame_of(page)
    frame.wait_for_selector("#explorer[data-ready='1'][data-run='idle']")
    frame.click("#run")  # no prediction made: the run alone does not do it
    page.wait_for_function(
        "document.getElementById('task-status').textContent.includes('prediction first')",
        timeout=SOLVE_MS,
    )
    assert task_done(page) == "false" and page.is_hidden("#prediction-answer")
    page.check("#prediction-choices input[value='1']")  # "Gradient descent": wrong
    frame.click("#run")  # Replay
    page.wait_for_selector("[data-task][data-task-done='true']", timeout=SOLVE_MS)
    answer = page.inner_text("#prediction-answer")
    assert "Not what you predicted" in answer and "Momentum" in answer
    assert page.is_disabled("#prediction-choices input[value='2']")


# ---------------------------------------------------------------- the course, links, progress


def test_the_course_page_links_every_lesson_in_order(open_course, live_server):
    page = open_course()
    links = page.query_selector_all("a[data-lesson]")
    assert [a.get_attribute("data-lesson") for a in links] == [e.id for e in COURSE.lessons]
    assert [a.get_attribute("href") for a in links] == [f"/lessons/{e.id}" for e in COURSE.lessons]
    links[0].click()
    page.wait_for_selector("#lesson[data-ready='1']")
    assert urlsplit(page.url).path == f"/lessons/{COURSE.lessons[0].id}"
    assert step_index(page) == 0
    assert not unlabelled_controls(page)


def test_a_link_opens_its_step_and_next_and_back_move(open_course, live_server):
    page = open_course()
    goto_lesson(page, live_server, "too-large", 3)
    assert step_index(page) == 2
    assert page.inner_text("#step-title") == "3. The edge: 2 / L"
    frame = frame_of(page)
    frame.wait_for_selector("#explorer[data-ready='1']")
    assert "lr=0.8" in frame.url and "s=bowl" in frame.url
    page.click("[data-next-step]")
    assert step_index(page) == 3 and page.url.endswith("?step=4")
    page.wait_for_function(
        "document.getElementById('lesson-frame').contentWindow.location.search.includes('s=booth')"
    )
    page.click("[data-prev-step]")
    assert step_index(page) == 2 and page.url.endswith("?step=3")
    page.go_back()  # the browser's Back walks the steps, not the frame
    page.wait_for_function("document.querySelector('[data-step]').dataset.stepIndex === '3'")
    # past the end: the last step, said
    goto_lesson(page, live_server, "too-large", 99)
    assert step_index(page) == len(COURSE.get("too-large").lesson.steps) - 1
    assert "here is the last" in page.inner_text("#lesson-alert")


def test_progress_stays_in_the_browser(open_course, live_server):
    page = open_course()
    goto_lesson(page, live_server, "saddles", 1)
    page.click("[data-show-me]")
    page.wait_for_selector("[data-task][data-task-done='true']", timeout=SOLVE_MS)
    page.reload()
    page.wait_for_selector("#lesson[data-ready='1']")
    assert page.get_attribute("#lesson-dots li:first-child a", "class") == "done"
    assert task_done(page) == "false"  # a revisit is a new try; its dot keeps the credit
    page.click("[data-next-step]")  # step 2 opened (its task not done)
    page.goto(f"{live_server}/lessons")
    link = page.wait_for_selector("a[data-lesson='saddles']")
    assert link.get_attribute("data-done") == "1"
    assert "1 of 4 done" in link.inner_text()
    assert (
        link.get_attribute("href") == "/lessons/saddles?step=2"
    )  # carry on where the learner left off
    stored = page.evaluate("JSON.parse(localStorage.getItem('gradient-hiker.lessons'))")
    assert stored["saddles"] == {"complete": [0], "last": 1}
    page.click("#forget-progress")
    assert link.get_attribute("data-done") == "0"


def test_phone_width(open_course, live_server):
    page = open_course(width=390, height=844)
    goto_lesson(page, live_server, "too-small", 2)
    frame_of(page).wait_for_selector("#explorer[data-ready='1']")
    panel = page.query_selector("#lesson-panel").bounding_box()
    stage = page.query_selector("#lesson-frame").bounding_box()
    assert panel["width"] <= 390 and stage["width"] <= 390
    assert stage["y"] >= panel["y"] + panel["height"] - 1, "the page sits below the panel"
    assert stage["height"] >= 0.4 * 844, "the page keeps a good part of the screen"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    for selector in ("[data-next-step]", "[data-prev-step]"):
        box = page.query_selector(selector).bounding_box()
        assert box["y"] + box["height"] <= 844
    page.click("#panel-toggle")  # the text folds away; the task stays
    assert page.is_hidden("#step-text") and page.is_visible("[data-show-me]")
    page.click("[data-show-me]")
    page.wait_for_selector("[data-task][data-task-done='true']", timeout=SOLVE_MS)


# ---------------------------------------------------------------- what the lessons say


def test_every_step_state_is_understood_by_its_page(open_course, live_server):
    """The pages' own link readers (url-state.js, network/state.js) on every step's state."""
    page = open_course()
    urls = {"surface": [], "network": []}
    for entry in COURSE.lessons:
        for step in entry.lesson.steps:
            for state in (step.state, step.solution_state):
                urls[step.page].append(f"{entry.id}: {step.title}|?{query(state)}")
    page.goto(f"{live_server}/")
    page.wait_for_selector("#explorer[data-ready='1']")
    problems = page.evaluate(
        """async (urls) => {
          const { decodeState } = await import('/static/js/surface/url-state.js');
          const { defaultState } = await import('/static/js/surface/state.js');
          const catalogue = await (await fetch('/api/surfaces')).json();
          const list = await (await fetch('/api/optimizers')).json();
          const optimizers = Object.fromEntries(list.map((o) => [o.name, o]));
          return urls.flatMap((u) => {
            const [name, search] = u.split('|');
            const { problems } = decodeState(search, defaultState(catalogue), { catalogue, optimizers });
            return problems.map((p) => `${name}: ${p}`);
          });
        }""",
        urls["surface"],
    )
    assert problems == []
    page.goto(f"{live_server}/network")
    page.wait_for_selector("#netpage[data-ready='1']")
    problems = page.evaluate(
        """async (urls) => {
          const { decodeState } = await import('/static/js/network/state.js');
          const datasets = await (await fetch('/api/datasets')).json();
          const list = await (await fetch('/api/optimizers')).json();
          const optimizers = Object.fromEntries(list.map((o) => [o.name, o]));
          const limits = JSON.parse(document.getElementById('netpage').dataset.limits);
          return urls.flatMap((u) => {
            const [name, search] = u.split('|');
            const { problems } = decodeState(search, { datasets, optimizers, limits });
            return problems.map((p) => `${name}: ${p}`);
          });
        }""",
        urls["network"],
    )
    assert problems == []


def test_every_text_typesets_and_nothing_becomes_html(open_course, live_server):
    """Every text of the course drawn as the panel draws it: KaTeX parses all the maths,
    and the only elements are the ones the renderer makes."""
    page = open_course()
    goto_lesson(page, live_server, "gradient")
    report = page.evaluate(
        """async (ids) => {
          const { renderText } = await import('/static/js/lessons/render.js');
          const out = { errors: [], tags: new Set(), typeset: 0 };
          for (const id of ids) {
            const lesson = await (await fetch(`/api/lessons/${id}`)).json();
            const texts = [];
            for (const step of lesson.steps) {
              texts.push(step.text);
              if (step.task) {
                texts.push(step.task.goal);
                const p = step.task.prediction;
                if (p) texts.push(p.question, p.explain, ...p.choices);
              }
            }
            for (const text of texts) {
              const box = document.createElement('div');
              renderText(box, text);
              out.typeset += box.querySelectorAll('.katex').length;
              for (const e of box.querySelectorAll('.katex-error')) out.errors.push(`${id}: ${e.title || e.textContent}`);
              for (const el of box.querySelectorAll('*')) if (!el.closest('.katex')) out.tags.add(el.tagName.toLowerCase());
            }
          }
          return { errors: out.errors, tags: [...out.tags].sort(), typeset: out.typeset };
        }""",
        [e.id for e in COURSE.lessons],
    )
    assert report["errors"] == []
    assert report["typeset"] > 100  # KaTeX did typeset (every formula of the course)
    assert set(report["tags"]) <= {
        "p",
        "ul",
        "ol",
        "li",
        "strong",
        "em",
        "code",
        "a",
        "span",
        "div",
    }
