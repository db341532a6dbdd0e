"""`widgetbox doctor`: what an operator should fix before (or while) serving, checked from
the settings, the disk and the network, each finding with what to do about it.

findings.py     a check's outcome: ok, warn or fail, the message and the fix
interpreter.py  the interpreter cache: present, sha256 verified, compiled, included packages
data_folder.py  the data folder: a folder, writable, private, its keys private, free space,
                the database (opens; migrations pending for this version)
dns.py          the apps domain: a random name under it resolves, to where the public URL's
                host does
public_url.py   the public URL answers /healthz as Widgetbox does (and /readyz)

Each module's `check(config)` returns its findings; none changes anything.
"""

from __future__ import annotations

from widgetbox.host.config import Config
from widgetbox.host.doctor import data_folder, dns, interpreter, public_url
from widgetbox.host.doctor.findings import FAIL, OK, WARN, Finding

__all__ = ["FAIL", "OK", "WARN", "Finding", "examine"]


def examine(config: Config, network: bool = True) -> list[Finding]:
    """Every check's findings, in the order they are shown (`network=False` leaves out DNS
    and the public URL)."""
    found = [*interpreter.check(config), *data_folder.check(config)]
    if network:
        found += [*dns.check(config), *public_url.check(config)]
    return found
