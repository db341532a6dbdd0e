"""Capabilities of Data Tables rows and searches in a GUI app's browser
(host/gui/capabilities.py): signed on their way to the browser, checked on their way back,
bound to the widget, with a level (`read` for what server code handed over, `pass` for what
the browser read itself) that decides what `/_/tables` grants."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from widgetbox.host.gui.capabilities import Capabilities, InvalidCapability, WidgetCapabilities
from widgetbox.runtime import Carried, decode_value, encode_value

pytestmark = pytest.mark.unit

MEDIA = {"$wb": "media", "v": {"ref": 7, "content_type": "text/plain", "name": "a.txt",
                               "length": 3}}  # fmt: skip
RECORD = {
    "id": "[3,17]",
    "table": "people",
    "values": {
        "name": "Ann",
        "boss": {"$wb": "row", "v": "[3,2]"},
        "teams": [{"$wb": "row", "v": "[4,1]"}, {"$wb": "row", "v": "[4,2]"}],
        "photo": MEDIA,
        "info": {"$wb": "dict", "v": {"$wb": "row", "v": "[9,9]"}},
    },
}
QUERY = {"all": [{"eq": ["age", 30]}, {"gt": ["born", {"$wb": "date", "v": "2000-01-01"}]}]}
SEARCH = {
    "table": "people",
    "query": QUERY,
    "order": [["name", True]],
    "page_size": 10,
    "fetch_only": None,
    "rows": [RECORD],
    "more": True,
}


@pytest.fixture
def caps() -> WidgetCapabilities:
    return Capabilities("secret").of(1, "2026-12-04T10:00:00.000Z")


def test_a_row_capability_names_its_level_and_checks_its_id(caps: WidgetCapabilities) -> None:
    read, passed = caps.row("[3,17]", "read"), caps.row("[3,17]", "pass")
    assert read.startswith("read.")
    assert passed.startswith("pass.")
    assert read != passed
    assert caps.row_level("[3,17]", read) == "read"
    assert caps.row_level("[3,17]", passed) == "pass"
    for row_id, cap in (
        ("[3,18]", read),
        ("[3,17]", "pass." + read.split(".")[1]),  # a read MAC is no pass one
        ("[3,17]", "write." + read.split(".")[1]),
        ("[3,17]", read[:-1] + ("A" if read[-1] != "A" else "B")),
        ("[3,17]", "read." + "é" * 22),
        ("[3,17]", "read.\ud800"),
        ("[3,17]", None),
        ("[3,17]", 5),
        (17, read),
    ):
        assert caps.row_level(row_id, cap) is None, (row_id, cap)


def test_capabilities_are_bound_to_the_widget_and_the_key(caps: WidgetCapabilities) -> None:
    cap = caps.row("[3,17]", "read")
    for other in (
        Capabilities("secret").of(2, "2026-12-04T10:00:00.000Z"),
        Capabilities("secret").of(1, "2026-12-04T10:00:00.001Z"),  # the id reused
        Capabilities("another secret").of(1, "2026-12-04T10:00:00.000Z"),
    ):
        assert other.row_level("[3,17]", cap) is None
    assert Capabilities("secret").of(1, "2026-12-04T10:00:00.000Z").row_level("[3,17]", cap)


def test_a_search_capability_carries_its_search(caps: WidgetCapabilities) -> None:
    cap = caps.search("people", QUERY, "read")
    assert caps.opened_search(cap) == ("read", "people", QUERY)
    _level, body, mac = cap.split(".")
    assert caps.opened_search(f"pass.{body}.{mac}") is None
    other = caps.search("people", {"all": []}, "read").split(".")[1]
    assert caps.opened_search(f"read.{other}.{mac}") is None
    for broken in (None, 3, "", "read", "read.x", "a.b.c.d", cap + "x"):
        assert caps.opened_search(broken) is None


# -- leaving for the browser -----------------------------------------------------------------


def test_server_results_are_sealed_deeply(caps: WidgetCapabilities) -> None:
    result = decode_value(
        [{"one": {"$wb": "row", "v": RECORD}}, {"$wb": "search", "v": SEARCH}, 3, "x"]
    )
    sealed = encode_value(caps.seal(result))
    row = sealed[0]["one"]["v"]
    assert caps.row_level(row["id"], row["cap"]) == "read"
    assert row["links"] == {ref: caps.row(ref, "read") for ref in ("[3,2]", "[4,1]", "[4,2]")}
    assert row["values"]["photo"]["v"]["cap"] == caps.media(7)
    assert row["values"]["info"] == RECORD["values"]["info"]  # a simpleObject: not a link
    assert row["values"]["name"] == "Ann"
    search = sealed[1]["v"]
    assert caps.opened_search(search["cap"]) == ("read", "people", QUERY)
    assert search["rows"][0] == row
    assert {k: v for k, v in search.items() if k not in ("cap", "rows")} == {
        k: v for k, v in SEARCH.items() if k != "rows"
    }
    assert sealed[2:] == [3, "x"]


def test_what_is_not_a_row_or_search_is_left_as_it_is(caps: WidgetCapabilities) -> None:
    for payload in (None, "[3,17]", {"id": 3}, {"values": {}}):
        assert caps.seal(Carried("row", payload)).payload == payload
    for payload in (None, {"table": 1, "query": {}}, {"table": "t", "query": []}):
        assert caps.seal(Carried("search", payload)).payload == payload


def test_a_tables_answer_is_sealed_with_the_requests_level(caps: WidgetCapabilities) -> None:
    request = {"op": "search", "table": "people", "query": QUERY}
    answer = {"rows": [RECORD], "more": False}
    passed = caps.seal_answer(request, answer, granted=False)
    assert caps.opened_search(passed["cap"]) == ("pass", "people", QUERY)
    (row,) = passed["rows"]
    assert caps.row_level(row["id"], row["cap"]) == "pass"
    assert "links" not in row  # the browser's own reads grant nothing more
    assert row["values"] == RECORD["values"]
    read = caps.seal_answer(request, answer, granted=True)
    assert caps.opened_search(read["cap"])[0] == "read"  # type: ignore[index]
    assert set(read["rows"][0]["links"]) == {"[3,2]", "[4,1]", "[4,2]"}
    everything = caps.seal_answer({"op": "search", "table": "people"}, answer, granted=False)
    assert caps.opened_search(everything["cap"]) == ("pass", "people", {"all": []})
    for op in ("get", "get_by_id", "row", "add_row", "update"):
        sealed = caps.seal_answer({"op": op}, RECORD, granted=False)
        assert caps.row_level(sealed["id"], sealed["cap"]) == "pass", op
        assert caps.seal_answer({"op": op}, None, granted=False) is None
    added = caps.seal_answer({"op": "add_rows"}, [RECORD, RECORD], granted=False)
    assert [caps.row_level(r["id"], r["cap"]) for r in added] == ["pass", "pass"]
    for op, plain in (("count", 3), ("describe", {"tables": {}}), ("media", {"data": ""})):
        assert caps.seal_answer({"op": op}, plain, granted=True) == plain
    assert RECORD["values"]["photo"] == MEDIA  # nothing sealed in place


# -- arriving from the browser ---------------------------------------------------------------


def test_rows_and_searches_handed_back_are_checked_and_trimmed(caps: WidgetCapabilities) -> None:
    sealed = encode_value(caps.seal(decode_value([{"$wb": "row", "v": RECORD},
                                                  {"$wb": "search", "v": SEARCH}])))  # fmt: skip
    sealed[0]["v"]["values"]["name"] = "forged"
    checked = encode_value(caps.check(decode_value({"args": sealed})))["args"]
    assert checked[0] == {"$wb": "row", "v": {"id": "[3,17]", "table": "people", "values": {}}}
    assert checked[1] == {
        "$wb": "search",
        "v": {"table": "people", "query": QUERY, "order": [["name", True]], "page_size": 10,
              "fetch_only": None},
    }  # fmt: skip
    passed = caps.seal_answer({"op": "row"}, RECORD, granted=False)
    assert caps.check(Carried("row", passed)).payload["id"] == "[3,17]"
    assert caps.check([1, {"a": "b"}]) == [1, {"a": "b"}]


def _forgeries(caps: WidgetCapabilities) -> list[Carried]:
    row = caps.seal(Carried("row", RECORD)).payload
    search = caps.seal(Carried("search", SEARCH)).payload
    return [
        Carried("row", {"id": "[3,17]"}),
        Carried("row", {**row, "id": "[3,18]"}),
        Carried("row", {**row, "cap": row["cap"][:-2]}),
        Carried("row", {**row, "cap": None}),
        Carried("row", "[3,17]"),
        Carried("search", {**search, "cap": None}),
        Carried("search", {**search, "query": {"all": []}}),
        Carried("search", {**search, "table": "other"}),
        Carried("search", {"table": "people", "query": QUERY}),
        Carried("search", None),
    ]


def test_made_up_or_altered_ones_are_refused(caps: WidgetCapabilities) -> None:
    for forged in _forgeries(caps):
        with pytest.raises(InvalidCapability):
            caps.check({"deep": [[forged]]})
    other = Capabilities("secret").of(2, "2026-12-04T10:00:00.000Z")
    with pytest.raises(InvalidCapability, match="a row"):
        other.check(caps.seal(Carried("row", RECORD)))


def test_grants_reads_only_with_a_read_capability_for_exactly_that(
    caps: WidgetCapabilities,
) -> None:
    def grants(request: dict[str, Any]) -> bool:
        request = copy.deepcopy(request)
        granted = caps.grants(request)
        assert "cap" not in request  # never reaches the engine
        return granted

    read_row, pass_row = caps.row("[3,17]", "read"), caps.row("[3,17]", "pass")
    assert grants({"op": "row", "id": "[3,17]", "cap": read_row})
    assert not grants({"op": "row", "id": "[3,17]", "cap": pass_row})
    assert not grants({"op": "row", "id": "[3,18]", "cap": read_row})
    assert not grants({"op": "row", "id": "[3,17]"})
    for op in ("update", "delete", "get_by_id"):
        assert not grants({"op": op, "id": "[3,17]", "cap": read_row}), op
    search = caps.search("people", QUERY, "read")
    assert grants({"op": "search", "table": "people", "query": QUERY, "offset": 10, "cap": search})
    assert grants({"op": "count", "table": "people", "query": QUERY, "cap": search})
    assert not grants({"op": "delete_where", "table": "people", "query": QUERY, "cap": search})
    assert not grants({"op": "search", "table": "people", "cap": search})
    assert not grants({"op": "search", "table": "other", "query": QUERY, "cap": search})
    everything = caps.search("people", {"all": []}, "read")
    assert grants({"op": "search", "table": "people", "cap": everything})
    passed = caps.search("people", QUERY, "pass")
    assert not grants({"op": "search", "table": "people", "query": QUERY, "cap": passed})
    assert grants({"op": "media", "ref": 7, "cap": caps.media(7)})
    assert not grants({"op": "media", "ref": 8, "cap": caps.media(7)})
    assert not grants({"op": "media", "ref": "7", "cap": caps.media(7)})
    assert not grants({"op": "media", "ref": 7, "cap": 7})


def test_walks_are_linear_and_bounded_by_the_codecs_depth(caps: WidgetCapabilities) -> None:
    many = [Carried("row", {**RECORD, "id": f"[3,{i}]"}) for i in range(20_000)]
    sealed = caps.seal({"rows": many})["rows"]
    assert len({row.payload["cap"] for row in sealed}) == 20_000
    assert len(caps.check(sealed)) == 20_000
    deep: Any = Carried("row", RECORD)
    for _ in range(99):
        deep = [deep]
    assert decode_value(encode_value(caps.seal(deep)))  # as deep as the codec allows


@pytest.mark.parametrize(
    "value",
    [
        Carried("row", {"id": "\ud800", "cap": "read.AAAAAAAAAAAAAAAAAAAAAA"}),
        Carried("row", {"id": "[1,1]", "cap": "read.\udc00"}),
        Carried("search", {"table": "t", "query": {}, "cap": "read.\ud800.AAAA"}),
        Carried("task", {"id": "\ud800", "cap": "read.AAAA"}),
    ],
)
def test_a_lone_surrogate_is_an_invalid_capability(caps: WidgetCapabilities, value: Any) -> None:
    """JSON carries a lone surrogate, which UTF-8 cannot (the fuzzer's find: signing the
    row id of such a /_/call argument raised UnicodeEncodeError, a 500)."""
    with pytest.raises(InvalidCapability):
        caps.check([value])
