"""A widget's Data Tables are its own: hostile guest code of one widget cannot reach another
widget's tables by any name, id or row reference (forged `[table,row]` ids, the ids of the
other widget's tables and rows, media refs, links pointing elsewhere), nor break out with
hostile table or column names (SQL metacharacters, quotes, unicode, huge names), nor wear the
host down with deep or huge query trees (refused, bounded), nor keep writing through a run
that started before its widget was deleted.

Guest code sends operations both through `anvil.tables` and raw, as a hostile guest would
(`_transport.call`, which is `_widgetbox.bridge.call("tables", ...)`). Every test checks
what the victim still holds from the host's side, and that its secret is nowhere in what
the attacker saw."""

from __future__ import annotations

import base64
import json
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests._tables import ROW_ID, TABLE_ERROR, Gates, Harness, harness_for, raised
from widgetbox.host.tables import TablesSession
from widgetbox.runtime import RunResult, Runtime, Status

pytestmark = pytest.mark.security

VICTIM, ATTACKER = 1, 2
SECRET = f"wb-secret-{uuid.uuid4().hex}"
"""What the victim keeps, in text and in media; it must never reach the attacker."""

VICTIM_SCHEMA = """\
tables:
  vault:
    columns:
      - {name: secret, type: string}
      - {name: doc, type: media}
      - {name: next, type: link_single, target: vault}
  people:
    columns:
      - {name: name, type: string}
"""

ATTACKER_SCHEMA = """\
tables:
  people:
    columns:
      - {name: name, type: string}
      - {name: friend, type: link_single, target: people}
      - {name: pic, type: media}
"""


@pytest.fixture(scope="module")
def gates(runtime: Runtime) -> Gates:
    found = Gates()
    found.register(runtime)
    return found


@pytest.fixture
def harness(runtime: Runtime, gates: Gates, tmp_path: Path) -> Iterator[Harness]:
    with harness_for(runtime, gates, tmp_path / "data") as found:
        yield found


def victim_state(harness: Harness) -> Any:
    """Everything the victim holds, read by the host (media bytes included)."""
    session = TablesSession(harness.store, VICTIM, VICTIM_SCHEMA)
    try:
        state = {}
        for table in ("vault", "people"):
            page = session.call({"op": "search", "table": table, "page_size": 1000}, 10.0)
            state[table] = page["rows"]
        refs = [row["values"]["doc"]["v"]["ref"] for row in state["vault"] if row["values"]["doc"]]
        state["media"] = [session.call({"op": "media", "ref": ref}, 10.0) for ref in refs]
        return state
    finally:
        session.end()


@pytest.fixture
def victim(harness: Harness) -> dict[str, Any]:
    """The victim's ids, after it stored its secret (in text, media and links)."""
    found = harness.lines(
        f"""
        vault = app_tables.vault
        first = vault.add_row(secret={SECRET!r},
                              doc=anvil.BlobMedia("text/plain", {SECRET!r}.encode(), name="s"))
        second = vault.add_row(secret={SECRET!r} + " 2", next=first,
                               doc=anvil.BlobMedia("text/plain", {SECRET!r}.encode()))
        person = app_tables.people.add_row(name={SECRET!r} + " person")
        out([r.get_id() for r in (first, second, person)],
            [r["doc"]._ref for r in (first, second)],
            {{name: info["id"] for name, info in app_tables._describe().items()}})
        """,
        widget=VICTIM,
        schema=VICTIM_SCHEMA,
    )
    ids, refs, table_ids = found[0]
    return {"ids": ids, "refs": refs, "tables": table_ids, "state": victim_state(harness)}


def assert_never_seen(result: RunResult) -> None:
    assert SECRET not in result.stdout
    assert SECRET not in result.stderr
    assert SECRET not in result.message
    secret = SECRET.encode()
    for shift in range(3):  # base64 of the secret, however it is aligned
        encoded = base64.b64encode(b"x" * shift + secret).decode()[4:-4]
        assert encoded not in result.stdout


def attack(harness: Harness, source: str) -> tuple[RunResult, list[Any]]:
    result = harness.run(
        """
        import base64
        found = []

        def note(label, fn):
            found.append([label, attempt(fn)])

        def raw(**op):
            return _transport.call(op)

        mine = app_tables.people.add_row(name="B's own",
                                         pic=anvil.BlobMedia("text/plain", b"B media"))
        """
        + source
        + """
        print(json.dumps(found, default=repr))
        """,
        widget=ATTACKER,
        schema=ATTACKER_SCHEMA,
    )
    assert result.status is Status.OK, (result.message, result.stderr, result.stdout[-2000:])
    return result, json.loads(result.stdout.splitlines()[-1])


