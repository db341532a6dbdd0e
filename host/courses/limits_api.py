"""A course's limits on what each student uses (`limits.py`): anyone in the course reads
them (a student with their own usage), its teachers change them within the site's maxima
and read every student's usage."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, get, put
from litestar.params import FromPath, JSONBody

from widgetbox.host.admin.usage import table_bytes
from widgetbox.host.courses import limits, records
from widgetbox.host.web.dependencies import ConfigDep, DbDep, TablesDep, Viewer, require_user
from widgetbox.host.web.openapi import ERRORS

CourseId = FromPath[int]
Limit = Annotated[int, msgspec.Meta(description="A whole number from 1 to the site's maximum")]
"""Bounds are checked by `limits.store`, which names every field out of them at once."""


class LimitsOut(msgspec.Struct):
    runs_per_hour: int
    cpu_seconds_per_day: int
    """CPU time measured as fuel (`runs/fuel.py`), from midnight in the course's time zone."""
    storage_mib: int


class UsageOut(msgspec.Struct):
    runs_last_hour: int
    cpu_seconds_today: float
    storage_bytes: int


class StudentUsage(msgspec.Struct):
    user_id: int
    username: str
    name: str
    usage: UsageOut


class CourseLimitsOut(msgspec.Struct):
    limits: LimitsOut
    """In effect: the course's own where its teachers set one, else the site's."""
    own: dict[str, int]
    """What the teachers set (the rest are the site's)."""
    site: LimitsOut
    """The site's maxima: a course may set less, never more."""
    usage: UsageOut | None
    """A student's own usage (None for teachers: see `/usage`)."""


class LimitChanges(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Only the limits given change; null puts one back to the site's."""

    runs_per_hour: Limit | msgspec.UnsetType | None = msgspec.UNSET
    cpu_seconds_per_day: Limit | msgspec.UnsetType | None = msgspec.UNSET
    storage_mib: Limit | msgspec.UnsetType | None = msgspec.UNSET


class UsageList(msgspec.Struct):
    students: list[StudentUsage]


def _limits_out(found: limits.Limits) -> LimitsOut:
    return LimitsOut(found.runs_per_hour, found.cpu_seconds_per_day, found.storage_mib)


def _usage_out(found: limits.Usage) -> UsageOut:
    return UsageOut(found.runs_last_hour, round(found.cpu_seconds_today, 3), found.storage_bytes)


class CourseLimits(Controller):
    path = "/api/courses/{course_id:int}"
    tags = ["courses"]  # noqa: RUF012 - Litestar's declaration style

    @get(
        "/limits",
        summary="The course's limits per student (a student: with their usage)",
        responses=ERRORS,
    )
    async def read(
        self, course_id: CourseId, viewer: Viewer, db: DbDep, config: ConfigDep, tables: TablesDep
    ) -> CourseLimitsOut:
        user = require_user(viewer)
        site = limits.Limits.site(config)

        def read(database: Any) -> CourseLimitsOut:
            course = records.membership(database, course_id, user)
            found = limits.of_course(database, course.id, site)
            used = (
                None
                if course.teaching
                else _usage_out(
                    limits.usage(database, course.id, course.timezone, user.id, table_bytes(tables))
                )
            )
            return CourseLimitsOut(
                _limits_out(found.limits), found.own, _limits_out(found.site), used
            )

        return await db.read(read)

    @put(
        "/limits",
        summary="Change the course's limits per student, within the site's (teachers)",
        responses=ERRORS,
    )
    async def change(
        self,
        course_id: CourseId,
        data: JSONBody[LimitChanges],
        viewer: Viewer,
        db: DbDep,
        config: ConfigDep,
    ) -> CourseLimitsOut:
        """422 `invalid_limits` lists every value out of bounds (from 1 to the site's
        maximum), each by its field in `details.fields`; 409 `course_archived` once the
        course is archived."""
        user = require_user(viewer)
        site = limits.Limits.site(config)
        changes = {
            name: value
            for name in limits.NAMES
            if (value := getattr(data, name)) is not msgspec.UNSET
        }

        def write(database: Any) -> CourseLimitsOut:
            course = records.teaching(database, course_id, user)
            records.current(course, "its limits stay as they are.")
            limits.store(database, course.id, changes, site)
            found = limits.of_course(database, course.id, site)
            return CourseLimitsOut(
                _limits_out(found.limits), found.own, _limits_out(found.site), None
            )

        return await db.write(write)

    @get(
        "/usage",
        summary="Each student's usage of the course's limits (teachers)",
        responses=ERRORS,
    )
    async def usage(
        self, course_id: CourseId, viewer: Viewer, db: DbDep, tables: TablesDep
    ) -> UsageList:
        user = require_user(viewer)
        sizes = table_bytes(tables)

        def read(database: Any) -> UsageList:
            course = records.teaching(database, course_id, user)
            return UsageList(
                [
                    StudentUsage(
                        student.user_id,
                        student.username,
                        student.name,
                        _usage_out(
                            limits.usage(
                                database, course.id, course.timezone, student.user_id, sizes
                            )
                        ),
                    )
                    for student in records.students(database, course)
                ]
            )

        return await db.read(read)


ROUTES = [CourseLimits]
