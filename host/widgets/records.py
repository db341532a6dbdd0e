"""Widgets, their versions and forks: the rules, as functions of the database.

Every function here runs inside one `Database.read` or `Database.write` call; writes are
therefore atomic (`BEGIN IMMEDIATE`), so the conflict check of a save and the save itself
cannot be separated by another writer.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import re
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from widgetbox.host.accounts.users import User
from widgetbox.host.courses import access as course_access
from widgetbox.host.errors import (
    Conflict,
    Forbidden,
    Invalid,
    LoginRequired,
    Moved,
    NotFound,
)
from widgetbox.host.gui import design
from widgetbox.host.packages import records as package_records
from widgetbox.host.storage.migrations import VISIBILITIES, WIDGET_KINDS
from widgetbox.host.storage.times import iso, now
from widgetbox.host.widgets.changes import file_changes
from widgetbox.host.widgets.starters import ENTRY, EXAMPLES, TEMPLATES
from widgetbox.runtime import Code

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,58})[a-z0-9]$")
RESERVED_SLUGS = frozenset(
    {"api", "admin", "app", "apps", "static", "assets", "explore", "login", "logout", "signup",
     "settings", "new", "widgets", "w", "u", "docs", "health"}
)  # fmt: skip
MAX_TITLE = 100
MAX_MESSAGE = 500

_WIDGET_COLUMNS = """
    widgets.*, owner.username AS owner_username, owner.disabled_at AS owner_disabled_at,
    origin.slug AS origin_slug, origin.title AS origin_title,
    origin_owner.username AS origin_owner_username, origin.visibility AS origin_visibility
"""
_WIDGET_FROM = """
    FROM widgets
    JOIN users AS owner ON owner.id = widgets.owner_id
    LEFT JOIN widgets AS origin ON origin.id = widgets.forked_from_id
    LEFT JOIN users AS origin_owner ON origin_owner.id = origin.owner_id