def test_no_name_id_or_reference_reaches_another_widgets_tables(
    harness: Harness, victim: dict[str, Any]
) -> None:
    table_ids = list(victim["tables"].values())
    forged = [
        f"[{t},{r}]" for t in [0, *table_ids, 3, 99, 2**62] for r in [0, 1, 2, 3, 2**62]
    ] + [
        "[1,1] ", " [1,1]", "[01,1]", "[1, 1]", "[1,1,1]", "[-1,1]", "[1,-1]", "1,1", "[1;1]",
        f"[{2**64},1]", "[1,1]; DROP TABLE t1", "[1,1]'--", "", None, 1, [1, 1], {"id": "[1,1]"},
    ]  # fmt: skip
    ids = victim["ids"] + forged
    names = [
        "vault", "VAULT", "vault ", " vault", "people\x00vault", "../1/vault", "../1.db", "1",
        "1.db", "t1", "t2", "main.t1", "_wb_tables", "_wb_media", "sqlite_master", "'vault'",
        '"vault"', "vault; --", "people; DROP TABLE t1; --", "v\u0430ult",  # a Cyrillic a
    ]  # fmt: skip
    refs = [*victim["refs"], 0, 1, 2, 3, 4, 99, 2**62, -1, True, "1", None]
    result, found = attack(
        harness,
        f"""
        NAMES, IDS, REFS = {names!r}, {ids!r}, {refs!r}
        TABLE_IDS = {table_ids!r}
        note("attribute", lambda: app_tables.vault)
        note("item", lambda: app_tables["vault"])
        note("describe", lambda: sorted(raw(op="describe")["tables"]))
        for name in NAMES:
            for op in ("search", "count", "delete_all"):
                note([op, name], lambda: raw(op=op, table=name))
            note(["add_row", name], lambda: raw(op="add_row", table=name, values={{"secret": "B"}}))
            note(["get_by_id", name], lambda: raw(op="get_by_id", table=name, id=IDS[0]))
        for row_id in IDS:
            note(["row", row_id], lambda: raw(op="row", id=row_id)["values"].get("name"))
            note(["get_by_id", row_id], lambda: raw(op="get_by_id", table="people", id=row_id))
            note(["update", row_id],
                 lambda: raw(op="update", id=row_id, values={{"name": "B was here"}})["id"])
            note(["link", row_id],
                 lambda: raw(op="add_row", table="people",
                             values={{"friend": {{"$wb": "row", "v": row_id}}}})["id"])
            note(["row object", row_id], lambda: anvil.tables.Row(row_id)["name"])
        for table_id in TABLE_IDS + [0, 99]:
            note(["table by id", table_id], lambda: repr(anvil.tables.get_table_by_id(table_id)))
        for ref in REFS:
            note(["media", ref],
                 lambda: base64.b64decode(raw(op="media", ref=ref)["data"]).decode("latin-1"))
            stored = {{"$wb": "media", "v": {{"ref": ref, "content_type": "x/y", "name": None,
                                             "length": 1}}}}
            note(["copy media", ref],
                 lambda: raw(op="add_row", table="people", values={{"pic": stored}})["id"])
        for row in app_tables.people.search():
            pic = row["pic"]
            note(["mine", row.get_id()], lambda: [row["name"], pic and pic.get_bytes().decode()])
        """,
    )
    assert_never_seen(result)
    outcomes = {json.dumps(label): outcome for label, outcome in found}

    def at(*label: Any) -> Any:
        return outcomes[json.dumps(list(label) if len(label) > 1 else label[0])]

    assert at("attribute") == raised("builtins.AttributeError", "No such app table: 'vault'")
    assert at("item")["raised"] == "builtins.KeyError"
    assert at("describe") == {"value": ["people"]}
    for name in names:
        for op in ("search", "count", "delete_all", "add_row", "get_by_id"):
            outcome = at(op, name)
            assert outcome["raised"] == TABLE_ERROR, (op, name, outcome)
            assert outcome["message"] == f"No such app table: '{name}'" or outcome[
                "message"
            ].startswith("Invalid row id"), (op, name, outcome)
    # ids name rows of the widget's own file, or nothing: never the victim's
    for row_id in ids:
        for op in ("row", "row object"):
            outcome = at(op, row_id)
            assert outcome.get("value") in ("B's own", "B was here", None), (op, row_id, outcome)
        for op in ("update", "link"):  # what changed is a row of the widget's own
            outcome = at(op, row_id)
            assert "raised" in outcome or ROW_ID.fullmatch(outcome["value"]), (op, outcome)
    # media refs are the widget's own media, or nothing
    for ref in refs:
        outcome = at("media", ref)
        assert outcome.get("value") in (None, "B media"), (ref, outcome)
    mine = [outcome["value"] for label, outcome in found if label[0] == "mine"]
    assert all(value[1] in (None, "B media") for value in mine)
    assert victim_state(harness) == victim["state"]
    made = {p.name for p in harness.store.folder.iterdir() if p.suffix == ".db"}
    assert made == {f"{ATTACKER}.db", f"{VICTIM}.db"}


