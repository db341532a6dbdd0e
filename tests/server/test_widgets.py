"""Widgets: create, list, read, change, delete; versions, diffs, restores; forks; explore."""

from __future__ import annotations

import time
from typing import Any

import pytest
import sqlite_utils

from tests.server._client import Browser, assert_error
from tests.server._data import add_run_and_schedule, rows_of
from tests.server.conftest import Server
from widgetbox.host.widgets.starters import ENTRY, TEMPLATES

pytestmark = pytest.mark.server

KINDS = ("script", "scheduled", "http", "gui")


def tick() -> None:
    """Let the clock move on: timestamps have millisecond resolution."""
    time.sleep(0.003)


def version_count(server: Server, slug: str) -> int:
    def count(db: sqlite_utils.Database) -> int:
        return int(
            db.execute(
                "SELECT COUNT(*) FROM widget_versions JOIN widgets "
                "ON widgets.id = widget_versions.widget_id WHERE widgets.slug = ?",
                [slug],
            ).fetchone()[0]
        )

    return server.db.read_now(count)


def slugs(response_body: dict[str, Any]) -> list[str]:
    return [w["slug"] for w in response_body["widgets"]]


# -- create --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_create_each_kind_from_its_template(alice: Browser, kind: str) -> None:
    response = alice.post("/api/widgets", json={"kind": kind, "title": f"My {kind} widget"})
    assert response.status_code == 201
    widget = response.json()
    assert widget["kind"] == kind
    assert widget["files"] == TEMPLATES[kind]
    assert widget["entry"] == ENTRY[kind] == ("server.py" if kind == "gui" else "main.py")
    assert widget["entry"] in widget["files"]
    assert widget["slug"] == f"my-{kind}-widget"
    assert widget["title"] == f"My {kind} widget"
    assert widget["visibility"] == "private"
    assert widget["owner"] == "alice"
    assert widget["head_version"] == 1
    assert widget["can_edit"] is True
    assert widget["forked_from"] is None
    assert alice.widget(widget["slug"]) == widget
    [first] = alice.get(f"/api/widgets/{widget['slug']}/versions").json()["versions"]
    assert first["number"] == 1
    assert first["author"] == "alice"
    assert first["restored_from"] is None


def test_create_with_visibility_and_slug(alice: Browser) -> None:
    widget = alice.create_widget(title="Shared", slug="my-shared-one", visibility="public")
    assert (widget["slug"], widget["visibility"]) == ("my-shared-one", "public")


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("My Great Widget!", "my-great-widget"),
        ("  Spaces   and\tTabs ", "spaces-and-tabs"),
        ("Ünïcödé Straße", "n-c-d-stra-e"),
        ("New", "w-new"),  # reserved words get a prefix
        ("API", "w-api"),
        ("ab", "widget-ab"),  # too short
        ("!!!", "widget"),
        ("x" * 100, "x" * 50),
    ],
)
def test_slugs_come_from_the_title(alice: Browser, title: str, slug: str) -> None:
    assert alice.create_widget(title=title)["slug"] == slug


def test_generated_slugs_are_made_unique(alice: Browser, bob: Browser) -> None:
    assert alice.create_widget(title="Same")["slug"] == "same"
    assert alice.create_widget(title="Same")["slug"] == "same-2"
    assert bob.create_widget(title="Same")["slug"] == "same-3"  # slugs are global
    assert alice.create_widget(title="same-2")["slug"] == "same-2-2"


@pytest.mark.parametrize(
    "slug",
    [
        "ab",
        "-abc",
        "abc-",
        "a--b",
        "Abc",
        "a_b",
        "a b",
        "a.b",
        "héllo",
        "x" * 61,
        "api",
        "admin",
        "explore",
        "static",
        "login",
        "new",
    ],
)
def test_explicit_slug_rules(alice: Browser, slug: str) -> None:
    response = alice.post("/api/widgets", json={"kind": "script", "title": "t", "slug": slug})
    assert_error(response, 422, "invalid_slug")
    assert alice.get("/api/widgets").json()["widgets"] == []


