// The designer's model (src/gui/designer/model.js, grid.js): where drops put components in
// Anvil's format (a ColumnPanel's grid_position rows and columns, col_widths; a GridPanel's
// rows; slots, columns and positions), what a move leaves behind, data bindings, and the
// YAML written as Anvil writes it.
// Run with `node --test test/` (tests/unit/test_client_js.py does, so `just test` does).

import assert from "node:assert/strict";
import { test } from "node:test";
import { parse } from "yaml";
import { freshId, levelsOf, placeBeside, weightsOf } from "../src/gui/designer/grid.js";
import { designWarnings, FormDesign } from "../src/gui/designer/model.js";

const ID = /^[A-Z]{6}$/;

function design(yaml) {
  return new FormDesign("Form1", yaml, "yaml");
}

const position = (d, name) => d.find(name).node.layout_properties.grid_position;
const order = (d, container = "") => d.children(container).map((node) => node.name);

/** A form with a ColumnPanel of two rows: a | b, then c. */
function twoRows() {
  return design(`container: {type: ColumnPanel, properties: {col_widths: '{"COLAAA": 40, "COLBBB": 20, "COLCCC": 60}'}}
components:
- {type: Label, properties: {text: a}, name: a, layout_properties: {grid_position: 'ROWAAA,COLAAA', full_width_row: true}}
- {type: Label, properties: {text: b}, name: b, layout_properties: {grid_position: 'ROWAAA,COLBBB', full_width_row: true}}
- {type: Label, properties: {text: c}, name: c, layout_properties: {grid_position: 'ROWBBB,COLCCC'}}
is_package: true
`);
}

test("fresh ids are six upper-case letters, never one already taken", () => {
  const taken = new Set(["AAAAAA"]);
  let n = 0;
  const random = () => [0, 0, 0, 0, 0, 0, 0.99, 0.99, 0.99, 0.99, 0.99, 0.99][n++ % 12];
  assert.equal(freshId(taken, random), "ZZZZZZ");
  assert.ok(taken.has("ZZZZZZ"));
  assert.match(freshId(new Set()), ID);
});

test("a component dropped on the form gets a row of its own, as Anvil writes it", () => {
  const d = design("container: {type: ColumnPanel}\ncomponents: []\nis_package: true\n");
  const name = d.add("Button", "");
  const node = d.find(name).node;
  assert.deepEqual(Object.keys(node), ["type", "properties", "name", "layout_properties"]);
  const [[row, col]] = levelsOf(node);
  assert.match(row, ID);
  assert.match(col, ID);
  assert.notEqual(row, col);
  assert.match(d.text(), /\n {4}layout_properties: \{ grid_position: "[A-Z]{6},[A-Z]{6}" \}\n/);
});

test("left and right of a component: a new column in its row, the row's widths even again", () => {
  const d = twoRows();
  d.add("TextBox", "", { beside: "c", side: "right" });
  d.add("Button", "", { beside: "a", side: "left" });
  assert.deepEqual(order(d), ["button_1", "a", "b", "c", "text_box_1"]);
  const [row, col] = position(d, "text_box_1").split(",");
  assert.equal(row, "ROWBBB");
  assert.notEqual(col, "COLCCC");
  assert.match(position(d, "button_1"), /^ROWAAA,[A-Z]{6}$/);
  // the first row's look goes with it; the rows that gained a column lost their widths
  assert.equal(d.find("button_1").node.layout_properties.full_width_row, true);
  assert.equal(d.find("text_box_1").node.layout_properties.full_width_row, undefined);
  assert.equal(d.form.properties.col_widths, "{}");
});

