"""The database schema, as sqlite-utils migrations applied in order at start-up.

Never edit a migration that has shipped; add a new one.
"""

from __future__ import annotations

import sqlite_utils
from sqlite_utils import Migrations

MIGRATIONS = Migrations("widgetbox")

WIDGET_KINDS = ("script", "scheduled", "http", "gui")
VISIBILITIES = ("private", "unlisted", "public")
RUN_TRIGGERS = ("manual", "schedule", "http", "call")
RUN_STATUSES = (
    "queued",
    "running",
    "ok",
    "error",
    "timeout",
    "memory",
    "output_limit",
    "killed",
    "interrupted",
    "skipped",
)
PACKAGE_STATUSES = ("pending", "ready", "failed", "skipped")
"""A version's packages: waiting or installing; installed (or all built in); failed (the
message says why); skipped (a later version replaced the requirements first)."""


def _values(names: tuple[str, ...]) -> str:
    return ", ".join(f"'{name}'" for name in names)


@MIGRATIONS()
def m001_accounts(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            username TEXT NOT NULL UNIQUE COLLATE NOCASE,
            password_hash TEXT NOT NULL,
            is_admin INTEGER NOT NULL DEFAULT 0 CHECK (is_admin IN (0, 1)),
            created_at TEXT NOT NULL
        );
        CREATE TABLE sessions (
            id TEXT PRIMARY KEY,                -- sha256 of the cookie's token
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            created_at TEXT NOT NULL,
            last_seen_at TEXT NOT NULL
        );
        CREATE INDEX sessions_by_user ON sessions(user_id);
        CREATE TABLE site_settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL                 -- JSON
        );
        """
    )


@MIGRATIONS()
def m002_widgets(db: sqlite_utils.Database) -> None:
    db.executescript(
        f"""
        CREATE TABLE widgets (
            id INTEGER PRIMARY KEY,
            owner_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            kind TEXT NOT NULL CHECK (kind IN ({_values(WIDGET_KINDS)})),
            title TEXT NOT NULL,
            slug TEXT NOT NULL UNIQUE,
            visibility TEXT NOT NULL CHECK (visibility IN ({_values(VISIBILITIES)})),
            forked_from_id INTEGER REFERENCES widgets(id) ON DELETE SET NULL,
            head_version INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX widgets_by_owner ON widgets(owner_id, updated_at);
        CREATE INDEX widgets_by_visibility ON widgets(visibility, updated_at);
        CREATE TABLE widget_versions (
            id INTEGER PRIMARY KEY,
            widget_id INTEGER NOT NULL REFERENCES widgets(id) ON DELETE CASCADE,
            number INTEGER NOT NULL,
            files TEXT NOT NULL,                -- JSON: {{path: text}}
            message TEXT NOT NULL DEFAULT '',
            author_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
            restored_from INTEGER,
            created_at TEXT NOT NULL,
            UNIQUE (widget_id, number)
        );
        """
    )


@MIGRATIONS()
def m003_runs_and_schedules(db: sqlite_utils.Database) -> None:
    db.executescript(
        f"""
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            widget_id INTEGER NOT NULL REFERENCES widgets(id) ON DELETE CASCADE,
            version INTEGER NOT NULL,
            user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
            trigger TEXT NOT NULL CHECK (trigger IN ({_values(RUN_TRIGGERS)})),
            status TEXT NOT NULL CHECK (status IN ({_values(RUN_STATUSES)})),
            queued_at TEXT NOT NULL,
            started_at TEXT,
            finished_at TEXT,
            wall_time REAL,
            fuel INTEGER,
            peak_memory INTEGER,
            host_calls INTEGER,
            stdout TEXT NOT NULL DEFAULT '',
            stderr TEXT NOT NULL DEFAULT '',
            output_truncated INTEGER NOT NULL DEFAULT 0,
            message TEXT NOT NULL DEFAULT '',
            error TEXT                          -- JSON: the user error, trimmed
        );
        CREATE INDEX runs_by_widget ON runs(widget_id, id);
        CREATE INDEX runs_by_status ON runs(status);
        CREATE TABLE schedules (
            id INTEGER PRIMARY KEY,
            widget_id INTEGER NOT NULL UNIQUE REFERENCES widgets(id) ON DELETE CASCADE,
            rule TEXT NOT NULL,                 -- JSON: interval or cron
            timezone TEXT NOT NULL DEFAULT 'UTC',
            paused INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
            next_run_at TEXT,
            last_run_at TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX schedules_due ON schedules(paused, next_run_at);
        """
    )


@MIGRATIONS()
def m004_run_details(db: sqlite_utils.Database) -> None:
    """What an HTTP request or a server call was, for the widget's logs; and where a
    skipped scheduled run came from."""
    db.executescript(
        """
        ALTER TABLE runs ADD COLUMN request TEXT;   -- JSON: method, path, status (HTTP runs)
        CREATE INDEX runs_by_widget_trigger ON runs(widget_id, trigger, id);
        """
    )


@MIGRATIONS()
def m005_secrets(db: sqlite_utils.Database) -> None:
    """Widgets' secrets, encrypted (AES-256-GCM) with the key in the data folder
    (`secrets.key`), which the database never holds; see `secrets.py`."""
    db.executescript(
        """
        CREATE TABLE secrets (
            id INTEGER PRIMARY KEY,
            widget_id INTEGER NOT NULL REFERENCES widgets(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            nonce BLOB NOT NULL,                -- 96 bits, fresh for every value
            ciphertext BLOB NOT NULL,           -- with its tag; bound to widget_id and name
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (widget_id, name)
        );
        """
    )


@MIGRATIONS()
def m006_packages(db: sqlite_utils.Database) -> None:
    """Packages from the package index (see `packages/`): installed environments, shared by
    every widget version whose requirements resolve to the same set, and each version's
    requirements with their lock (the exact set) and install status."""
    db.executescript(
        f"""
        CREATE TABLE package_environments (
            key TEXT PRIMARY KEY,               -- sha256 of the installed set (packages/lock.py)
            packages TEXT NOT NULL,             -- JSON: [{{name, version, filename, sha256}}]
            size INTEGER NOT NULL,              -- bytes on disk
            created_at TEXT NOT NULL,
            last_used_at TEXT NOT NULL          -- when a version last took it up
        );
        CREATE TABLE version_packages (
            widget_id INTEGER NOT NULL,
            version INTEGER NOT NULL,
            requirements TEXT NOT NULL,         -- canonical: one requirement per line, sorted
            status TEXT NOT NULL CHECK (status IN ({_values(PACKAGE_STATUSES)})),
            message TEXT NOT NULL DEFAULT '',   -- why it failed or was skipped
            lock TEXT,                          -- JSON: the exact resolved set (when ready)
            environment TEXT REFERENCES package_environments(key),  -- NULL: all built in
            updated_at TEXT NOT NULL,
            PRIMARY KEY (widget_id, version),
            FOREIGN KEY (widget_id, version)
                REFERENCES widget_versions(widget_id, number) ON DELETE CASCADE
        );
        CREATE INDEX version_packages_by_environment ON version_packages(environment);
        CREATE INDEX version_packages_by_status ON version_packages(status);
        """
    )


@MIGRATIONS()
def m007_email_sends(db: sqlite_utils.Database) -> None:
    """How many emails each widget has sent on a day (UTC), for the daily cap of
    `anvil.email.send` (`email/records.py`); only the current day's row is kept."""
    db.executescript(
        """
        CREATE TABLE email_sends (
            widget_id INTEGER NOT NULL REFERENCES widgets(id) ON DELETE CASCADE,
            day TEXT NOT NULL,                  -- YYYY-MM-DD, UTC
            sent INTEGER NOT NULL CHECK (sent >= 0),
            PRIMARY KEY (widget_id, day)
        ) WITHOUT ROWID;
        """
    )


@MIGRATIONS()
def m008_app_sessions(db: sqlite_utils.Database) -> None:
    """GUI apps' sessions (`anvil.server.session` and who is logged in with the app's Users
    service), one per browser and app: only the sha256 of the session cookie's token is kept
    (`app_sessions/records.py`)."""
    db.executescript(
        """
        CREATE TABLE app_sessions (
            key TEXT PRIMARY KEY,               -- sha256 (hex) of the cookie's token
            widget_id INTEGER NOT NULL REFERENCES widgets(id) ON DELETE CASCADE,
            data TEXT NOT NULL DEFAULT '{}',    -- anvil.server.session in the codec's JSON
            user_id TEXT,                       -- the logged-in user's row id in `users`
            created_at TEXT NOT NULL,
            last_seen TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX app_sessions_by_widget_user ON app_sessions(widget_id, user_id);
        CREATE INDEX app_sessions_by_last_seen ON app_sessions(last_seen);
        """
    )


@MIGRATIONS()
def m009_background_tasks(db: sqlite_utils.Database) -> None:
    """Background tasks are runs (`anvil.server.launch_background_task`): the trigger `task`,
    and for every run of the batch lane (scripts, scheduled runs, tasks) the task's name,
    its `anvil.server.task_state` when it ended and its return value. A CHECK cannot be
    altered, so the runs table is rebuilt (SQLite's documented way), statement by statement
    inside the migration's transaction."""
    triggers = (*RUN_TRIGGERS, "task")
    columns = (
        "id, widget_id, version, user_id, trigger, status, queued_at, started_at, "
        "finished_at, wall_time, fuel, peak_memory, host_calls, stdout, stderr, "
        "output_truncated, message, error, request"
    )
    db.execute(
        f"""
        CREATE TABLE runs_new (
            id INTEGER PRIMARY KEY,
            widget_id INTEGER NOT NULL REFERENCES widgets(id) ON DELETE CASCADE,
            version INTEGER NOT NULL,
            user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
            trigger TEXT NOT NULL CHECK (trigger IN ({_values(triggers)})),
            status TEXT NOT NULL CHECK (status IN ({_values(RUN_STATUSES)})),
            queued_at TEXT NOT NULL,
            started_at TEXT,
            finished_at TEXT,
            wall_time REAL,
            fuel INTEGER,
            peak_memory INTEGER,
            host_calls INTEGER,
            stdout TEXT NOT NULL DEFAULT '',
            stderr TEXT NOT NULL DEFAULT '',
            output_truncated INTEGER NOT NULL DEFAULT 0,
            message TEXT NOT NULL DEFAULT '',
            error TEXT,                         -- JSON: the user error, trimmed
            request TEXT,                       -- JSON: method, path, status (HTTP runs)
            task_name TEXT,                     -- a task's function (NULL: a script's body)
            task_state TEXT,                    -- JSON, the codec's form: task_state at the end
            task_value TEXT                     -- JSON, the codec's form: a task's return value
        )
        """
    )
    db.execute(f"INSERT INTO runs_new ({columns}) SELECT {columns} FROM runs")  # noqa: S608
    db.execute("DROP TABLE runs")
    db.execute("ALTER TABLE runs_new RENAME TO runs")
    db.execute("CREATE INDEX runs_by_widget ON runs(widget_id, id)")
    db.execute("CREATE INDEX runs_by_status ON runs(status)")
    db.execute("CREATE INDEX runs_by_widget_trigger ON runs(widget_id, trigger, id)")


@MIGRATIONS()
def m010_api_tokens(db: sqlite_utils.Database) -> None:
    """Personal access tokens for the JSON API (`tokens/records.py`): only the sha256 of a
    token is kept, with the first characters shown in its listing, its name, its scope, its
    expiry and when it was last used (written at most once a minute). A revoked token keeps
    its row for a while, so using it says that it was revoked."""
    db.executescript(
        """
        CREATE TABLE api_tokens (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            hash TEXT NOT NULL UNIQUE,          -- sha256 (hex) of the token
            prefix TEXT NOT NULL,               -- `wbt_` and the next 4 characters
            name TEXT NOT NULL,
            scope TEXT NOT NULL CHECK (scope IN ('read', 'run', 'write')),
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            last_used_at TEXT,
            revoked_at TEXT
        );
        CREATE INDEX api_tokens_by_user ON api_tokens(user_id, id);
        """
    )


@MIGRATIONS()
def m011_run_numbers(db: sqlite_utils.Database) -> None:
    """Runs are numbered per widget (#1, #2, ... of that widget: what people see; the id
    stays the global key in URLs and the API). Existing runs are numbered in the order they
    were made (by id), per widget; a new run takes the widget's highest number plus one
    (`runs/records.create`, inside the write that inserts it), and the unique index keeps
    two runs of a widget from sharing one."""
    db.execute("ALTER TABLE runs ADD COLUMN number INTEGER")
    # numbered once by a window function, then copied by primary key: linear in the runs
    db.execute("CREATE TEMP TABLE run_numbers (id INTEGER PRIMARY KEY, number INTEGER NOT NULL)")
    db.execute(
        "INSERT INTO run_numbers (id, number) "
        "SELECT id, ROW_NUMBER() OVER (PARTITION BY widget_id ORDER BY id) FROM runs"
    )
    db.execute(
        "UPDATE runs SET number = (SELECT number FROM run_numbers WHERE run_numbers.id = runs.id)"
    )
    db.execute("DROP TABLE run_numbers")
    db.execute("CREATE UNIQUE INDEX runs_by_widget_number ON runs(widget_id, number)")


@MIGRATIONS()
def m012_version_changes(db: sqlite_utils.Database) -> None:
    """What each version changed since the one before (JSON: `[{path, status, added,
    removed}]`, `widgets/changes.py`), kept so the versions page lists it without diffing
    every version again. Versions saved before are counted here, one widget's versions in
    order, holding two versions' files at a time."""
    import json

    from widgetbox.host.widgets.changes import file_changes

    db.execute("ALTER TABLE widget_versions ADD COLUMN changes TEXT")
    rows = db.execute("SELECT id, widget_id, files FROM widget_versions ORDER BY widget_id, number")
    counted: list[tuple[str, int]] = []
    widget: int | None = None
    before: dict[str, str] = {}
    for version_id, widget_id, files_json in rows:
        files = json.loads(files_json)
        if widget_id != widget:
            widget, before = widget_id, {}
        counted.append((json.dumps(file_changes(before, files)), version_id))
        before = files
    db.conn.executemany("UPDATE widget_versions SET changes = ? WHERE id = ?", counted)


@MIGRATIONS()
def m013_admin(db: sqlite_utils.Database) -> None:
    """Disabled accounts (`admin/`): when, or NULL. The site-wide limits an admin changes
    in the app are rows of `site_settings`, which needs no change."""
    db.execute("ALTER TABLE users ADD COLUMN disabled_at TEXT")


@MIGRATIONS()
def m014_persistent_mode(db: sqlite_utils.Database) -> None:
    """A widget's persistent mode (Anvil's "Keep server running"): its HTTP requests and
    server calls reuse a warm interpreter, module state kept between them. Off by default."""
    db.execute(
        "ALTER TABLE widgets ADD COLUMN persistent INTEGER NOT NULL DEFAULT 0 "
        "CHECK (persistent IN (0, 1))"
    )


COURSE_ROLES = ("teacher", "co-teacher", "student")
"""A course's people: the teacher who made it, co-teachers with the same powers over
students and assignments, and students."""


@MIGRATIONS()
def m015_classrooms(db: sqlite_utils.Database) -> None:
    """Courses (`courses/`): their people with a role, the join code, archiving; one-time
    set-password links for accounts a roster creates (only the token's sha256 is kept); and
    assignments: a template widget forked into each student's own copy, and submissions of
    a chosen version of that copy, marked late after the due date."""
    db.executescript(
        f"""
        CREATE TABLE courses (
            id INTEGER PRIMARY KEY,
            title TEXT NOT NULL,
            timezone TEXT NOT NULL DEFAULT 'UTC',   -- IANA name: due dates are read in it
            join_code TEXT NOT NULL UNIQUE,
            created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
            created_at TEXT NOT NULL,
            archived_at TEXT
        );
        CREATE TABLE course_members (
            course_id INTEGER NOT NULL REFERENCES courses(id) ON DELETE CASCADE,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            role TEXT NOT NULL CHECK (role IN ({_values(COURSE_ROLES)})),
            name TEXT NOT NULL DEFAULT '',      -- as the roster gave it (else the username)
            email TEXT NOT NULL DEFAULT '',     -- as the roster gave it
            account_created INTEGER NOT NULL DEFAULT 0 CHECK (account_created IN (0, 1)),
            joined_at TEXT NOT NULL,
            PRIMARY KEY (course_id, user_id)
        ) WITHOUT ROWID;
        CREATE INDEX course_members_by_user ON course_members(user_id, course_id);
        CREATE TABLE password_links (
            hash TEXT PRIMARY KEY,              -- sha256 (hex) of the link's token
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX password_links_by_user ON password_links(user_id);
        CREATE TABLE assignments (
            id INTEGER PRIMARY KEY,
            course_id INTEGER NOT NULL REFERENCES courses(id) ON DELETE CASCADE,
            title TEXT NOT NULL,
            instructions TEXT NOT NULL DEFAULT '',  -- Markdown
            template_id INTEGER REFERENCES widgets(id) ON DELETE SET NULL,
            due_at TEXT,                        -- UTC; entered in the course's time zone
            published_at TEXT,
            locked INTEGER NOT NULL DEFAULT 0 CHECK (locked IN (0, 1)),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX assignments_by_course ON assignments(course_id, id);
        CREATE INDEX assignments_by_template ON assignments(template_id);
        CREATE TABLE assignment_copies (
            assignment_id INTEGER NOT NULL REFERENCES assignments(id) ON DELETE CASCADE,
            student_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            widget_id INTEGER NOT NULL UNIQUE REFERENCES widgets(id) ON DELETE CASCADE,
            started_at TEXT NOT NULL,
            PRIMARY KEY (assignment_id, student_id)
        ) WITHOUT ROWID;
        CREATE TABLE submissions (
            id INTEGER PRIMARY KEY,
            assignment_id INTEGER NOT NULL REFERENCES assignments(id) ON DELETE CASCADE,
            student_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            widget_id INTEGER NOT NULL REFERENCES widgets(id) ON DELETE CASCADE,
            version INTEGER NOT NULL,
            submitted_at TEXT NOT NULL,
            late INTEGER NOT NULL CHECK (late IN (0, 1))
        );
        CREATE INDEX submissions_by_student ON submissions(assignment_id, student_id, id);
        """
    )


@MIGRATIONS()
def m016_addresses(db: sqlite_utils.Database) -> None:
    """A widget's former addresses (slugs), so old links redirect to its current one
    until another widget claims the address."""
    db.executescript(
        """
        CREATE TABLE slug_history (
            slug TEXT PRIMARY KEY,
            widget_id INTEGER NOT NULL REFERENCES widgets(id) ON DELETE CASCADE,
            changed_at TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX slug_history_by_widget ON slug_history(widget_id);
        """
    )


@MIGRATIONS()
def m017_classroom_checks(db: sqlite_utils.Database) -> None:
    """Automatic checks of assignments (`courses/checks.py`): the teacher's checks file, what
    students are shown of the results, each test's deadline; and every checking of a
    student's work, with each test's outcome (a submission's, or a student's own Check of
    the public tests: `submission_id` NULL)."""
    db.executescript(
        """
        CREATE TABLE assignment_checks (
            assignment_id INTEGER PRIMARY KEY REFERENCES assignments(id) ON DELETE CASCADE,
            source TEXT NOT NULL,               -- Python; never shown to a student
            tests TEXT NOT NULL,                -- JSON [{name, public}], read from source
            shown TEXT NOT NULL CHECK (shown IN ('details', 'names', 'score')),
            deadline REAL NOT NULL,             -- seconds each test may run
            updated_at TEXT NOT NULL
        );
        CREATE TABLE check_runs (
            id INTEGER PRIMARY KEY,
            assignment_id INTEGER NOT NULL REFERENCES assignments(id) ON DELETE CASCADE,
            student_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            submission_id INTEGER REFERENCES submissions(id) ON DELETE CASCADE,
            version INTEGER NOT NULL,
            public_only INTEGER NOT NULL CHECK (public_only IN (0, 1)),
            started_at TEXT NOT NULL,
            finished_at TEXT,                   -- NULL while it runs
            results TEXT NOT NULL DEFAULT '[]'  -- JSON [{name, status, message, line, seconds}]
        );
        CREATE INDEX check_runs_by_student ON check_runs(assignment_id, student_id, id);
        """
    )


@MIGRATIONS()
def m018_classroom_feedback(db: sqlite_utils.Database) -> None:
    """Teachers' feedback on a student's work on an assignment (`courses/feedback.py`): an
    overall note and comments on lines of a version of the student's copy. Drafts until
    released: the student sees only `released_note` and the comments released with it."""
    db.executescript(
        """
        CREATE TABLE feedback (
            id INTEGER PRIMARY KEY,
            assignment_id INTEGER NOT NULL REFERENCES assignments(id) ON DELETE CASCADE,
            student_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            note TEXT NOT NULL DEFAULT '',      -- the teachers' draft
            released_note TEXT,                 -- what the student reads; NULL: nothing yet
            released_at TEXT,
            updated_at TEXT NOT NULL,
            UNIQUE (assignment_id, student_id)
        );
        CREATE TABLE feedback_comments (
            id INTEGER PRIMARY KEY,
            feedback_id INTEGER NOT NULL REFERENCES feedback(id) ON DELETE CASCADE,
            version INTEGER NOT NULL,
            path TEXT NOT NULL,
            line INTEGER NOT NULL,
            body TEXT NOT NULL,
            author_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
            created_at TEXT NOT NULL,
            released INTEGER NOT NULL DEFAULT 0 CHECK (released IN (0, 1))
        );
        CREATE INDEX feedback_comments_by_feedback ON feedback_comments(feedback_id, id);
        """
    )


@MIGRATIONS()
def m019_classroom_limits(db: sqlite_utils.Database) -> None:
    """What a course's teachers allow each student on their copies of its assignments
    (`courses/limits.py`); NULL: the site's maximum."""
    db.executescript(
        """
        CREATE TABLE course_limits (
            course_id INTEGER PRIMARY KEY REFERENCES courses(id) ON DELETE CASCADE,
            runs_per_hour INTEGER CHECK (runs_per_hour > 0),
            cpu_seconds_per_day INTEGER CHECK (cpu_seconds_per_day > 0),
            storage_mib INTEGER CHECK (storage_mib > 0)
        );
        """
    )


@MIGRATIONS()
def m020_check_run_usage(db: sqlite_utils.Database) -> None:
    """Check runs count towards a course's limits per student (`courses/limits.py`): the
    fuel every sandbox of a check run burnt (its tests and the runs of the student's code
    they asked for), and the limit's message when a student's checks were refused instead
    of run (`refused`: such a run counts for nothing)."""
    db.executescript(
        """
        ALTER TABLE check_runs ADD COLUMN fuel INTEGER;
        ALTER TABLE check_runs ADD COLUMN refused TEXT;
        """
    )


@MIGRATIONS()
def m021_check_run_testing(db: sqlite_utils.Database) -> None:
    """The test a check run is running now (its name; NULL between tests), so that the
    next start after a stop knows which test was cut short (`courses/checking.py`)."""
    db.executescript("ALTER TABLE check_runs ADD COLUMN testing TEXT;")