def test_explicit_slugs_are_unique(alice: Browser, bob: Browser) -> None:
    alice.create_widget(slug="taken")
    for browser in (alice, bob):
        response = browser.post(
            "/api/widgets", json={"kind": "script", "title": "t", "slug": "taken"}
        )
        assert_error(response, 409, "slug_taken")
    assert bob.get("/api/widgets").json()["widgets"] == []


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"kind": "script", "title": "   "}, 422, "invalid_title"),
        ({"kind": "script", "title": "x" * 101}, 422, "invalid_title"),
        ({"kind": "script", "title": ""}, 400, "invalid_request"),
        ({"kind": "cobol", "title": "x"}, 400, "invalid_request"),
        ({"kind": "script", "title": "x", "visibility": "secret"}, 400, "invalid_request"),
        ({"kind": "script", "title": "x", "owner": "bob"}, 400, "invalid_request"),
        ({"title": "x"}, 400, "invalid_request"),
    ],
)
def test_create_refuses_bad_fields(
    alice: Browser, body: dict[str, Any], status: int, code: str
) -> None:
    assert_error(alice.post("/api/widgets", json=body), status, code)


def test_anonymous_visitors_cannot_create(anon: Browser) -> None:
    assert_error(
        anon.post("/api/widgets", json={"kind": "script", "title": "x"}), 403, "login_required"
    )
    assert_error(anon.get("/api/widgets"), 403, "login_required")


# -- list and read -------------------------------------------------------------------------


def test_my_widgets_are_mine_newest_change_first(alice: Browser, bob: Browser) -> None:
    for title in ("first", "second", "third"):
        alice.create_widget(title=title)
        tick()
    bob.create_widget(title="bobs")
    assert slugs(alice.get("/api/widgets").json()) == ["third", "second", "first"]
    tick()
    assert alice.save("first", {"main.py": "print(1)"}, base_version=1).status_code == 201
    assert slugs(alice.get("/api/widgets").json()) == ["first", "third", "second"]
    tick()
    assert alice.patch("/api/widgets/second", json={"title": "Second"}).status_code == 200
    assert slugs(alice.get("/api/widgets").json()) == ["second", "first", "third"]
    assert slugs(bob.get("/api/widgets").json()) == ["bobs"]

    page = alice.get("/api/widgets", params={"limit": 2, "offset": 1}).json()
    assert (page["limit"], page["offset"]) == (2, 1)
    assert slugs(page) == ["first", "third"]
    assert slugs(alice.get("/api/widgets", params={"offset": 3}).json()) == []
    for mine in alice.get("/api/widgets").json()["widgets"]:
        assert mine["owner"] == "alice"
        assert mine["can_edit"] is True
        assert "files" not in mine


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 201}, {"offset": -1}, {"limit": "x"}])
def test_list_paging_is_checked(alice: Browser, params: dict[str, Any]) -> None:
    assert_error(alice.get("/api/widgets", params=params), 400, "invalid_request")
    assert_error(alice.get("/api/explore", params=params), 400, "invalid_request")


def test_read_a_widget(alice: Browser, bob: Browser, anon: Browser) -> None:
    created = alice.create_widget("http", "Api", visibility="public")
    assert created["slug"] == "w-api"
    mine = alice.widget(created["slug"])
    assert mine["files"] == TEMPLATES["http"]
    assert mine["can_edit"] is True
    for other in (bob, anon):
        theirs = other.widget(created["slug"])
        assert theirs["can_edit"] is False
        assert theirs["files"] == mine["files"]
    assert_error(alice.get("/api/widgets/no-such-widget"), 404, "not_found")


# -- change and delete ---------------------------------------------------------------------


def test_change_title_slug_and_visibility(alice: Browser, anon: Browser) -> None:
    widget = alice.create_widget(title="Before")
    tick()
    response = alice.patch(
        "/api/widgets/before",
        json={"title": "  After   all ", "slug": "after", "visibility": "unlisted"},
    )
    assert response.status_code == 200
    changed = response.json()
    assert (changed["title"], changed["slug"], changed["visibility"]) == (
        "After all",
        "after",
        "unlisted",
    )
    assert changed["updated_at"] > widget["updated_at"]
    assert changed["head_version"] == 1  # metadata is not a version
    # the former address redirects (test_addresses.py has every kind of address)
    former = alice.get("/api/widgets/before", follow_redirects=False)
    assert (former.status_code, former.headers["location"]) == (308, "/api/widgets/after")
    assert anon.widget("after")["title"] == "After all"
    # keeping one's own slug is not a conflict; an empty change changes nothing
    assert alice.patch("/api/widgets/after", json={"slug": "after"}).status_code == 200
    same = alice.patch("/api/widgets/after", json={}).json()
    assert same["updated_at"] == changed["updated_at"]


