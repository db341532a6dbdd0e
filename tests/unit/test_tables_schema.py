"""`tables.yaml`: the map form, Anvil's `db_schema` forms, every problem listed with where
it is, and text that tries to make the reader work hard."""

from __future__ import annotations

import pytest

from tests._timing import grows_linearly, growth
from widgetbox.host.services import guest_services
from widgetbox.host.tables import names_for_guest
from widgetbox.host.tables.tables_yaml import (
    EMPTY,
    ColumnSpec,
    SchemaError,
    TableSpec,
    _parse,
    dump,
    parse,
)
from widgetbox.runtime import Code

pytestmark = pytest.mark.unit

PEOPLE = """
tables:
  people:
    client: search
    server: full
    columns:
      - {name: name, type: string}
      - {name: Date of birth, type: date}
      - {name: manager, type: link_single, target: people}
  notes:
    columns:
      - name: text
        type: string
      - name: about
        type: link_multiple
        target: people
"""


def problems(text: str) -> tuple[str, ...]:
    with pytest.raises(SchemaError) as caught:
        parse(text)
    return caught.value.problems


def test_the_map_form() -> None:
    schema = parse(PEOPLE)
    assert list(schema.tables) == ["people", "notes"]
    people = schema.tables["people"]
    assert people == TableSpec(
        "people",
        "search",
        (
            ColumnSpec("name", "string"),
            ColumnSpec("Date of birth", "date"),
            ColumnSpec("manager", "link_single", "people"),
        ),
    )
    assert schema.tables["notes"].client == "none"  # the default: browser code may not
    assert schema.auto_create is True
    assert len(schema.digest) == 64


def test_no_file_or_a_blank_one_means_no_tables() -> None:
    assert parse(None) is EMPTY
    assert parse("  \n# nothing yet\n").tables == {}
    assert parse("tables:\n").tables == {}


def test_auto_create_can_be_turned_off() -> None:
    assert parse("auto_create_columns: false\ntables: {}\n").auto_create is False


def test_equal_text_equal_digest_and_the_parse_is_cached() -> None:
    assert parse(PEOPLE) is parse(PEOPLE)
    assert parse(PEOPLE).digest != parse(PEOPLE + "\n# changed\n").digest


def test_anvils_db_schema_map_is_read_with_its_extra_keys() -> None:
    text = """
db_schema:
  table_1:
    client: none
    server: full
    title: Table 1
    columns:
      - admin_ui: {order: 0, width: 200}
        name: Column1
        type: string
        client_hidden: false
    indexes: []
"""
    schema = parse(text)
    assert schema.tables["table_1"].columns == (ColumnSpec("Column1", "string"),)


def test_anvils_older_list_form_with_ids_and_live_objects() -> None:
    text = """
db_schema:
- name: Tasks
  id: 12345
  python_name: tasks
  columns:
    E9e2ASS2uyU=:
      name: name
      type: string
      admin_ui: {order: 0, width: 200}
    Lk958fQHwJ0=:
      name: owner
      type: liveObject
      table_id: 777
  access: {python_name: tasks, app_id: MyApp, server: full, client: full, table_id: 12345}
- python_name: users
  access: {table_id: 777, server: full, client: none}
  columns:
    - {name: email, type: string}
    - {name: tasks, type: liveObjectArray, table_id: 12345}
"""
    schema = parse(text)
    assert schema.tables["tasks"].client == "full"
    assert schema.tables["tasks"].columns == (
        ColumnSpec("name", "string"),
        ColumnSpec("owner", "link_single", "users"),
    )
    assert schema.tables["users"].columns[1] == ColumnSpec("tasks", "link_multiple", "tasks")


def test_a_bare_list_is_the_older_form_too() -> None:
    schema = parse("- python_name: things\n  columns: [{name: x, type: number}]\n")
    assert schema.tables["things"].columns == (ColumnSpec("x", "number"),)


def test_every_problem_is_listed_with_where_it_is() -> None:
    found = problems(
        """
tables:
  people:
    client: everyone
    columns:
      - {name: name, type: strng}
      - {name: name, type: string}
      - {name: boss, type: link_single}
      - {name: pet, type: link_single, target: pets}
      - {type: number}
      - {name: age, type: number, target: people, colour: red}
  2fast: {}
  ok:
    columns: {name: x}
colour: blue
"""
    )
    expected = [
        "colour: unknown key",
        "tables.people.client: 'everyone' is not an access level",
        "tables.people.columns[0].type: 'strng' is not a column type",
        "tables.people.columns[2].target: a link_single column names the table it links to",
        "tables.people.columns[4].name: a column's name is text, not nothing",
        "tables.people.columns[5].colour: unknown key",
        "tables.people.columns[5].target: only links have a target",
        "tables.2fast: '2fast' is not a table name",
        "tables.ok.columns[0]: expected a map (name, type), not text",
        "tables.people.columns[3].target: no table named 'pets' in the schema",
    ]
    for start in expected:
        assert any(problem.startswith(start) for problem in found), (start, found)
    # the second "name" is fine once the first failed its type; a real duplicate is named
    assert (
        problems("tables:\n  t:\n    columns: [{name: a, type: bool}, {name: a, type: bool}]")[0]
        == "tables.t.columns[1].name: a second column named 'a'"
    )


