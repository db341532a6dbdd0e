"""courses: classrooms. A teacher's course with its people (`records.py`, `roster.py`),
assignments forked into each student's own widget and their submissions
(`assignments.py`, `due.py`), instructions in Markdown (`instructions.py`); `access.py` is
what the widgets domain asks about a widget's course (who reviews it, whether it must stay
private). The teachers' view: the grid of students by assignments (`grid.py`), feedback
released when the teacher says so (`feedback.py`), exports (`exports.py`), with their
routes in `review_api.py` and `review_pages.py`. Sharing the machine: each course's limits
per student within the site's, and their usage (`limits.py`, routes in `limits_api.py`).
Automatic checks: the teacher's checks file and the results (`checks.py`), each test run in
a sandbox of its own (`checking.py`) with the guest's helpers running the student's code in
another (`check_helpers.py`), routes in `checks_api.py` (shapes: `checks_schemas.py`)."""