def test_hostile_table_and_column_names_stay_names(
    harness: Harness, victim: dict[str, Any]
) -> None:
    hostile = [
        "x'); DROP TABLE t1; --",
        'quote"column',
        "back`tick",
        "[bracket]",
        "ünïcødé 🙂",
        "id",
        "rowid",
        "c1",
        "r.id",
        "name; DELETE FROM t1",
        "%_*?\\",
        "a" * 100,
    ]
    result, found = attack(
        harness,
        f"""
        HOSTILE = {hostile!r}
        people = app_tables.people
        for name in HOSTILE:
            note(["add", name], lambda: people.add_row(**{{name: "v " + name}})[name])
            note(["search", name],
                 lambda: [r[name] for r in people.search(**{{name: "v " + name}})])
            note(["like", name],
                 lambda: [r["name"] for r in people.search(**{{name: q.like("v %")}})])
            note(["order", name], lambda: len(people.search(order_by(name))))
            note(["fetch_only", name], lambda: len(people.search(q.fetch_only(name))))
        for name in ["", "a" * 101, "x" * 10_000, "tab\\tname", "nul\\x00name", "\\x7f"]:
            note(["add bad", name[:20]], lambda: people.add_row(**{{name: 1}}))
        for name in ["name\\" OR 1=1 --", "c2", "_wb_tables", "sqlite_master", "*"]:
            note(["search unknown", name], lambda: people.search(**{{name: 1}}))
            note(["order unknown", name], lambda: people.search(order_by(name)))
        note(["long table name"], lambda: raw(op="search", table="x" * 100_000))
        note(["columns"], lambda: [c["name"] for c in people.list_columns()])
        note(["names"], lambda: sorted(people.search()[0].keys()))
        """,
    )
    assert_never_seen(result)
    outcomes = {json.dumps(label): outcome for label, outcome in found}
    for number, name in enumerate(hostile):
        assert outcomes[json.dumps(["add", name])] == {"value": f"v {name}"}, name
        assert outcomes[json.dumps(["search", name])] == {"value": [f"v {name}"]}, name
        assert outcomes[json.dumps(["like", name])] == {"value": [None]}, name
        assert outcomes[json.dumps(["order", name])] == {"value": number + 2}, name
        assert outcomes[json.dumps(["fetch_only", name])] == {"value": number + 2}, name
    bad = [outcome for label, outcome in found if label[0] == "add bad"]
    assert all(outcome["raised"] == TABLE_ERROR for outcome in bad), bad
    unknown = [outcome for label, outcome in found if label[0].endswith("unknown")]
    assert all(outcome["raised"] in (TABLE_ERROR, "anvil.tables.NoSuchColumnError")
               for outcome in unknown), unknown  # fmt: skip
    assert outcomes[json.dumps(["long table name"])]["raised"] == TABLE_ERROR
    columns = outcomes[json.dumps(["columns"])]["value"]
    assert columns == ["name", "friend", "pic", *hostile]
    # the files are whole and the victim untouched
    for widget in (VICTIM, ATTACKER):
        uri = f"file:{harness.store.path(widget)}?mode=ro"
        conn = sqlite3.connect(uri, uri=True)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        finally:
            conn.close()
    assert victim_state(harness) == victim["state"]