test("above and below: a new row for a component alone in its row, its column otherwise", () => {
  const d = twoRows();
  d.add("Label", "", { beside: "c", side: "above" });
  assert.deepEqual(order(d), ["a", "b", "label_1", "c"]);
  assert.match(position(d, "label_1"), /^[A-Z]{6},[A-Z]{6}$/);
  assert.ok(!/ROW|COL/.test(position(d, "label_1")));
  d.add("Label", "", { beside: "b", side: "below" });
  assert.deepEqual(order(d), ["a", "b", "label_2", "label_1", "c"]);
  assert.equal(position(d, "label_2"), "ROWAAA,COLBBB"); // stacked in b's column
  d.add("Label", "", { beside: "a", side: "before-row" });
  assert.deepEqual(order(d), ["label_3", "a", "b", "label_2", "label_1", "c"]);
  d.add("Label", "", { beside: "a", side: "after-row" });
  assert.deepEqual(order(d), ["label_3", "a", "b", "label_2", "label_4", "label_1", "c"]);
  assert.equal(d.form.properties.col_widths, '{"COLAAA": 40, "COLBBB": 20, "COLCCC": 60}'); // untouched
});

test("moving a component out of its column removes the emptied column's width", () => {
  const d = twoRows();
  assert.ok(d.move("b", "", { beside: "c", side: "below" }));
  assert.deepEqual(order(d), ["a", "c", "b"]);
  assert.deepEqual(JSON.parse(d.form.properties.col_widths), { COLAAA: 40, COLCCC: 60 });
  assert.equal(d.find("b").node.layout_properties.full_width_row, undefined);
  // within one row: right of another column
  const e = twoRows();
  e.move("a", "", { beside: "b", side: "right" });
  assert.deepEqual(order(e), ["b", "a"].concat(["c"]));
  assert.match(position(e, "a"), /^ROWAAA,[A-Z]{6}$/);
  assert.deepEqual(JSON.parse(e.form.properties.col_widths), { COLCCC: 60 });
  // removing the last member of a column
  const f = twoRows();
  f.remove("c");
  assert.deepEqual(JSON.parse(f.form.properties.col_widths), { COLAAA: 40, COLBBB: 20 });
  f.undo();
  assert.deepEqual(order(f), ["a", "b", "c"]);
});

test("nested rows inside a column keep their levels", () => {
  const list = [
    { name: "a", layout_properties: { grid_position: "R1,C1 N1,M1" } },
    { name: "b", layout_properties: { grid_position: "R1,C1 N1,M2" } },
    { name: "c", layout_properties: { grid_position: "R1,C2" } },
  ];
  const node = { name: "x" };
  const { index } = placeBeside(list, node, list[1], "right", new Set());
  assert.equal(index, 2);
  assert.match(node.layout_properties.grid_position, /^R1,C1 N1,[A-Z]{6}$/);
  const other = { name: "y" };
  assert.equal(placeBeside(list, other, list[0], "above", new Set()).index, 0);
  assert.equal(other.layout_properties.grid_position, "R1,C1 N1,M1"); // its row has two columns
});

test("a component without a position gets one to share its row", () => {
  const d = design(
    '{"container": {"type": "ColumnPanel"}, "components": [{"name": "a", "type": "Label"}, {"name": "b", "type": "Label"}]}',
  );
  d.format = "json";
  d.add("Button", "", { beside: "a", side: "right" });
  assert.deepEqual(order(d), ["a", "button_1", "b"]);
  const [row] = position(d, "a").split(",");
  assert.equal(position(d, "button_1").split(",")[0], row);
  assert.equal(d.find("b").node.layout_properties, undefined); // untouched
});

test("column widths: dragged, or set for one column with the others sharing the rest", () => {
  const d = twoRows();
  assert.deepEqual(d.columnOf("a").weights, { COLAAA: 40, COLBBB: 20 });
  d.setColumnWidth("a", 45);
  assert.deepEqual(JSON.parse(d.form.properties.col_widths), { COLAAA: 45, COLBBB: 15, COLCCC: 60 });
  d.setColumnWidths("", { COLAAA: 30.4, COLBBB: 29.6 });
  assert.deepEqual(JSON.parse(d.form.properties.col_widths), { COLAAA: 30, COLBBB: 30, COLCCC: 60 });
  assert.deepEqual(weightsOf({ X: 4, Y: 8 }, ["X", "Y"]), { X: 20, Y: 40 }); // Anvil's older 12
  assert.deepEqual(weightsOf({}, ["X", "Y", "Z"]), { X: 20, Y: 20, Z: 20 });
  assert.equal(d.columnOf("c").cols.length, 1);
});

