// A form's design as data and the edits the designer makes to it, with undo and redo.
// Components are found by name (names are unique in a form); the form itself is the
// container named "".
//
// The design is Anvil's form template: YAML (`form_template.yaml`, read as Anvil reads it,
// YAML 1.1, with dates kept as text like the host's templates.py) or the same data as JSON
// (`form_template.json`, Widgetbox's older `forms/<Name>.json`). It is written back in the
// format it was read in, with every key it held: the designer changes only what is edited,
// and keeps what it does not understand (unknown properties, Anvil's own keys) as it was.

import { Document, isMap, isScalar, parse, visit } from "yaml";
import { COMPONENTS, snake } from "./catalogue.js";

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
    if (!node || !COMPONENTS[node.type]?.container) return null;
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

  add(type, container, index) {
    return this.#change(() => {
      const list = this.children(container);
      if (!list) return null;
      const node = { name: this.freshName(type), type, properties: { ...COMPONENTS[type].first } };
      if (COMPONENTS[type].container) node.components = [];
      list.splice(index ?? list.length, 0, node);
      return node.name;
    });
  }

  /** Move `name` into `container` before position `index` (counted without it). */
  move(name, container, index) {
    if (name === container || this.isInside(container, name)) return false;
    return this.#change(() => {
      const from = this.find(name);
      const list = this.children(container);
      if (!from?.node || !list) return false;
      from.list.splice(from.index, 1);
      if (list === from.list && index > from.index) index -= 1;
      list.splice(Math.min(index ?? list.length, list.length), 0, from.node);
      return true;
    });
  }

  remove(name) {
    return this.#change(() => {
      const found = this.find(name);
      if (!found?.node) return false;
      found.list.splice(found.index, 1);
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