"""


SERVING_KINDS = frozenset({"http", "gui"})
"""The kinds that answer requests and server calls (and so may keep a warm interpreter)."""


@dataclass(frozen=True)
class Widget:
    id: int
    slug: str
    title: str
    kind: str
    visibility: str
    owner_id: int
    owner: str
    head_version: int
    created_at: str
    updated_at: str
    forked_from: dict[str, str] | None
    """The origin (slug, title, owner) when it still exists and is not private."""
    owner_disabled: bool = False
    """Its owner's account is disabled: it is served to admins only (not listed, its pages,
    HTTP API and app are not found, its schedule is skipped) until it is enabled again."""
    persistent: bool = False
    """Persistent mode (Anvil's "Keep server running"): its HTTP requests and server calls
    reuse a warm interpreter, with module state kept between them (scripts, scheduled runs
    and background tasks always run fresh)."""

    @property
    def entry(self) -> str:
        return ENTRY[self.kind]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Widget:
        origin = None
        if row.get("origin_slug") and row.get("origin_visibility") != "private":
            origin = {
                "slug": row["origin_slug"],
                "title": row["origin_title"],
                "owner": row["origin_owner_username"],
            }
        return cls(
            id=row["id"],
            slug=row["slug"],
            title=row["title"],
            kind=row["kind"],
            visibility=row["visibility"],
            owner_id=row["owner_id"],
            owner=row["owner_username"],
            head_version=row["head_version"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            forked_from=origin,
            owner_disabled=row.get("owner_disabled_at") is not None,
            persistent=bool(row.get("persistent")),
        )


# -- who may do what -----------------------------------------------------------------------


def is_owner(widget: Widget, viewer: User | None) -> bool:
    return (
        viewer is not None
        and not viewer.disabled
        and (viewer.id == widget.owner_id or viewer.is_admin)
    )


def served(widget: Widget) -> bool:
    """Whether it is served to anyone but its owner and admins (a disabled owner's is not)."""
    return not widget.owner_disabled


def can_read(widget: Widget, viewer: User | None) -> bool:
    return (widget.visibility != "private" and served(widget)) or is_owner(widget, viewer)


def reviews(db: sqlite_utils.Database, widget: Widget, viewer: User | None) -> bool:
    """Whether `viewer` may review the widget without owning it: read its code, versions
    and runs, never change them (a teacher and a student's copy of an assignment, see
    `courses/access.py`)."""
    return viewer is not None and course_access.reviews(db, widget.id, viewer.id)


ACCESS_LEVELS = ("read", "review", "own")
"""What a guard asks of a widget, each level including the ones before: see its code
(`read`: public and unlisted widgets, and reviewers of private ones), its versions and runs
too (`review`: the owner, the admin and reviewers), or changing it (`own`)."""


def guarded(db: sqlite_utils.Database, slug: str, viewer: User | None, level: str) -> Widget:
    """The widget, if `viewer` has `level` of access (`ACCESS_LEVELS`): 404 when they
    cannot even see it (a private widget's existence is not revealed), 403 when they can see
    it but not do this. The one place that decides who may do what with a widget."""
    widget = find(db, slug)
    if widget is None:
        moved = new_address(db, slug, viewer)
        if moved is not None:
            raise Moved(slug, moved)
        raise NotFound("not_found", f"There is no widget {slug!r}.")
    owner = is_owner(widget, viewer)
    reviewer = not owner and reviews(db, widget, viewer)
    if not (can_read(widget, viewer) or reviewer):
        raise NotFound("not_found", f"There is no widget {slug!r}.")
    if level == "read" or owner or (level == "review" and reviewer):
        return widget
    if viewer is None:
        raise LoginRequired("login_required", "Log in to do this.")
    if reviewer:
        raise Forbidden("read_only", "You can read this widget but only its owner can change it.")
    raise Forbidden(
        "not_owner",
        "Only the owner can do this; fork the widget to get a copy of your own.",
    )


def former(db: sqlite_utils.Database, slug: str) -> Widget | None:
    """The widget whose address `slug` was (slug_history), whoever may see it."""
    row = db.execute("SELECT widget_id FROM slug_history WHERE slug = ?", [slug]).fetchone()
    return None if row is None else _by_id(db, row[0])


def new_address(db: sqlite_utils.Database, slug: str, viewer: User | None) -> str | None:
    """The current address of the widget that had `slug` before, when `viewer` may see that
    widget (a private one's new address is not revealed), or None."""
    widget = former(db, slug)
    if widget is None:
        return None
    if can_read(widget, viewer) or is_owner(widget, viewer) or reviews(db, widget, viewer):
        return widget.slug
    return None


def readable(db: sqlite_utils.Database, slug: str, viewer: User | None) -> Widget:
    """The widget, if `viewer` may see it; otherwise 404."""
    return guarded(db, slug, viewer, "read")


def reviewable(db: sqlite_utils.Database, slug: str, viewer: User | None) -> Widget:
    """The widget, if `viewer` may read its versions and runs too (owner, admin, reviewer)."""
    return guarded(db, slug, viewer, "review")


def owned(db: sqlite_utils.Database, slug: str, viewer: User | None) -> Widget:
    """The widget, if `viewer` owns it (or is the admin): 404 when they cannot even see it,
    403 when they can see it but not change it."""
    return guarded(db, slug, viewer, "own")


def check_data_copy(widget: Widget, user: User) -> None:
    """Forbidden unless `user` is the widget's owner themself, who alone may copy its Data
    Tables' rows into a fork (`copy_data`): anyone who can read it, the admin included, may
    fork its code, whose tables then start empty."""
    if widget.owner_id != user.id:
        raise Forbidden("not_owner", "Only the widget's owner can copy its data into a fork.")


# -- reading -------------------------------------------------------------------------------


def find(db: sqlite_utils.Database, slug: str) -> Widget | None:
    rows = list(db.query(f"SELECT {_WIDGET_COLUMNS} {_WIDGET_FROM} WHERE widgets.slug = ?", [slug]))
    return Widget.from_row(rows[0]) if rows else None


def fresh(db: sqlite_utils.Database, widget: Widget) -> Widget:
    """The widget as it is now, inside the caller's transaction: a write checks versions
    against this, not against what was read before the transaction began (the guards that
    found the widget read it earlier). NotFound when it was deleted meanwhile."""
    rows = list(
        db.query(f"SELECT {_WIDGET_COLUMNS} {_WIDGET_FROM} WHERE widgets.id = ?", [widget.id])
    )
    if not rows:
        raise NotFound("not_found", f"There is no widget {widget.slug!r}.")
    return Widget.from_row(rows[0])


def _by_id(db: sqlite_utils.Database, widget_id: int) -> Widget:
    rows = list(
        db.query(f"SELECT {_WIDGET_COLUMNS} {_WIDGET_FROM} WHERE widgets.id = ?", [widget_id])
    )
    return Widget.from_row(rows[0])


def list_owned(db: sqlite_utils.Database, owner_id: int, limit: int, offset: int) -> list[Widget]:
    rows = db.query(
        f"SELECT {_WIDGET_COLUMNS} {_WIDGET_FROM} WHERE widgets.owner_id = ? "
        "ORDER BY widgets.updated_at DESC, widgets.id DESC LIMIT ? OFFSET ?",
        [owner_id, limit, offset],
    )
    return [Widget.from_row(row) for row in rows]


def list_public(db: sqlite_utils.Database, limit: int, offset: int) -> list[Widget]:
    rows = db.query(
        f"SELECT {_WIDGET_COLUMNS} {_WIDGET_FROM} WHERE widgets.visibility = 'public' "
        "AND owner.disabled_at IS NULL "
        "ORDER BY widgets.updated_at DESC, widgets.id DESC LIMIT ? OFFSET ?",
        [limit, offset],
    )
    return [Widget.from_row(row) for row in rows]


@dataclass(frozen=True)
class Version:
    number: int
    message: str
    author: str | None
    created_at: str
    restored_from: int | None
    files: dict[str, str]
    changes: list[dict[str, Any]]
    """The files it changed since the version before, with lines added and removed
    (`changes.file_changes`)."""
    first_run: int | None = None
    """The number of the first run started with Run on this version (the IDE saves before
    it runs: "Saved before run #N"), when its listing asked (`versions`)."""


_VERSIONS = (
    "SELECT widget_versions.*, users.username AS author FROM widget_versions "
    "LEFT JOIN users ON users.id = widget_versions.author_id "
    "WHERE widget_versions.widget_id = :widget "
    "AND (:number IS NULL OR widget_versions.number = :number) "
    "ORDER BY widget_versions.number DESC"
)


def _version_rows(db: sqlite_utils.Database, widget_id: int, number: int | None) -> list[Version]:
    rows = db.query(_VERSIONS, {"widget": widget_id, "number": number})
    return [
        Version(
            number=row["number"],
            message=row["message"],
            author=row["author"],
            created_at=row["created_at"],
            restored_from=row["restored_from"],
            files=json.loads(row["files"]),
            changes=json.loads(row["changes"] or "[]"),
        )
        for row in rows
    ]


def versions(db: sqlite_utils.Database, widget: Widget) -> list[Version]:
    """Every version, newest first, each with the first run started on it."""
    first_runs = dict(
        db.execute(
            "SELECT version, MIN(number) FROM runs WHERE widget_id = ? AND trigger = 'manual' "
            "GROUP BY version",
            [widget.id],
        ).fetchall()
    )
    return [
        dataclasses.replace(found, first_run=first_runs.get(found.number))
        for found in _version_rows(db, widget.id, None)
    ]


def version(db: sqlite_utils.Database, widget: Widget, number: int) -> Version:
    found = _version_rows(db, widget.id, number) if 0 < number < 2**63 else []
    if not found:
        raise NotFound("no_such_version", f"{widget.slug!r} has no version {number}.")
    return found[0]


def head_files(db: sqlite_utils.Database, widget: Widget) -> dict[str, str]:
    return version(db, widget, widget.head_version).files


def diff(db: sqlite_utils.Database, widget: Widget, old: int, new: int) -> list[dict[str, str]]:
    """What changed from version `old` to version `new`, file by file (unified diffs)."""
    before, after = version(db, widget, old).files, version(db, widget, new).files
    changes = []
    for path in sorted(before.keys() | after.keys()):
        a, b = before.get(path), after.get(path)
        if a == b:
            status = "unchanged"
        elif a is None:
            status = "added"
        elif b is None:
            status = "removed"
        else:
            status = "changed"
        text = "".join(
            difflib.unified_diff(
                (a or "").splitlines(keepends=True),
                (b or "").splitlines(keepends=True),
                fromfile=f"v{old}/{path}" if a is not None else "/dev/null",
                tofile=f"v{new}/{path}" if b is not None else "/dev/null",
            )
        )
        changes.append({"path": path, "status": status, "diff": text})
    return changes


# -- validation ----------------------------------------------------------------------------


def check_kind(kind: str) -> str:
    if kind not in WIDGET_KINDS:
        raise Invalid("invalid_kind", f"A widget's kind is one of {', '.join(WIDGET_KINDS)}.")
    return kind


def check_visibility(visibility: str) -> str:
    if visibility not in VISIBILITIES:
        raise Invalid("invalid_visibility", f"Visibility is one of {', '.join(VISIBILITIES)}.")
    return visibility


def check_title(title: str) -> str:
    text = " ".join(title.split())
    if not 1 <= len(text) <= MAX_TITLE:
        raise Invalid("invalid_title", f"A title is 1 to {MAX_TITLE} characters.")
    return text


def check_slug(slug: str) -> str:
    if not SLUG.match(slug) or "--" in slug or slug in RESERVED_SLUGS:
        raise Invalid(
            "invalid_slug",
            "A slug is 3 to 60 lowercase letters, digits and single hyphens, starting and "
            "ending with a letter or digit, and not a reserved word.",
        )
    return slug


def check_files(kind: str, files: dict[str, str]) -> dict[str, str]:
    try:
        Code(files=files, entry=ENTRY[kind])
    except ValueError as e:
        raise Invalid("invalid_files", f"The files cannot be saved: {e}.") from None
    if kind == "gui":
        design.check(files)  # a DesignError names the file and the place
    return dict(files)


def slugify(title: str) -> str:
    words = re.findall(r"[a-z0-9]+", title.lower())
    slug = "-".join(words)[:50].strip("-")
    return slug if len(slug) >= 3 else f"widget-{slug}".strip("-")


def free_slug(db: sqlite_utils.Database, base: str) -> str:
    """`base`, or `base-2`, `base-3`, ... whichever is free (and allowed): no widget's, and
    no widget's former address (old links to it still redirect)."""
    base = base if SLUG.match(base) and base not in RESERVED_SLUGS else f"w-{base}"[:58]
    candidate, n = base, 1
    while db.execute(
        "SELECT 1 FROM widgets WHERE slug = ? UNION ALL SELECT 1 FROM slug_history WHERE slug = ?",
        [candidate, candidate],
    ).fetchone():
        n += 1
        candidate = f"{base[:54]}-{n}"
    return candidate


def _claim_slug(db: sqlite_utils.Database, slug: str, widget_id: int | None = None) -> str:
    check_slug(slug)
    row = db.execute("SELECT id FROM widgets WHERE slug = ?", [slug]).fetchone()
    if row and row[0] != widget_id:
        raise Conflict("slug_taken", f"The address {slug!r} is taken; choose another.")
    # a former address of any widget: it now means the one that claims it (as on GitHub)
    db.execute("DELETE FROM slug_history WHERE slug = ?", [slug])
    return slug


# -- writing -------------------------------------------------------------------------------


def create(
    db: sqlite_utils.Database,
    owner: User,
    kind: str,
    title: str,
    slug: str | None = None,
    visibility: str = "private",
    files: dict[str, str] | None = None,
    forked_from_id: int | None = None,
    message: str = "Created",
    packages_from: tuple[int, int] | None = None,
) -> Widget:
    check_kind(kind)
    title = check_title(title)
    check_visibility(visibility)
    files = check_files(kind, files if files is not None else TEMPLATES[kind])
    slug = _claim_slug(db, slug) if slug else free_slug(db, slugify(title))
    stamp = iso(now())
    widget_id = (
        db.table("widgets")
        .insert(
            {
                "owner_id": owner.id,
                "kind": kind,
                "title": title,
                "slug": slug,
                "visibility": visibility,
                "forked_from_id": forked_from_id,
                "head_version": 0,
                "created_at": stamp,
                "updated_at": stamp,
            }
        )
        .last_pk
    )
    widget = _by_id(db, int(widget_id or 0))
    _add_version(db, widget, owner, files, message, None, packages_from)
    return _by_id(db, widget.id)


def update(
    db: sqlite_utils.Database,
    widget: Widget,
    title: str | None = None,
    slug: str | None = None,
    visibility: str | None = None,
    persistent: bool | None = None,
) -> Widget:
    widget = fresh(db, widget)
    changes: dict[str, Any] = {}
    if persistent is not None and persistent != widget.persistent:
        changes["persistent"] = int(persistent)
    if title is not None:
        changes["title"] = check_title(title)
    if slug is not None and slug != widget.slug:
        changes["slug"] = _claim_slug(db, slug, widget.id)
        # the old address keeps working: its links redirect (`new_address`)
        db.table("slug_history").upsert(
            {"slug": widget.slug, "widget_id": widget.id, "changed_at": iso(now())}, pk="slug"
        )
    if visibility is not None:
        changes["visibility"] = check_visibility(visibility)
        if visibility != "private" and course_access.is_student_copy(db, widget.id):
            raise Forbidden(
                "course_copy_private",
                "This is your copy of a course assignment: it stays private, so that no "
                "other student sees your work.",
            )
    if changes:
        changes["updated_at"] = iso(now())
        db.table("widgets").update(widget.id, changes)
    return _by_id(db, widget.id)


def check_deletable(db: sqlite_utils.Database, widget: Widget) -> None:
    """Conflict for a current student's copy of an assignment (its submissions hang on it)."""
    if course_access.is_student_copy(db, widget.id):
        raise Conflict(
            "course_copy",
            "This is your copy of a course assignment, kept with your submissions while you "
            "are in the course; it cannot be deleted.",
        )


def delete(db: sqlite_utils.Database, widget: Widget) -> None:
    check_deletable(db, widget)
    db.execute("DELETE FROM widgets WHERE id = ?", [widget.id])


def _add_version(
    db: sqlite_utils.Database,
    widget: Widget,
    author: User,
    files: dict[str, str],
    message: str,
    restored_from: int | None,
    packages_from: tuple[int, int] | None,
) -> int:
    """Add the next version. Its packages keep the lock of `packages_from` (widget id,
    version: where its files came from) when it asks for the same ones."""
    number = widget.head_version + 1
    stamp = iso(now())
    before = head_files(db, widget) if widget.head_version else {}
    db.table("widget_versions").insert(
        {
            "widget_id": widget.id,
            "number": number,
            "files": json.dumps(files, sort_keys=True, ensure_ascii=False),
            "changes": json.dumps(file_changes(before, files)),
            "message": message[:MAX_MESSAGE],
            "author_id": author.id,
            "restored_from": restored_from,
            "created_at": stamp,
        }
    )
    db.execute(
        "UPDATE widgets SET head_version = ?, updated_at = ? WHERE id = ?",
        [number, stamp, widget.id],
    )
    package_records.record_version(db, widget.id, number, files, packages_from)
    return number


def describe(db: sqlite_utils.Database, widget: Widget, number: int, message: str) -> Version:
    """Set the message of version `number` (its files never change)."""
    version(db, widget, number)  # NotFound
    db.execute(
        "UPDATE widget_versions SET message = ? WHERE widget_id = ? AND number = ?",
        [message[:MAX_MESSAGE], widget.id, number],
    )
    return version(db, widget, number)


def _check_base(widget: Widget, base_version: int) -> None:
    if base_version != widget.head_version:
        raise Conflict(
            "version_conflict",
            f"This widget was saved elsewhere: you edited version {base_version}, but the "
            f"latest is version {widget.head_version}. Reload it, reapply your change and "
            "save again (nothing was overwritten).",
            {"base_version": base_version, "head_version": widget.head_version},
        )


def save(
    db: sqlite_utils.Database,
    widget: Widget,
    author: User,
    base_version: int,
    files: dict[str, str],
    message: str = "",
) -> tuple[Widget, int]:
    """A new version with `files`, refused when `base_version` is not the latest."""
    widget = fresh(db, widget)
    _check_base(widget, base_version)
    files = check_files(widget.kind, files)
    number = _add_version(
        db, widget, author, files, message, None, (widget.id, widget.head_version)
    )
    return _by_id(db, widget.id), number


def restore(
    db: sqlite_utils.Database,
    widget: Widget,
    author: User,
    number: int,
    base_version: int | None = None,
) -> tuple[Widget, int]:
    """A new version with the files of version `number` (history is never rewritten)."""
    widget = fresh(db, widget)
    if base_version is not None:
        _check_base(widget, base_version)
    old = version(db, widget, number)
    new = _add_version(
        db, widget, author, old.files, f"Restored version {number}", number, (widget.id, number)
    )
    return _by_id(db, widget.id), new


def fork_names(db: sqlite_utils.Database, widget: Widget, owner: User) -> tuple[str, str]:
    """A fork's title and address unless `owner` chooses others: "<title> (fork)", and a
    free address made of the widget's and the owner's names (a suggestion: addresses are
    global, one name per widget)."""
    suffix = " (fork)"
    title = widget.title[: MAX_TITLE - len(suffix)] + suffix
    # slugify: a username may hold '_', and the cut may end on a '-'
    return title, free_slug(db, slugify(f"{widget.slug[:40]}-{owner.username}"))


def fork(
    db: sqlite_utils.Database,
    widget: Widget,
    owner: User,
    title: str | None = None,
    slug: str | None = None,
) -> Widget:
    """A private copy of the widget's latest files for `owner`, linked to its origin, with
    the same packages (its lock) and persistent mode (as an Anvil clone keeps its
    `server_persist`: code may rely on its state being kept). Secrets, schedules and runs
    stay behind."""
    widget = fresh(db, widget)
    files = head_files(db, widget)
    default_title, default_slug = fork_names(db, widget, owner)
    copy = create(
        db,
        owner,
        widget.kind,
        title or default_title,
        slug or default_slug,
        "private",
        files,
        forked_from_id=widget.id,
        message=f"Forked from {widget.slug} (by {widget.owner}) version {widget.head_version}",
        packages_from=(widget.id, widget.head_version),
    )
    if widget.persistent:
        db.table("widgets").update(copy.id, {"persistent": 1})
        copy = _by_id(db, copy.id)
    return copy


def add_examples(db: sqlite_utils.Database, owner: User) -> list[Widget]:
    return [
        create(db, owner, example.kind, example.title, None, "private", example.files)
        for example in EXAMPLES
    ]
