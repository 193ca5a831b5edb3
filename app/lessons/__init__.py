"""The guided course: lessons as data (one TOML file each), validated by a schema.

``load_course()`` reads the course's own lessons (``app/lessons/course/``) and any
teacher's folders; ``schema.py`` says what a lesson file may contain and
``markdown.py`` the small Markdown of its text. README.md, "Lessons", shows the
format with a complete example.
"""

from app.lessons.loader import (
    COURSE_DIR,
    Course,
    CourseLesson,
    LessonError,
    lesson_json,
    lesson_summary,
    load_course,
    load_lesson,
    page_url,
)

__all__ = [
    "COURSE_DIR",
    "Course",
    "CourseLesson",
    "LessonError",
    "lesson_json",
    "lesson_summary",
    "load_course",
    "load_lesson",
    "page_url",
]
