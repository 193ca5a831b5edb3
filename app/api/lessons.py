"""The course: GET /api/lessons, GET /api/lessons/{id}, and the /lessons pages.

The lessons are read once, at start-up (the course's own and the folders of
``python -m app --lessons DIR``, from app.config); ``python -m app`` has already
refused to start on a broken lesson file, saying which and why.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse

from app import config
from app.api.pages import page_context, templates
from app.lessons import Course, lesson_json, lesson_summary, load_course

router = APIRouter()


@cache
def course() -> Course:
    """The course, read on first use (a dependency tests may override)."""
    return load_course(config.settings.lesson_folders)


CourseDep = Annotated[Course, Depends(course)]


def _lesson_or_404(course: Course, lesson_id: str):
    entry = course.get(lesson_id)
    if entry is None:
        raise HTTPException(
            404, f"There is no lesson “{lesson_id[:60]}”; GET /api/lessons lists them."
        )
    return entry


@router.get("/api/lessons", tags=["lessons"])
def list_lessons(course: CourseDep) -> list[dict[str, Any]]:
    """The course in order: `[{"id", "title", "summary", "steps": n, "tasks": n, "teacher"}]`.

    `teacher` is true for a lesson from a teacher's folder (`python -m app --lessons DIR`).
    """
    return [lesson_summary(entry) for entry in course.lessons]


@router.get("/api/lessons/{lesson_id}", tags=["lessons"])
def get_lesson(lesson_id: str, course: CourseDep) -> dict[str, Any]:
    """One lesson as data: each step's text (Markdown and its parsed blocks), the page
    and state it opens (and that page's address), its task with the checks the page
    evaluates, and the "show me" state that solves it. 404 for an unknown id."""
    return lesson_json(course, _lesson_or_404(course, lesson_id))


@router.get("/lessons", response_class=HTMLResponse, include_in_schema=False)
def lessons_page(request: Request, course: CourseDep) -> HTMLResponse:
    """The course: every lesson with the learner's progress (kept in the browser)."""
    lessons = [lesson_summary(entry) for entry in course.lessons]
    context = page_context("lessons", lessons=lessons)
    return templates.TemplateResponse(request, "lessons.html", context)


@router.get("/lessons/{lesson_id}", response_class=HTMLResponse, include_in_schema=False)
def lesson_page(request: Request, lesson_id: str, course: CourseDep) -> HTMLResponse:
    """One lesson: its steps in a panel beside the real surface or network page."""
    entry = course.get(lesson_id)
    if entry is None:
        context = page_context("lessons", lessons=[lesson_summary(e) for e in course.lessons])
        context["missing"] = lesson_id[:60]
        return templates.TemplateResponse(request, "lessons.html", context, status_code=404)
    context = page_context("lessons", lesson=lesson_summary(entry))
    return templates.TemplateResponse(request, "lessons-lesson.html", context)