def test_the_error_lists_them_all_in_its_message() -> None:
    with pytest.raises(SchemaError) as caught:
        parse("tables:\n  t:\n    client: x\n    server: y\n")
    assert str(caught.value).startswith("tables.yaml has 2 problems:\n  - tables.t.client")


def test_a_yaml_syntax_error_says_where() -> None:
    (problem,) = problems("tables:\n  t:\n    columns: [\n  oops: : :\n")
    assert problem.startswith("line ")


def test_documents_that_are_not_maps() -> None:
    assert problems("42") == ("the file holds the number 42, not a map with `tables:`",)
    assert problems("tables: [1, 2]")[0].startswith("tables[0]: expected a map")
    assert problems("tables: yes")[0] == "tables: expected a map of tables by name, not true"
    assert problems("tables: {}\nauto_create_columns: maybe")[0].startswith(
        "auto_create_columns: expected true or false"
    )


def test_hostile_names_are_refused_and_shown_cut() -> None:
    long_name = "x" * 500
    found = problems(
        f'tables:\n  ok:\n    columns:\n      - name: "a\\x00b"\n        type: string\n'
        f"      - name: {long_name}\n        type: string\n  {long_name}: {{}}\n"
        '  "Robert\'); DROP TABLE people;--": {}\n'
    )
    assert "tables.ok.columns[0].name: a column's name has no control characters" in found
    assert any("at most 100 characters" in p for p in found)
    assert all(len(p) < 300 for p in found)
    assert any("DROP TABLE" in p and "is not a table name" in p for p in found)


def test_column_names_may_hold_spaces_and_quotes() -> None:
    schema = parse('tables:\n  t:\n    columns: [{name: "it\'s a \\"name\\"", type: string}]\n')
    assert schema.tables["t"].columns[0].name == 'it\'s a "name"'


def alias_bomb(levels: int) -> str:
    """YAML whose tables stand for 10 * 5**levels values, in about `levels` lines."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]")
    lines.append(f"tables:\n  t:\n    client: *a{levels}\n    columns: *a{levels}")
    return "\n".join(lines)


def test_an_alias_bomb_is_read_in_linear_time_and_never_shown() -> None:
    bomb = alias_bomb(24)
    found = problems(bomb)
    assert "tables.t.client: a list is not an access level (none, search or full)" in found
    assert all(len(p) < 200 for p in found)

    def read(text: str) -> None:
        _parse.cache_clear()  # parse keeps what it read by text: read it each time
        problems(text)

    # the time grows with the text (here about 5 times longer), not with the 5**21 times
    # more values it stands for
    small = alias_bomb(3)
    ratio = growth(lambda: read(small), lambda: read(bomb))
    assert grows_linearly(ratio, len(bomb) / len(small)), ratio


def test_too_many_tables_or_columns() -> None:
    columns = ", ".join(f"{{name: c{i}, type: string}}" for i in range(201))
    assert any(
        "at most 200 columns" in p for p in problems(f"tables:\n  t:\n    columns: [{columns}]")
    )
    tables = "\n".join(f"  t{i}: {{}}" for i in range(101))
    assert any("at most 100 tables" in p for p in problems(f"tables:\n{tables}"))


def test_a_huge_file_is_refused_before_parsing() -> None:
    (problem,) = problems("#" * 1_000_001)
    assert "longer than" in problem


def test_dump_reads_back_equal() -> None:
    schema = parse(PEOPLE)
    again = parse(dump(schema))
    assert again.tables == schema.tables
    assert parse(dump(parse("auto_create_columns: false\ntables: {}"))).auto_create is False


def test_the_names_a_guest_is_told_are_the_schemas_tables() -> None:
    text = "tables:\n  people: {columns: []}\n  teams: {}\n"
    assert names_for_guest(text) == ["people", "teams"]
    assert names_for_guest(None) == []  # no tables.yaml: no tables
    # a schema with problems tells nothing: the guest asks, and hears the problems
    assert names_for_guest("tables: [1, 2") is None
    code = Code(files={"main.py": "", "tables.yaml": text})
    assert guest_services(code) == {"tables": ["people", "teams"]}
    assert guest_services(Code(files={"main.py": "", "tables.yaml": "tables: 3"})) == {}