def test_change_is_validated(alice: Browser) -> None:
    alice.create_widget(title="One")
    alice.create_widget(title="Two")
    assert_error(alice.patch("/api/widgets/one", json={"slug": "two"}), 409, "slug_taken")
    assert_error(alice.patch("/api/widgets/one", json={"slug": "api"}), 422, "invalid_slug")
    assert_error(alice.patch("/api/widgets/one", json={"title": " "}), 422, "invalid_title")
    assert_error(alice.patch("/api/widgets/one", json={"visibility": "x"}), 400, "invalid_request")
    assert_error(alice.patch("/api/widgets/one", json={"kind": "gui"}), 400, "invalid_request")
    assert alice.widget("one")["title"] == "One"


def test_delete(alice: Browser) -> None:
    alice.create_widget(title="Doomed")
    keep = alice.create_widget(title="Kept")
    response = alice.delete("/api/widgets/doomed")
    assert response.status_code == 204
    assert response.content == b""
    assert_error(alice.get("/api/widgets/doomed"), 404, "not_found")
    assert_error(alice.get("/api/widgets/doomed/versions"), 404, "not_found")
    assert_error(alice.delete("/api/widgets/doomed"), 404, "not_found")
    assert slugs(alice.get("/api/widgets").json()) == [keep["slug"]]
    # the slug is free again
    assert alice.create_widget(title="Doomed")["slug"] == "doomed"


# -- versions ------------------------------------------------------------------------------


def test_save_makes_a_new_version(alice: Browser, server: Server) -> None:
    alice.create_widget(title="Saved")
    tick()
    files = {"main.py": "import util\nprint(util.X)\n", "util.py": "X = 1\n"}
    response = alice.save("saved", files, base_version=1, message="Split in two")
    assert response.status_code == 201
    body = response.json()
    assert body["version"] == 2
    assert body["widget"]["head_version"] == 2
    assert body["widget"]["slug"] == "saved"
    assert alice.widget("saved")["files"] == files
    newest = alice.get("/api/widgets/saved/versions").json()["versions"][0]
    assert (newest["number"], newest["message"], newest["author"]) == (2, "Split in two", "alice")
    assert version_count(server, "saved") == 2


def test_a_stale_save_is_refused_and_overwrites_nothing(alice: Browser, server: Server) -> None:
    alice.create_widget(title="Contested")
    mine = {"main.py": "print('mine')\n"}
    theirs = {"main.py": "print('theirs')\n"}
    assert alice.save("contested", mine, base_version=1).status_code == 201
    response = alice.save("contested", theirs, base_version=1)
    error = assert_error(response, 409, "version_conflict")
    assert error["details"] == {"base_version": 1, "head_version": 2}
    assert "nothing was overwritten" in error["message"]
    assert alice.widget("contested")["files"] == mine
    assert version_count(server, "contested") == 2
    for base in (0, 3, 99):
        assert_error(alice.save("contested", theirs, base_version=base), 409, "version_conflict")
    assert version_count(server, "contested") == 2


@pytest.mark.parametrize(
    "files",
    [
        {"main.py": "1", "../x.py": "1"},
        {"main.py": "1", "/etc/passwd": "1"},
        {"main.py": "1", "a//b.py": "1"},
        {"main.py": "1", "./a.py": "1"},
        {"main.py": "1", "a/../b.py": "1"},
        {"main.py": "1", "a\\b.py": "1"},
        {"main.py": "1", "a/": "1"},
        {"main.py": "1", "": "1"},
        {"main.py": "1", "nul\x00.py": "1"},
        {"other.py": "print(1)"},
        {},
        {f"f{i}.py": "" for i in range(201)} | {"main.py": ""},
    ],
)
def test_invalid_files_are_refused(alice: Browser, server: Server, files: dict[str, str]) -> None:
    alice.create_widget(title="Strict")
    response = alice.save("strict", files, base_version=1)
    assert_error(response, 422, "invalid_files")
    assert version_count(server, "strict") == 1