def test_deep_and_huge_query_trees_are_refused(harness: Harness) -> None:
    _result, found = attack(
        harness,
        """
        def nested(depth):
            tree = {"eq": ["name", "x"]}
            for _ in range(depth - 1):
                tree = {"not": tree}
            return tree

        def wide(count):
            return {"any": [{"eq": ["name", str(i)]} for i in range(count)]}

        for depth in (32, 33, 60, 200):
            note(["deep", depth], lambda: raw(op="count", table="people", query=nested(depth)))
        for count in (999, 1_000, 5_000, 20_000, 200_000):
            note(["wide", count], lambda: raw(op="count", table="people", query=wide(count)))
        deep = q.any_of(name="x")
        for _ in range(40):
            deep = q.any_of(deep, name="y")
        note(["deep api"], lambda: len(app_tables.people.search(deep)))
        many = q.any_of(*[q.any_of(name=str(i)) for i in range(5_000)])
        note(["wide api"], lambda: len(app_tables.people.search(many)))
        note(["like"], lambda: len(app_tables.people.search(name=q.like("%" * 60_000))))
        note(["ilike"], lambda: len(app_tables.people.search(name=q.ilike("%é_" * 20_000))))
        note(["order"], lambda: raw(op="search", table="people", order=[["name", True]] * 17))
        note(["afterwards"], lambda: len(app_tables.people.search()))
        """,
    )
    outcomes = {json.dumps(label): outcome for label, outcome in found}

    def at(*label: Any) -> Any:
        return outcomes[json.dumps(list(label))]

    assert at("deep", 32) == {"value": 1}  # 31 nots: B's own row is not "x"
    assert at("deep", 33) == raised(TABLE_ERROR, "a query nests at most 32 levels deep")
    for depth in (60, 200):  # the host's bound, or the bridge's own before it
        assert at("deep", depth)["raised"] == TABLE_ERROR, at("deep", depth)
    assert at("wide", 999) == {"value": 0}
    assert at("wide", 1_000) == raised(TABLE_ERROR, "a query has at most 1000 parts")
    assert at("wide", 5_000) == raised(TABLE_ERROR, "a query has at most 1000 parts")
    for count in (20_000, 200_000):  # beyond what a bridge frame may hold: refused before
        assert at("wide", count)["raised"] == TABLE_ERROR, at("wide", count)
    assert at("deep api")["raised"] == TABLE_ERROR
    assert at("wide api") == raised(TABLE_ERROR, "a query has at most 1000 parts")
    assert at("like") in ({"value": 0}, raised(TABLE_ERROR, "The LIKE pattern is too long"))
    assert "value" in at("ilike") or at("ilike")["raised"] == TABLE_ERROR
    assert at("order")["raised"] == TABLE_ERROR
    assert at("afterwards") == {"value": 1}


def test_a_run_started_before_its_widget_was_deleted_cannot_write_again(
    harness: Harness,
) -> None:
    widget = 7
    harness.lines("app_tables.notes.add_row(text='old data'); out(1)", widget=widget)
    outcome: dict[str, RunResult] = {}

    def late_run() -> None:
        outcome["result"] = harness.run(
            """
            notes = app_tables.notes
            notes.add_row(text="before the delete")
            gate("deleted-meanwhile")
            out(attempt(lambda: notes.add_row(text="after the delete")))
            out(attempt(lambda: len(notes.search())))
            out(attempt(lambda: _transport.call({"op": "describe"})))
            try:
                with anvil.tables.Transaction():
                    notes.add_row(text="in a transaction")
            except anvil.tables.TableError as e:
                out("transaction", str(e))
            """,
            widget=widget,
        )

    thread = threading.Thread(target=late_run)
    thread.start()
    try:
        harness.gates.wait_reached("deleted-meanwhile")
        path = harness.store.path(widget)
        assert path.exists()
        harness.store.delete(widget)  # the widget is deleted (the IDE's path)
        assert not path.exists()
    finally:
        harness.gates.open("deleted-meanwhile")
        thread.join(30)
    result = outcome["result"]
    assert result.status is Status.OK, (result.message, result.stderr)
    deleted = raised(TABLE_ERROR, "This widget's Data Tables have been deleted")
    assert [json.loads(line) for line in result.stdout.splitlines()] == [
        deleted,
        deleted,
        deleted,
        ["transaction", "This widget's Data Tables have been deleted"],
    ]
    assert not path.exists()  # the run did not make the file again
    # a new widget that gets the same id starts empty
    assert harness.lines("out(len(app_tables.notes.search()))", widget=widget) == [0]


def test_a_widget_deleted_while_its_run_holds_a_transaction(harness: Harness) -> None:
    widget = 8
    outcome: dict[str, RunResult] = {}

    def holding() -> None:
        outcome["result"] = harness.run(
            """
            notes = app_tables.notes
            try:
                with anvil.tables.Transaction():
                    notes.add_row(text="uncommitted")
                    gate("holding")
                    notes.add_row(text="more")
            except anvil.tables.TableError as e:
                out(type(e).__name__, str(e))
            out(attempt(lambda: notes.add_row(text="after")))
            """,
            widget=widget,
        )

    thread = threading.Thread(target=holding)
    thread.start()
    try:
        harness.gates.wait_reached("holding")
        harness.store.delete(widget)
    finally:
        harness.gates.open("holding")
        thread.join(30)
    result = outcome["result"]
    assert result.status is Status.OK, (result.message, result.stderr)
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[0] == ["TableError", "This transaction has expired"]  # rolled back
    assert lines[1] == raised(TABLE_ERROR, "This widget's Data Tables have been deleted")
    assert not harness.store.path(widget).exists()
    assert harness.lines("out(len(app_tables.notes.search()))", widget=widget) == [0]
