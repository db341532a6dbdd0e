"""Packages from the package index for widgets: requirements, resolution, installs into
shared content-addressed environments, and their records. See ARCHITECTURE.md ("Packages").

    requirements.py   parse a widget's requirements.txt (names, extras, versions, markers)
    target.py         the sandbox's Python: environment markers and usable wheel tags
    builtin.py        packages compiled into the interpreter, read from its stdlib zip
    index.py          the package index's simple API (PEP 691 JSON, PEP 503 HTML)
    resolve.py        resolvelib over the index: an exact, pure-Python set, or why not
    wheels.py         core metadata and wheels, fetched once per install and verified
    install.py        one install: resolve, download, unpack with `installer`, publish
    environments.py   environment folders on disk; holds that keep them from collection
    records.py        versions' requirements, status and locks; environments (SQLite)
    service.py        the background queue, progress, the runner's lookup, collection
"""

from widgetbox.host.packages import records
from widgetbox.host.packages.errors import Cancelled, LimitExceeded, PackageError, RequirementsError
from widgetbox.host.packages.lock import Lock, Locked
from widgetbox.host.packages.progress import Progress
from widgetbox.host.packages.requirements import FILE, Requirements, parse
from widgetbox.host.packages.service import PackageService
from widgetbox.host.packages.target import SANDBOX, Target

__all__ = [
    "FILE",
    "SANDBOX",
    "Cancelled",
    "LimitExceeded",
    "Lock",
    "Locked",
    "PackageError",
    "PackageService",
    "Progress",
    "Requirements",
    "RequirementsError",
    "Target",
    "parse",
    "records",
]
