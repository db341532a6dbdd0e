// A form's design as data and the edits the designer makes to it, with undo and redo.
// Components are found by name (names are unique in a form); the form itself is the
// container named "".
//
// The design is Anvil's form template: YAML (`form_template.yaml`, read as Anvil reads it,
// YAML 1.1, with dates kept as text like the host's templates.py) or the same data as JSON
// (`form_template.json`, Widgetbox's older `forms/<Name>.json`). It is written back in the
// format it was read in, with every key it held: the designer changes only what is edited,
// and keeps what it does not understand (unknown properties, Anvil's own keys) as it was.

import { Document, isMap, isScalar, isSeq, parse, visit } from "yaml";
import { COMPONENTS, holdsChildren, snake } from "./catalogue.js";
import {
  columnIds,
  freshId,
  idsOf,
  levelsOf,
  parseWidths,
  placeBeside,
  placeInGridPanel,
  rounded,
  rowOf,
  TOTAL,
  weightsOf,
} from "./grid.js";

const HISTORY = 200;
const TIMESTAMP = "tag:yaml.org,2002:timestamp";

const BOOL = "tag:yaml.org,2002:bool";
/** YAML 1.1's booleans as PyYAML and Anvil's own reader (SnakeYAML) take them: `y` and `n`
 * are text (an XYPanel's `{x: 30, y: 40}`). */
const TRUE = /^(?:[Yy]es|YES|[Tt]rue|TRUE|[Oo]n|ON)$/;
const FALSE = /^(?:[Nn]o|NO|[Ff]alse|FALSE|[Oo]ff|OFF)$/;

function readTags(tags) {
  return tags
    .filter((tag) => tag.tag !== TIMESTAMP)
    .map((tag) => (tag.tag === BOOL && tag.test ? { ...tag, test: tag.test.test("true") ? TRUE : FALSE } : tag));
}

const READ = { version: "1.1", customTags: readTags, uniqueKeys: true, maxAliasCount: 1000 };
/** Written with YAML 1.1's full schema, so text that would read as another type (yes, a
 * date) is quoted. */
const WRITE = { version: "1.1", lineWidth: 0, indent: 2 };
/** Mappings written on one line, as Anvil writes them. */
const FLOW = new Set(["properties", "layout_properties", "event_bindings"]);
/** Lists whose mappings Anvil writes one a line (`- {property: text, code: ...}`). */
const FLOW_ITEMS = new Set(["data_bindings", "columns"]);
/** Containers whose children are placed in rows and columns by grid_position. */
const GRIDDED = new Set(["ColumnPanel", "Link"]);

export const isYamlPath = (path) => /\.ya?ml$/.test(path ?? "");

/** The data of a design's text (YAML or JSON by `format`); throws a readable Error. */
export function parseDesign(text, format) {
  if (!text?.trim()) return {};
  return format === "yaml" ? parse(text, READ) : JSON.parse(text);
}

/** A design's data as the text of its format. */
export function designText(data, format) {
  if (format !== "yaml") return `${JSON.stringify(data, null, 2)}\n`;
  const doc = new Document(data, WRITE);
  visit(doc, {
    Pair(_, pair) {
      const key = isScalar(pair.key) ? pair.key.value : pair.key;
      const oneLine = (item) => isScalar(item.value) && !String(item.value.value ?? "").includes("\n");
      if (FLOW.has(key) && isMap(pair.value) && pair.value.items.every(oneLine)) pair.value.flow = true;
      if (FLOW_ITEMS.has(key) && isSeq(pair.value)) {
        for (const item of pair.value.items) if (isMap(item) && item.items.every(oneLine)) item.flow = true;
      }
    },
  });
  return doc.toString(WRITE);
}

export class FormDesign {
  /**
   * @param {string} name the form's name ("Form1", "Form1.RowTemplate1")
   * @param {string} text its design's text
   * @param {"yaml"|"json"} format
   */
  constructor(name, text, format = "json") {
    this.name = name;
    this.format = format;
    const data = parseDesign(text, format);
    this.data = data && typeof data === "object" && !Array.isArray(data) ? data : {};
    this.past = [];
    this.future = [];
  }

