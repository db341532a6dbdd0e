// A form's design as data (forms/<Name>.json) and the edits the designer makes to it, with
// undo and redo. Components are found by name (names are unique in a form); the form itself
// is the container named "".

import { COMPONENTS, snake } from "./catalogue.js";

const HISTORY = 200;

function normalize(data) {
  const design = data && typeof data === "object" ? data : {};
  design.container ??= { type: "ColumnPanel" };
  design.container.properties ??= {};
  design.container.event_bindings ??= {};
  design.components ??= [];
  return design;
}

export class FormDesign {
  constructor(name, text) {
    this.name = name;
    this.data = normalize(JSON.parse(text || "{}"));
    this.past = [];
    this.future = [];
  }

  text() {
    return `${JSON.stringify(this.data, null, 2)}\n`;
  }

  // -- finding ----------------------------------------------------------------------------

  /** {node, list, index, parent} for `name` ("" is the form). */
  find(name) {
    if (!name) return { node: null, list: null, index: -1, parent: "" };
    const walk = (list, parent) => {
      for (let index = 0; index < list.length; index++) {
        const node = list[index];
        if (node.name === name) return { node, list, index, parent };
        if (node.components) {
          const found = walk(node.components, node.name);
          if (found) return found;
        }
      }
      return null;
    };
    return walk(this.data.components, "");
  }

  typeOf(name) {
    return name ? this.find(name)?.node?.type : this.data.container.type;
  }

  /** The list of children of container `name` ("" is the form). */
  children(name) {
    if (!name) return this.data.components;
    const node = this.find(name)?.node;
    if (!node || !COMPONENTS[node.type]?.container) return null;
    node.components ??= [];
    return node.components;
  }

  names() {
    const found = new Set();
    const walk = (list) => {
      for (const node of list) {
        found.add(node.name);
        if (node.components) walk(node.components);
      }
    };
    walk(this.data.components);
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

  /** Set a property (the default value removes it from the design). */
  setProperty(name, property, value) {
    this.#change(() => {
      const type = this.typeOf(name);
      const spec = COMPONENTS[type].properties[property];
      const target = name ? this.find(name).node : this.data.container;
      target.properties ??= {};
      if (JSON.stringify(value) === JSON.stringify(spec?.default)) delete target.properties[property];
      else target.properties[property] = value;
    });
  }

  property(name, property) {
    const target = name ? this.find(name)?.node : this.data.container;
    const spec = COMPONENTS[this.typeOf(name)].properties[property];
    return target?.properties && property in target.properties ? target.properties[property] : spec?.default;
  }

  setLayout(name, property, value, spec) {
    this.#change(() => {
      const node = this.find(name).node;
      node.layout_properties ??= {};
      if (JSON.stringify(value) === JSON.stringify(spec?.default)) delete node.layout_properties[property];
      else node.layout_properties[property] = value;
    });
  }

  setEvent(name, event, method) {
    this.#change(() => {
      const target = name ? this.find(name).node : this.data.container;
      target.event_bindings ??= {};
      if (method) target.event_bindings[event] = method;
      else delete target.event_bindings[event];
    });
  }

  event(name, event) {
    const target = name ? this.find(name)?.node : this.data.container;
    return target?.event_bindings?.[event] || "";
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