def test_a_gui_needs_its_server_file(alice: Browser) -> None:
    alice.create_widget("gui", "My app")
    refused = alice.save("my-app", {"main.py": "print(1)"}, base_version=1)
    assert "server.py" in assert_error(refused, 422, "invalid_files")["message"]
    no_form = alice.save("my-app", {"server.py": "x = 1"}, base_version=1)
    assert "at least one form" in assert_error(no_form, 400, "invalid_design")["message"]
    files = {**TEMPLATES["gui"], "server.py": "x = 1"}
    assert alice.save("my-app", files, base_version=1).status_code == 201


def test_versions_newest_first_and_one_version(alice: Browser) -> None:
    alice.create_widget(title="History")
    for n in (2, 3, 4):
        assert alice.save("history", {"main.py": f"print({n})"}, n - 1, f"v{n}").status_code == 201
    listing = alice.get("/api/widgets/history/versions").json()
    assert listing["head_version"] == 4
    assert [v["number"] for v in listing["versions"]] == [4, 3, 2, 1]
    assert [v["message"] for v in listing["versions"]] == ["v4", "v3", "v2", "Created"]
    assert all("files" not in v for v in listing["versions"])
    assert set(listing["versions"][0]) == {
        "number",
        "message",
        "author",
        "created_at",
        "restored_from",
        "changes",
        "first_run",
    }

    three = alice.get("/api/widgets/history/versions/3").json()
    assert three["files"] == {"main.py": "print(3)"}
    assert (three["number"], three["message"], three["author"]) == (3, "v3", "alice")
    one = alice.get("/api/widgets/history/versions/1").json()
    assert one["files"] == TEMPLATES["script"]
    for missing in (0, 5, 999):
        assert_error(alice.get(f"/api/widgets/history/versions/{missing}"), 404, "no_such_version")
    assert_error(alice.get("/api/widgets/history/versions/x"), 404)


def test_diff_between_versions(alice: Browser) -> None:
    alice.create_widget(title="Diffs")
    v2 = {"main.py": "print('one')\n", "same.py": "s = 1\n", "gone.py": "g = 1\n"}
    v3 = {"main.py": "print('two')\n", "same.py": "s = 1\n", "new.py": "n = 1\n"}
    alice.save("diffs", v2, 1)
    alice.save("diffs", v3, 2)
    response = alice.get("/api/widgets/diffs/diff", params={"old": 2, "new": 3})
    assert response.status_code == 200
    body = response.json()
    assert (body["old"], body["new"]) == (2, 3)
    by_path = {f["path"]: f for f in body["files"]}
    assert [f["path"] for f in body["files"]] == sorted(by_path)
    assert {p: f["status"] for p, f in by_path.items()} == {
        "gone.py": "removed",
        "main.py": "changed",
        "new.py": "added",
        "same.py": "unchanged",
    }
    changed = by_path["main.py"]["diff"]
    assert changed.startswith("--- v2/main.py\n+++ v3/main.py\n")
    assert "-print('one')\n" in changed
    assert "+print('two')\n" in changed
    assert "--- /dev/null\n+++ v3/new.py\n" in by_path["new.py"]["diff"]
    assert "+n = 1\n" in by_path["new.py"]["diff"]
    assert "--- v2/gone.py\n+++ /dev/null\n" in by_path["gone.py"]["diff"]
    assert "-g = 1\n" in by_path["gone.py"]["diff"]
    assert by_path["same.py"]["diff"] == ""

    latest = alice.get("/api/widgets/diffs/diff", params={"old": 2}).json()
    assert latest == body  # `new` defaults to the latest version
    backwards = alice.get("/api/widgets/diffs/diff", params={"old": 3, "new": 2}).json()
    assert {f["path"]: f["status"] for f in backwards["files"]}["gone.py"] == "added"
    assert_error(alice.get("/api/widgets/diffs/diff", params={"old": 9}), 404, "no_such_version")
    assert_error(alice.get("/api/widgets/diffs/diff", params={"old": 0}), 400, "invalid_request")
    assert_error(alice.get("/api/widgets/diffs/diff"), 400, "invalid_request")