  text() {
    return designText(this.data, this.format);
  }

  /** The form's container (read-only when absent: `container()` is made on first edit). */
  get form() {
    return this.data.container && typeof this.data.container === "object" ? this.data.container : {};
  }

  #container() {
    if (!this.data.container || typeof this.data.container !== "object") this.data.container = { type: "ColumnPanel" };
    return this.data.container;
  }

  get components() {
    return Array.isArray(this.data.components) ? this.data.components : [];
  }

  // -- finding ----------------------------------------------------------------------------

  /** {node, list, index, parent} for `name` ("" is the form). */
  find(name) {
    if (!name) return { node: null, list: null, index: -1, parent: "" };
    const walk = (list, parent) => {
      for (let index = 0; index < list.length; index++) {
        const node = list[index];
        if (!node || typeof node !== "object") continue;
        if (node.name === name) return { node, list, index, parent };
        if (Array.isArray(node.components)) {
          const found = walk(node.components, node.name);
          if (found) return found;
        }
      }
      return null;
    };
    return walk(this.components, "");
  }

  typeOf(name) {
    return name ? this.find(name)?.node?.type : this.form.type || "ColumnPanel";
  }

  /** The list of children of container `name` ("" is the form), made if `make`. */
  children(name, make = true) {
    if (!name) {
      if (!Array.isArray(this.data.components)) {
        if (!make) return [];
        this.data.components = [];
      }
      return this.data.components;
    }
    const node = this.find(name)?.node;
    if (!node || !holdsChildren(node.type)) return null;
    if (!Array.isArray(node.components)) {
      if (!make) return [];
      node.components = [];
    }
    return node.components;
  }

  names() {
    const found = new Set();
    const walk = (list) => {
      for (const node of list) {
        if (!node || typeof node !== "object") continue;
        found.add(node.name);
        if (Array.isArray(node.components)) walk(node.components);
      }
    };
    walk(this.components);
    return found;
  }

  /** `text_box_1`, `text_box_2`, ...: the first free name for a new `type`. */
  freshName(type) {
    const taken = this.names();
    for (let n = 1; ; n++) if (!taken.has(`${snake(type)}_${n}`)) return `${snake(type)}_${n}`;
  }

  isInside(name, ancestor) {
    let current = this.find(name);
    while (current?.parent) {
      if (current.parent === ancestor) return true;
      current = this.find(current.parent);
    }
    return false;
  }

  // -- editing (each edit can be undone) ---------------------------------------------------

  #change(edit) {
    const before = JSON.stringify(this.data);
    const result = edit();
    if (JSON.stringify(this.data) !== before) {
      this.past.push(before);
      if (this.past.length > HISTORY) this.past.shift();
      this.future = [];
    }
    return result;
  }

  /** Add a new component of `type` to `container` at `where` (see #put); its name. */
  add(type, container, where = {}) {
    return this.#change(() => {
      const list = this.children(container);
      if (!list || !COMPONENTS[type]) return null;
      const properties = { ...COMPONENTS[type].first };
      if (type === "DataGrid" && !properties.columns) {
        // three columns to start with, as Anvil's designer gives a new grid
        const taken = this.#ids();
        properties.columns = [1, 2, 3].map((n) => ({
          id: freshId(taken),
          title: `Column ${n}`,
          data_key: `column_${n}`,
        }));
      }
      // keys in the order Anvil writes them
      const node = { type, properties, name: this.freshName(type), layout_properties: {} };
      if (holdsChildren(type)) node.components = [];
      this.#put(node, container, list, where, null);
      return node.name;
    });
  }

  /** Move `name` into `container` at `where` (see #put; a number: the position among the
   * children, counted with it). */
  move(name, container, where = {}) {
    if (name === container || this.isInside(container, name) || where?.beside === name) return false;
    return this.#change(() => {
      const from = this.find(name);
      const list = this.children(container);
      if (!from?.node || !list) return false;
      const spot = typeof where === "number" ? { index: where } : { ...where };
      const gone = columnIds(from.list);
      from.list.splice(from.index, 1);
      if (list === from.list && spot.index > from.index) spot.index -= 1;
      this.#tidyColumns(from.parent, from.list, gone);
      this.#put(from.node, container, list, spot, this.typeOf(from.parent));
      return true;
    });
  }

  /**
   * Put `node` in `list`, the children of `container`, at `where`:
   *   {beside: name, side}   in a ColumnPanel or a Link: left, right (a new column), above,
   *                          below (target's column, or a new row), before-row, after-row (a
   *                          new row around target's top-level row); in a GridPanel: left,
   *                          right (target's row), above, below (a new row)
   *   {before: name} or {after: name} or {index}   the position among the children
   *   {layout: {...}}        layout properties (an XYPanel's x and y, a slot, a column; null
   *                          or "" removes one)
   * Without a place, at the end (in a ColumnPanel, a new row). A node coming from a container
   * of another type (`fromType`) starts with no layout properties.
   */
  #put(node, container, list, where, fromType) {
    const spot = typeof where === "number" ? { index: where } : (where ?? {});
    const type = this.typeOf(container);
    if (fromType !== type || !node.layout_properties || typeof node.layout_properties !== "object")
      node.layout_properties = {};
    const target = spot.beside ? list.find((child) => child?.name === spot.beside) : null;
    let index = list.length;
    if (COMPONENTS[node.type]?.invisible) {
      // a Timer takes no place
    } else if (GRIDDED.has(type)) {
      const placed = placeBeside(list, node, target, spot.side, this.#ids());
      index = placed.index;
      if (placed.newColumnIn) this.#evenColumns(container, placed.newColumnIn);
    } else if (type === "GridPanel") {
      index = placeInGridPanel(list, node, target, spot.side, this.#ids());
    } else {
      const sibling = list.findIndex((child) => child?.name === (spot.before ?? spot.after));
      if (sibling >= 0) index = spot.before ? sibling : sibling + 1;
      else if (Number.isInteger(spot.index)) index = Math.max(0, Math.min(spot.index, list.length));
    }
    for (const [key, value] of Object.entries(spot.layout ?? {})) {
      if (value == null || value === "") delete node.layout_properties[key];
      else node.layout_properties[key] = value;
    }
    list.splice(index, 0, node);
  }

  /** A new id (six upper-case letters) for a row, a column or a DataGrid's column. */
  newId() {
    return freshId(this.#ids());
  }

  /** Every id the design uses for rows, columns and grid rows (new ones must differ). */
  #ids() {
    const ids = new Set();
    const walk = (list) => {
      for (const node of list) {
        if (!node || typeof node !== "object") continue;
        for (const id of idsOf([node])) ids.add(id);
        if (node.layout_properties?.row) ids.add(String(node.layout_properties.row));
        for (const id of Object.keys(parseWidths(node.properties?.col_widths))) ids.add(id);
        if (Array.isArray(node.properties?.columns))
          for (const column of node.properties.columns) if (column?.id) ids.add(String(column.id));
        if (Array.isArray(node.components)) walk(node.components);
      }
    };
    walk(this.components);
    for (const id of Object.keys(parseWidths(this.form.properties?.col_widths))) ids.add(id);
    return ids;
  }

  /** The col_widths of `container` ("" the form) as {id: weight}, and whether it holds them. */
  #widths(container) {
    const target = container ? this.find(container)?.node : this.form;
    const text = target?.properties?.col_widths;
    return { held: typeof text === "string", widths: parseWidths(text) };
  }

  #writeWidths(container, widths) {
    const target = this.#target(container);
    if (!target.properties || typeof target.properties !== "object") target.properties = {};
    target.properties.col_widths = JSON.stringify(widths);
  }

  /** Columns `gone` had members before a child left `list`: the ones now empty lose their
   * width. */
  #tidyColumns(container, list, gone) {
    if (!GRIDDED.has(this.typeOf(container))) return;
    const { held, widths } = this.#widths(container);
    if (!held) return;
    const left = columnIds(list);
    const emptied = [...gone].filter((col) => !left.has(col) && col in widths);
    if (!emptied.length) return;
    for (const col of emptied) delete widths[col];
    this.#writeWidths(container, widths);
  }

  /** A row that gained a column: its columns share it evenly again. */
  #evenColumns(container, cols) {
    const { held, widths } = this.#widths(container);
    if (!held || !cols.some((col) => col in widths)) return;
    for (const col of cols) delete widths[col];
    this.#writeWidths(container, widths);
  }

  /** Where `name` is in its ColumnPanel's grid: {container, col, cols (its row's columns),
   * weights (as drawn)}, or null when it is not in one or has no position. */
  columnOf(name) {
    const found = this.find(name);
    if (!found?.node || !GRIDDED.has(this.typeOf(found.parent))) return null;
    const levels = levelsOf(found.node);
    const row = rowOf(found.list, levels);
    if (!row) return null;
    const { widths } = this.#widths(found.parent);
    return { container: found.parent, col: levels[row.depth][1], cols: row.cols, weights: weightsOf(widths, row.cols) };
  }

  /** The weights (of 60) `cols` of `container` are drawn with. */
  columnWeights(container, cols) {
    return weightsOf(this.#widths(container).widths, cols);
  }

  /** Set the weights (of 60) of some columns of `container`, keeping the others'. */
  setColumnWidths(container, weights) {
    this.#change(() => {
      const { widths } = this.#widths(container);
      this.#writeWidths(container, { ...widths, ...rounded(weights) });
    });
  }

  /** Make the column `name` is in `weight` wide (of 60); the row's other columns share the
   * rest as they shared it before. */
  setColumnWidth(name, weight) {
    const place = this.columnOf(name);
    if (!place || place.cols.length < 2) return;
    const mine = Math.min(Math.max(Math.round(Number(weight) || 0), 1), TOTAL - (place.cols.length - 1));
    const others = place.cols.filter((col) => col !== place.col);
    const before = others.reduce((sum, col) => sum + place.weights[col], 0) || 1;
    const weights = {};
    for (const col of place.cols)
      weights[col] = col === place.col ? mine : ((TOTAL - mine) * place.weights[col]) / before;
    this.setColumnWidths(place.container, weights);
  }

  remove(name) {
    return this.#change(() => {
      const found = this.find(name);
      if (!found?.node) return false;
      const gone = columnIds(found.list);
      found.list.splice(found.index, 1);
      this.#tidyColumns(found.parent, found.list, gone);
      return true;
    });
  }

  rename(name, fresh) {
    return this.#change(() => {
      const found = this.find(name);
      if (found?.node) found.node.name = fresh;
    });
  }

  #target(name) {
    return name ? this.find(name).node : this.#container();
  }

  /** Set a property. A property the design does not hold yet is left out while it has its
   * default value; one it holds keeps its place and takes the value. */
  setProperty(name, property, value) {
    this.#change(() => {
      const type = this.typeOf(name);
      const spec = COMPONENTS[type]?.properties[property];
      const target = this.#target(name);
      const held = target.properties && property in target.properties;
      if (!held && JSON.stringify(value) === JSON.stringify(spec?.default)) return;
      if (!target.properties || typeof target.properties !== "object") target.properties = {};
      target.properties[property] = value;
    });
  }

  property(name, property) {
    const target = name ? this.find(name)?.node : this.form;
    const spec = COMPONENTS[this.typeOf(name)]?.properties[property];
    return target?.properties && property in target.properties ? target.properties[property] : spec?.default;
  }

  /** The properties the design holds that the component's type does not have (kept). */
  unknownProperties(name) {
    const target = name ? this.find(name)?.node : this.form;
    const known = COMPONENTS[this.typeOf(name)]?.properties ?? {};
    const held = target?.properties && typeof target.properties === "object" ? target.properties : {};
    return Object.entries(held).filter(([key]) => !(key in known));
  }

  setLayout(name, property, value, spec) {
    this.#change(() => {
      const node = this.find(name).node;
      const held = node.layout_properties && property in node.layout_properties;
      if (!held && JSON.stringify(value) === JSON.stringify(spec?.default)) return;
      if (!node.layout_properties || typeof node.layout_properties !== "object") node.layout_properties = {};
      node.layout_properties[property] = value;
    });
  }

  setEvent(name, event, method) {
    this.#change(() => {
      const target = this.#target(name);
      if (!method && !target.event_bindings?.[event]) return;
      if (!target.event_bindings || typeof target.event_bindings !== "object") target.event_bindings = {};
      if (method) target.event_bindings[event] = method;
      else delete target.event_bindings[event];
    });
  }

  event(name, event) {
    const target = name ? this.find(name)?.node : this.form;
    return target?.event_bindings?.[event] || "";
  }

  /** The component's data bindings ([{property, code, writeback}], Anvil's `data_bindings`). */
  bindings(name) {
    const list = name ? this.find(name)?.node?.data_bindings : null;
    return Array.isArray(list) ? list.filter((binding) => binding && typeof binding === "object") : [];
  }

  /** Change the component's data bindings: `edit(list)` changes a copy (every key of each
   * binding kept); an empty list is left out unless the design held one. */
  editBindings(name, edit) {
    this.#change(() => {
      const node = this.find(name)?.node;
      if (!node) return;
      const list = structuredClone(Array.isArray(node.data_bindings) ? node.data_bindings : []);
      edit(list);
      if (list.length || Array.isArray(node.data_bindings)) node.data_bindings = list;
    });
  }

  /** Events the design binds that the component's type does not raise (kept). */
  unknownEvents(name, known) {
    const target = name ? this.find(name)?.node : this.form;
    const held = target?.event_bindings && typeof target.event_bindings === "object" ? target.event_bindings : {};
    return Object.entries(held).filter(([event]) => !known.includes(event));
  }

  // -- undo and redo ---------------------------------------------------------------------

  undo() {
    if (!this.past.length) return false;
    this.future.push(JSON.stringify(this.data));
    this.data = JSON.parse(this.past.pop());
    return true;
  }

  redo() {
    if (!this.future.length) return false;
    this.past.push(JSON.stringify(this.data));
    this.data = JSON.parse(this.future.pop());
    return true;
  }
}