test("GridPanel: beside a component shares its row, above or below makes a row", () => {
  const d = design(`container: {type: GridPanel}
components:
- {type: Label, name: a, layout_properties: {row: RA, width_xs: 12}}
is_package: true
`);
  d.add("Button", "", { beside: "a", side: "right" });
  assert.deepEqual(d.find("a").node.layout_properties, { row: "RA", width_xs: 6 });
  assert.deepEqual(d.find("button_1").node.layout_properties, { row: "RA", width_xs: 6 });
  d.add("Label", "", { beside: "a", side: "below" });
  assert.deepEqual(order(d), ["a", "button_1", "label_1"]);
  assert.match(d.find("label_1").node.layout_properties.row, ID);
});

test("slots, columns and positions come from the drop; other containers keep the order", () => {
  const d = design(`container: {type: HtmlTemplate, properties: {html: '@theme:standard-page.html'}}
components:
- type: XYPanel
  name: xy
  layout_properties: {slot: default}
  components: []
- type: LinearPanel
  name: stack
  layout_properties: {slot: default}
  components: []
is_package: true
`);
  d.add("Label", "", { layout: { slot: "title" } });
  assert.deepEqual(d.find("label_1").node.layout_properties, { slot: "title" });
  d.add("Button", "xy", { layout: { x: 30, y: 40 } });
  assert.deepEqual(d.find("button_1").node.layout_properties, { x: 30, y: 40 });
  d.add("Label", "stack");
  d.add("TextBox", "stack", { before: "label_2" });
  assert.deepEqual(order(d, "stack"), ["text_box_1", "label_2"]);
  // moving into another kind of container starts its layout afresh
  d.move("button_1", "stack", { after: "label_2" });
  assert.deepEqual(order(d, "stack"), ["text_box_1", "label_2", "button_1"]);
  assert.deepEqual(d.find("button_1").node.layout_properties, {});
  // a RepeatingPanel's items come from its template: nothing is put in it
  d.add("RepeatingPanel", "");
  assert.equal(d.add("Label", "repeating_panel_1"), null);
  assert.equal(d.find("repeating_panel_1").node.components, undefined);
});

test("a new DataGrid has three columns; its columns and data bindings are written as Anvil does", () => {
  const d = design("container: {type: ColumnPanel}\ncomponents: []\nis_package: true\n");
  const grid = d.add("DataGrid", "");
  const columns = d.property(grid, "columns");
  assert.deepEqual(
    columns.map((c) => [c.title, c.data_key]),
    [
      ["Column 1", "column_1"],
      ["Column 2", "column_2"],
      ["Column 3", "column_3"],
    ],
  );
  for (const column of columns) assert.match(column.id, ID);
  const box = d.add("TextBox", "");
  d.editBindings(box, (list) => list.push({ property: "text", code: "self.item['name']", writeback: true }));
  d.editBindings(box, (list) => list.push({ property: "enabled", code: "", writeback: false }));
  d.editBindings(box, (list) => list.splice(1, 1));
  const text = d.text();
  assert.match(
    text,
    /\n {4}data_bindings:\n {6}- \{ property: text, code: "self\.item\['name'\]", writeback: true \}\n/,
  );
  assert.match(text, /\n {6}columns:\n {8}- \{ id: [A-Z]{6}, title: Column 1, data_key: column_1 \}\n/);
  const data = parse(text);
  assert.deepEqual(data.components[1].data_bindings, [
    { property: "text", code: "self.item['name']", writeback: true },
  ]);
  d.editBindings(box, (list) => list.splice(0));
  assert.deepEqual(d.find(box).node.data_bindings, []); // held: kept, empty
});

test("a data binding of a property the component lacks is warned about, and kept", () => {
  const d = design(`container: {type: ColumnPanel}
components:
- type: Label
  name: a
  data_bindings:
  - {property: sparkle, code: self.item, writeback: false}
  - {property: text, code: self.item, writeback: false}
is_package: true
`);
  assert.deepEqual(designWarnings(d, "", []), ["a: a data binding of sparkle, which it lacks (kept)"]);
  assert.equal(d.bindings("a").length, 2);
});
