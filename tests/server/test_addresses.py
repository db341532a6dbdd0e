"""Addresses are global, one name per widget, shown as they are: a renamed widget's former
address redirects (IDE pages, the JSON API, its public HTTP API, its app's host name) until
another widget claims it; a fork's address is chosen, from a free suggestion."""

from __future__ import annotations

import pytest

from tests.server._client import Browser, assert_error
from tests.server.conftest import Server
from tests.server.test_gui_apps import app_url, make_app

pytestmark = pytest.mark.server


def rename(owner: Browser, old: str, new: str) -> None:
    response = owner.patch(f"/api/widgets/{old}", json={"slug": new})
    assert response.status_code == 200, response.text
    assert response.json()["slug"] == new


def moved(response, location: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 308, response.text
    assert response.headers["location"] == location
    assert response.headers["cache-control"] == "no-cache"


def test_a_renamed_widget_s_pages_and_api_redirect(alice: Browser, anon: Browser) -> None:
    alice.create_widget("http", "Five lines", slug="five-lines", visibility="public")
    rename(alice, "five-lines", "six-lines")
    for browser in (alice, anon):
        moved(browser.get("/widgets/five-lines", follow_redirects=False), "/widgets/six-lines")
        moved(
            browser.get("/widgets/five-lines/runs?page=2", follow_redirects=False),
            "/widgets/six-lines/runs?page=2",
        )
        moved(
            browser.get("/api/widgets/five-lines/versions", follow_redirects=False),
            "/api/widgets/six-lines/versions",
        )
    # a client that follows gets there, its method and body kept (308)
    assert alice.widget("five-lines")["slug"] == "six-lines"
    saved = alice.save("five-lines", {"main.py": 'print("hi")\n'}, 1)
    assert saved.status_code == 201, saved.text
    assert alice.widget("six-lines")["head_version"] == 2


def test_a_renamed_http_api_redirects(alice: Browser, anon: Browser) -> None:
    alice.create_widget("http", "Greeter", slug="greeter", visibility="public")
    rename(alice, "greeter", "greeting-api")
    moved(
        anon.get("/w/greeter/hello?name=Ada", follow_redirects=False),
        "/w/greeting-api/hello?name=Ada",
    )
    assert anon.get("/w/greeter/hello?name=Ada").json() == {"message": "Hello, Ada!"}


def test_a_renamed_app_s_host_name_redirects(server: Server, alice: Browser, anon: Browser) -> None:
    make_app(alice, "Greeter")  # at greeter
    rename(alice, "greeter", "greeting-app")
    page = anon.client.get(app_url(server, "greeter", "/?x=1"), follow_redirects=False)
    moved(page, server.config.app_origin("greeting-app") + "/?x=1")
    assert anon.client.get(app_url(server, "greeting-app")).status_code == 200
    # a private app's former host goes through Widgetbox, which tells only its owner
    alice.patch("/api/widgets/greeting-app", json={"visibility": "private"})
    private = anon.client.get(app_url(server, "greeter"), follow_redirects=False)
    assert private.status_code == 303
    assert private.headers["location"] == f"{server.config.origin}/widgets/greeter/app"
    moved(alice.get("/widgets/greeter/app", follow_redirects=False), "/widgets/greeting-app/app")
    assert anon.get("/widgets/greeter/app", follow_redirects=False).status_code == 404


def test_a_private_widget_s_new_address_is_told_only_to_who_may_see_it(
    alice: Browser, bob: Browser, anon: Browser
) -> None:
    alice.create_widget("script", "Diary", slug="diary")
    rename(alice, "diary", "journal")
    moved(alice.get("/api/widgets/diary", follow_redirects=False), "/api/widgets/journal")
    for browser in (bob, anon):
        error = assert_error(browser.get("/api/widgets/diary", follow_redirects=False), 404)
        assert "journal" not in error["message"]


def test_a_former_address_is_kept_until_another_widget_claims_it(
    alice: Browser, bob: Browser
) -> None:
    alice.create_widget("script", "Tool", slug="tool", visibility="public")
    rename(alice, "tool", "tool-two")
    rename(alice, "tool-two", "tool-three")  # every former address redirects
    moved(alice.get("/api/widgets/tool", follow_redirects=False), "/api/widgets/tool-three")
    moved(alice.get("/api/widgets/tool-two", follow_redirects=False), "/api/widgets/tool-three")
    # suggestions never hand out a former address...
    made = bob.create_widget("script", "Tool")
    assert made["slug"] not in {"tool", "tool-two", "tool-three"}
    # ...but one can be claimed on purpose, and then means the new widget
    claimed = bob.create_widget("script", "Mine", slug="tool")
    assert bob.get("/api/widgets/tool").json()["id"] == claimed["id"]
    # and a widget may take its own former address back
    rename(alice, "tool-three", "tool-two")
    assert alice.widget("tool-two")["title"] == "Tool"
    moved(alice.get("/api/widgets/tool-three", follow_redirects=False), "/api/widgets/tool-two")
    # deleting the widget ends its redirects
    assert alice.delete("/api/widgets/tool-two").status_code == 204
    rows = alice.get("/api/widgets/tool-three", follow_redirects=False)
    assert rows.status_code == 404


def test_a_fork_s_address_is_chosen_from_a_free_suggestion(alice: Browser, bob: Browser) -> None:
    alice.create_widget("script", "Five lines", slug="five-lines", visibility="public")
    names = bob.get("/api/widgets/five-lines/fork").json()
    assert names == {"title": "Five lines (fork)", "slug": "five-lines-bob"}
    bob.create_widget("script", "Squatter", slug="five-lines-bob")
    assert bob.get("/api/widgets/five-lines/fork").json()["slug"] == "five-lines-bob-2"
    taken = bob.post("/api/widgets/five-lines/fork", json={"slug": "five-lines"})
    assert "taken" in assert_error(taken, 409, "slug_taken")["message"]
    assert_error(
        bob.post("/api/widgets/five-lines/fork", json={"slug": "No!"}), 422, "invalid_slug"
    )
    fork = bob.post("/api/widgets/five-lines/fork", json={"slug": "my-lines"})
    assert fork.status_code == 201, fork.text
    assert (fork.json()["slug"], fork.json()["owner"]) == ("my-lines", "bob")
    assert_error(bob.get("/api/widgets/nope/fork"), 404)


def test_pages_show_the_address_as_it_is(alice: Browser, bob: Browser) -> None:
    alice.create_widget("script", "Five lines", slug="five-lines", visibility="public")
    bob.post("/api/widgets/five-lines/fork", json={"slug": "bobs-lines"})
    page = bob.get("/widgets/bobs-lines").text
    assert '<code class="address"' in page
    assert ">bobs-lines</code>" in page
    assert "by bob" in page
    assert "bob/bobs-lines" not in page
    assert "alice/five-lines" not in page
    assert ">five-lines</code></a> by alice" in page
    # the fork dialog, with its address field, for anyone who may fork
    other = bob.get("/widgets/five-lines").text
    assert 'name="slug"' in other
    assert 'name="copy_data"' not in other
    assert 'name="copy_data"' in alice.get("/widgets/five-lines").text