/** What the designer would warn about in a design: unknown component types, properties and
 * events, and events bound to methods `code` does not define (as host/gui/design.py warns on
 * a save). */
export function designWarnings(design, code, formEvents) {
  const found = [];
  const defines = (method) => new RegExp(`(^|\\s)(def\\s+${method}\\s*\\(|${method}\\s*=)`).test(code ?? "");
  const check = (name, label, events) => {
    for (const [key] of design.unknownProperties(name)) found.push(`${label}: unknown property ${key} (kept)`);
    const target = name ? design.find(name)?.node : design.form;
    for (const [event, method] of Object.entries(target?.event_bindings ?? {})) {
      if (events && !events.includes(event) && !event.startsWith("x-"))
        found.push(`${label}: unknown event ${event} (kept)`);
      if (method && /^[A-Za-z_]\w*$/.test(method) && !defines(method))
        found.push(`${label}: the code has no method ${method}() for its ${event} event`);
    }
    const known = COMPONENTS[design.typeOf(name)]?.properties;
    for (const binding of name ? design.bindings(name) : []) {
      if (known && !(binding.property in known))
        found.push(`${label}: a data binding of ${binding.property || "no property"}, which it lacks (kept)`);
    }
  };
  check("", "the form", formEvents);
  const walk = (list) => {
    for (const node of list) {
      if (!node || typeof node !== "object") continue;
      const spec = COMPONENTS[node.type];
      if (!spec && !String(node.type).startsWith("form:"))
        found.push(`${node.name}: unknown component type ${node.type} (kept, not drawn)`);
      if (spec) check(node.name, node.name, spec.events);
      if (Array.isArray(node.components)) walk(node.components);
    }
  };
  walk(design.components);
  return found;
}