def test_restore_saves_the_old_files_as_a_new_version(alice: Browser, server: Server) -> None:
    alice.create_widget(title="Undo")
    v2 = {"main.py": "print(2)\n", "lib.py": "x = 2\n"}
    alice.save("undo", v2, 1)
    alice.save("undo", {"main.py": "print(3)\n"}, 2)
    response = alice.post("/api/widgets/undo/versions/2/restore", json={})
    assert response.status_code == 201
    assert response.json()["version"] == 4
    assert response.json()["widget"]["head_version"] == 4
    four = alice.get("/api/widgets/undo/versions/4").json()
    assert four["files"] == v2
    assert four["restored_from"] == 2
    assert four["message"] == "Restored version 2"
    assert alice.widget("undo")["files"] == v2
    # history is never rewritten
    assert [v["number"] for v in alice.get("/api/widgets/undo/versions").json()["versions"]] == [
        4,
        3,
        2,
        1,
    ]
    # without a body at all, too
    assert alice.post("/api/widgets/undo/versions/1/restore").status_code == 201
    assert alice.widget("undo")["files"] == TEMPLATES["script"]


def test_restore_checks_its_base_version(alice: Browser, server: Server) -> None:
    alice.create_widget(title="Careful")
    alice.save("careful", {"main.py": "print(2)"}, 1)
    stale = alice.post("/api/widgets/careful/versions/1/restore", json={"base_version": 1})
    assert assert_error(stale, 409, "version_conflict")["details"] == {
        "base_version": 1,
        "head_version": 2,
    }
    assert version_count(server, "careful") == 2
    fresh = alice.post("/api/widgets/careful/versions/1/restore", json={"base_version": 2})
    assert fresh.status_code == 201
    assert_error(
        alice.post("/api/widgets/careful/versions/9/restore", json={}), 404, "no_such_version"
    )
    assert version_count(server, "careful") == 3


# -- forks ---------------------------------------------------------------------------------


def test_fork_copies_the_latest_files_privately(
    alice: Browser, bob: Browser, server: Server
) -> None:
    alice.create_widget("http", "Origin", visibility="public")
    latest = {"main.py": "import anvil.server\n", "helpers.py": "H = 1\n"}
    alice.save("origin", latest, 1)
    add_run_and_schedule(server.db, "origin")

    response = bob.post("/api/widgets/origin/fork", json={})
    assert response.status_code == 201
    fork = response.json()
    assert fork["owner"] == "bob"
    assert fork["visibility"] == "private"
    assert fork["kind"] == "http"
    assert fork["files"] == latest
    assert fork["title"] == "Origin (fork)"
    assert fork["slug"] == "origin-bob"
    assert fork["head_version"] == 1
    assert fork["can_edit"] is True
    assert fork["forked_from"] == {"slug": "origin", "title": "Origin", "owner": "alice"}
    [first] = bob.get(f"/api/widgets/{fork['slug']}/versions").json()["versions"]
    assert first["message"] == "Forked from origin (by alice) version 2"
    assert rows_of(server.db, fork["slug"]) == {"widget_versions": 1, "runs": 0, "schedules": 0}
    assert rows_of(server.db, "origin") == {"widget_versions": 2, "runs": 1, "schedules": 1}
    assert slugs(bob.get("/api/widgets").json()) == [fork["slug"]]
    # the fork is the forker's own: the origin is untouched by changes to it
    assert bob.save(fork["slug"], {"main.py": "print('bob')"}, 1).status_code == 201
    assert alice.widget("origin")["files"] == latest
    assert_error(alice.get(f"/api/widgets/{fork['slug']}"), 404, "not_found")  # private


def test_fork_with_a_title_and_slug(alice: Browser, bob: Browser) -> None:
    alice.create_widget(title="Origin", visibility="unlisted")
    fork = bob.post("/api/widgets/origin/fork", json={"title": "Mine now", "slug": "mine-now"})
    assert fork.status_code == 201
    assert (fork.json()["title"], fork.json()["slug"]) == ("Mine now", "mine-now")
    again = bob.post("/api/widgets/origin/fork", json={"slug": "mine-now"})
    assert_error(again, 409, "slug_taken")
    assert_error(bob.post("/api/widgets/origin/fork", json={"slug": "api"}), 422, "invalid_slug")
    twice = bob.post("/api/widgets/origin/fork")
    assert twice.status_code == 201
    assert twice.json()["slug"] == "origin-bob"
    assert bob.post("/api/widgets/origin/fork").json()["slug"] == "origin-bob-2"


