"""The course: the lesson files read, validated and put in order.

The course's own lessons are ``app/lessons/course/*.toml``; a teacher adds
folders of their own (``python -m app --lessons DIR``, carried to every worker
as ``GH_LESSONS_DIR``). Lessons come in file-name order, the course's first;
a file ``03-too-small.toml`` is the lesson ``too-small`` (a leading number only
orders it). Any file that is not a valid lesson stops the loading with a
``LessonError`` listing every problem, each naming its file, step and field.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pydantic import ValidationError

from app.lessons.schema import CHECKS, LESSON_ID, Lesson, Step

COURSE_DIR = Path(__file__).resolve().parent / "course"
PAGE_PATHS = {"surface": "/", "network": "/network"}


class LessonError(ValueError):
    """One or more lesson files are not valid lessons; the message lists each problem."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class CourseLesson:
    id: str
    path: Path
    lesson: Lesson
    teacher: bool  # from a teacher's folder rather than the course's own


@dataclass(frozen=True)
class Course:
    lessons: tuple[CourseLesson, ...]

    def get(self, lesson_id: str) -> CourseLesson | None:
        return next((entry for entry in self.lessons if entry.id == lesson_id), None)

    def position(self, lesson_id: str) -> int:
        return next(i for i, entry in enumerate(self.lessons) if entry.id == lesson_id)


def lesson_id(path: Path) -> str:
    """The id of the lesson in `path`: its file name without the extension and any
    leading "NN-"."""
    found = LESSON_ID.match(path.stem)
    if not found:
        raise LessonError(
            [
                f"{path}: a lesson's file name is lower-case letters, digits and dashes, "
                f"optionally after a number that orders it (as 03-too-small.toml)"
            ]
        )
    return found.group(1)


def _where(path: Path, loc: tuple, lesson: dict[str, Any]) -> str:
    """ "file, step 2 (“Too small”), task.checks[1].below" for an error at `loc`."""
    parts, rest = [str(path)], list(loc)
    if len(rest) >= 2 and rest[0] == "steps" and isinstance(rest[1], int):
        index = rest[1]
        steps = lesson.get("steps")
        title = ""
        if isinstance(steps, list) and index < len(steps) and isinstance(steps[index], dict):
            title = steps[index].get("title", "")
        parts.append(
            f"step {index + 1}" + (f" (“{title}”)" if isinstance(title, str) and title else "")
        )
        rest = rest[2:]
    field = ""
    for item in rest:
        if isinstance(item, int):
            field += f"[{item + 1}]"
        elif item in CHECKS and field.endswith("]"):
            continue  # the discriminator pydantic adds after checks[n]
        elif str(item).startswith("["):
            field += str(item)
        else:
            field += f".{item}" if field else str(item)
    if field:
        parts.append(field)
    return ", ".join(parts)


def load_lesson(path: Path) -> Lesson:
    """The lesson in one TOML file; LessonError naming file, step and field if it is not one."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise LessonError([f"{path}: cannot be read: {error.strerror or error}"]) from None
    except UnicodeDecodeError:
        raise LessonError([f"{path}: is not UTF-8 text"]) from None
    except tomllib.TOMLDecodeError as error:
        raise LessonError([f"{path}: is not valid TOML: {error}"]) from None
    try:
        return Lesson.model_validate(data)
    except ValidationError as error:
        problems = []
        for e in error.errors(include_url=False):
            message = e["msg"]
            if e["type"] == "missing":
                message = "is missing"
            elif e["type"] == "extra_forbidden":
                message = "is not a field a lesson may have here (a typo?)"
            elif e["type"] == "union_tag_invalid":
                message = f"“{e['ctx']['tag']}” is not a check (one of {', '.join(CHECKS)})"
            where = (e.get("ctx") or {}).get("where")  # a part of the model the validator names
            loc = (*e["loc"], where) if where else e["loc"]
            problems.append(f"{_where(path, loc, data)}: {message}")
        raise LessonError(problems) from None


def _lesson_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise LessonError([f"{folder}: is not a folder of lesson files"])
    files = sorted(folder.glob("*.toml"))
    if not files:
        raise LessonError([f"{folder}: has no lesson files (*.toml)"])
    return files


def load_course(teacher_folders: tuple[str | Path, ...] = ()) -> Course:
    """The course's own lessons, then each teacher folder's, in file-name order."""
    problems: list[str] = []
    lessons: list[CourseLesson] = []
    seen: dict[str, Path] = {}
    sources = [(COURSE_DIR, False), *((Path(folder), True) for folder in teacher_folders)]
    for folder, teacher in sources:
        try:
            files = _lesson_files(folder)
        except LessonError as error:
            problems.extend(error.problems)
            continue
        for path in files:
            try:
                identifier = lesson_id(path)
                lesson = load_lesson(path)
            except LessonError as error:
                problems.extend(error.problems)
                continue
            if identifier in seen:
                problems.append(
                    f"{path}: the lesson id “{identifier}” is already taken by {seen[identifier]}; "
                    "rename one of the files"
                )
                continue
            seen[identifier] = path
            lessons.append(CourseLesson(identifier, path, lesson, teacher))
    if problems:
        raise LessonError(problems)
    return Course(tuple(lessons))


# ---------------------------------------------------------------- as the API serves it


def query(state: dict[str, Any]) -> str:
    """A step's state as its page's query string: a list of words repeats the key
    (one ``h`` per hiker), a list of numbers is written "a,b", a switch 1 or 0."""
    pairs: list[tuple[str, str]] = []
    for key, value in state.items():
        if isinstance(value, list) and all(isinstance(v, str) for v in value) and value:
            pairs.extend((key, v) for v in value)
        elif isinstance(value, list):
            pairs.append((key, ",".join(_word(v) for v in value)))
        else:
            pairs.append((key, _word(value)))
    return "&".join(f"{key}={quote(text, safe=',:=;')}" for key, text in pairs)


def _word(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def page_url(page: str, state: dict[str, Any], anchor: str | None = None) -> str:
    """The address of `page` set up with `state` (what a shared link of it would be)."""
    text = query(state)
    url = PAGE_PATHS[page] + (f"?{text}" if text else "")
    return url + (f"#{anchor}" if anchor else "")


def step_json(step: Step) -> dict[str, Any]:
    task = None
    if step.task is not None:
        task = {
            **step.task.model_dump(by_alias=True),
            "result": step.result,
        }
    show_me = None
    if step.task is not None:
        # without its own show_me, a task is solved by running the step as it is
        solution = step.solution_state
        show_me = {"state": solution, "url": page_url(step.page, solution, step.anchor)}
    return {
        "title": step.title,
        "text": step.text.model_dump(),
        "page": step.page,
        "state": step.state,
        "url": page_url(step.page, step.state, step.anchor),
        "task": task,
        "show_me": show_me,
    }


def lesson_summary(entry: CourseLesson) -> dict[str, Any]:
    lesson = entry.lesson
    return {
        "id": entry.id,
        "title": lesson.title,
        "summary": lesson.summary,
        "steps": len(lesson.steps),
        "tasks": sum(step.task is not None for step in lesson.steps),
        "teacher": entry.teacher,
    }


def lesson_json(course: Course, entry: CourseLesson) -> dict[str, Any]:
    position = course.position(entry.id)
    neighbour = {
        "previous": course.lessons[position - 1].id if position > 0 else None,
        "next": course.lessons[position + 1].id if position + 1 < len(course.lessons) else None,
    }
    return {
        **lesson_summary(entry),
        "number": position + 1,
        "of": len(course.lessons),
        **neighbour,
        "steps": [step_json(step) for step in entry.lesson.steps],
    }