def test_owners_fork_their_own_private_widgets(alice: Browser) -> None:
    alice.create_widget(title="Solo")
    fork = alice.post("/api/widgets/solo/fork")
    assert fork.status_code == 201
    # a private origin is not revealed in the link
    assert fork.json()["forked_from"] is None


def test_a_fork_stops_naming_an_origin_that_went_private(alice: Browser, bob: Browser) -> None:
    alice.create_widget(title="Origin", visibility="public")
    slug = bob.post("/api/widgets/origin/fork").json()["slug"]
    alice.patch("/api/widgets/origin", json={"visibility": "private"})
    assert bob.widget(slug)["forked_from"] is None
    alice.delete("/api/widgets/origin")
    assert bob.widget(slug)["forked_from"] is None  # and the fork outlives it


def test_usernames_with_underscores_can_fork(alice: Browser, server: Server) -> None:
    alice.create_widget(title="Origin", visibility="public")
    carol = server.user("carol_x")
    response = carol.post("/api/widgets/origin/fork")
    assert response.status_code == 201, response.text
    assert response.json()["slug"] == "origin-carol-x"


def test_a_widget_with_the_longest_title_can_be_forked(alice: Browser, bob: Browser) -> None:
    alice.create_widget(title="T" * 100, slug="long-title", visibility="public")
    response = bob.post("/api/widgets/long-title/fork")
    assert response.status_code == 201, response.text
    assert len(response.json()["title"]) <= 100
    assert response.json()["title"].endswith("(fork)")


def test_a_widget_with_a_long_slug_can_be_forked(alice: Browser, server: Server) -> None:
    slug = "a" * 39 + "-" + "b" * 20  # the 40th character is a hyphen
    alice.create_widget(title="Long", slug=slug, visibility="public")
    carol = server.user("carol")
    response = carol.post(f"/api/widgets/{slug}/fork")
    assert response.status_code == 201, response.text


# -- visibility ----------------------------------------------------------------------------


def test_explore_lists_only_public_widgets(alice: Browser, bob: Browser, anon: Browser) -> None:
    alice.create_widget(title="Open", visibility="public")
    tick()
    alice.create_widget(title="Hidden", visibility="unlisted")
    alice.create_widget(title="Secret")
    tick()
    bob.create_widget(title="Bobs open", visibility="public")
    for browser in (alice, bob, anon):
        listed = browser.get("/api/explore").json()
        assert slugs(listed) == ["bobs-open", "open"]
    page = anon.get("/api/explore", params={"limit": 1, "offset": 1}).json()
    assert slugs(page) == ["open"]
    assert (page["limit"], page["offset"]) == (1, 1)
    mine = {w["slug"]: w["can_edit"] for w in alice.get("/api/explore").json()["widgets"]}
    assert mine == {"bobs-open": False, "open": True}


def test_unlisted_widgets_are_readable_by_url(alice: Browser, bob: Browser, anon: Browser) -> None:
    alice.create_widget(title="Hidden", visibility="unlisted")
    for browser in (bob, anon):
        assert browser.widget("hidden")["files"] == TEMPLATES["script"]
    assert "hidden" not in slugs(anon.get("/api/explore").json())
    assert "hidden" not in slugs(bob.get("/api/widgets").json())


def test_private_widgets_are_not_found_by_others(
    alice: Browser, bob: Browser, anon: Browser
) -> None:
    alice.create_widget(title="Secret")
    for browser in (bob, anon):
        missing = assert_error(browser.get("/api/widgets/secret"), 404, "not_found")
        nothing = assert_error(browser.get("/api/widgets/nothing-here"), 404, "not_found")
        assert missing["message"].replace("secret", "X") == nothing["message"].replace(
            "nothing-here", "X"
        )


def test_the_admin_may_manage_any_widget(admin: Browser, alice: Browser) -> None:
    alice.create_widget(title="Reported")
    assert admin.widget("reported")["can_edit"] is True
    assert admin.patch("/api/widgets/reported", json={"visibility": "private"}).status_code == 200
    assert admin.get("/api/widgets/reported/versions").status_code == 200
    assert "reported" not in slugs(admin.get("/api/widgets").json())  # still alice's
    assert alice.widget("reported")["owner"] == "alice"
