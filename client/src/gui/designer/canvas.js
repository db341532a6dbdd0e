// The designer's canvas: the form drawn with the components' own classes and look
// (../components.css), selection, and drag and drop (new components from the palette, and
// moving components between and within containers). Invisible components (Timer) sit in a
// tray under the form.

import { COMPONENTS } from "./catalogue.js";

const NEW = "application/x-widgetbox-new";
const MOVE = "application/x-widgetbox-move";
const SLOTS = { ColumnPanel: "anvil-cp-row", LinearPanel: "anvil-lp-item", FlowPanel: "anvil-fp-item" };

function el(tag, classes = "", text) {
  const element = document.createElement(tag);
  if (classes) element.className = classes;
  if (text !== undefined) element.textContent = text;
  return element;
}

/** The element of one component, as the running app draws it (without behaviour). */
function draw(type, props) {
  const text = props.text ?? "";
  let outer;
  let target;
  switch (type) {
    case "Label":
      outer = target = el("div", "", text || "\u00a0");
      if (!text) outer.classList.add("wb-d-empty");
      break;
    case "Button": {
      outer = el("div");
      target = el("button", "", text || "\u00a0");
      target.type = "button";
      target.tabIndex = -1;
      outer.append(target);
      break;
    }
    case "TextBox":
    case "TextArea":
      outer = target = el(type === "TextBox" ? "input" : "textarea");
      outer.value = text;
      outer.placeholder = props.placeholder || "";
      outer.readOnly = true;
      outer.tabIndex = -1;
      break;
    case "CheckBox":
    case "RadioButton": {
      outer = target = el("label");
      const box = el("input");
      box.type = type === "CheckBox" ? "checkbox" : "radio";
      box.checked = Boolean(props.checked ?? props.selected);
      box.tabIndex = -1;
      box.inert = true;
      outer.append(box, el("span", "", text));
      break;
    }
    case "DropDown": {
      outer = el("div");
      target = el("select");
      target.tabIndex = -1;
      const items = props.include_placeholder ? [props.placeholder || ""] : [];
      for (const item of props.items || []) items.push(Array.isArray(item) ? item[0] : item);
      for (const item of items.length ? items : [""]) target.append(el("option", "", item));
      outer.append(target);
      break;
    }
    case "DatePicker": {
      outer = el("div");
      target = el("input");
      target.type = props.pick_time ? "datetime-local" : "date";
      target.tabIndex = -1;
      if (props.date) target.value = props.pick_time ? `${props.date}T00:00` : props.date;
      outer.append(target);
      break;
    }
    case "Image": {
      outer = target = el("div");
      if (props.source && !/^\s*(javascript|vbscript):/i.test(props.source)) {
        const image = el("img");
        image.alt = "";
        image.src = props.source;
        outer.append(image);
      } else {
        outer.append(el("div", "wb-d-image", "Image"));
      }
      if (props.height != null) outer.style.height = `${props.height}px`;
      outer.classList.add(`anvil-image-${props.display_mode.replaceAll("_", "-")}`);
      break;
    }
    case "Link":
      outer = target = el("a", "", text || "link");
      break;
    case "Spacer":
      outer = target = el("div", "wb-d-spacer");
      outer.style.height = `${props.height}px`;
      break;
    default:
      outer = target = el("div");
  }
  outer.classList.add("anvil-component", `anvil-${type.toLowerCase()}`);
  style(outer, target, props);
  return outer;
}

function style(outer, target, props) {
  if (props.align) outer.classList.add(`anvil-align-${props.align}`);
  if (props.spacing_above) outer.classList.add(`anvil-spacing-above-${props.spacing_above}`);
  if (props.spacing_below) outer.classList.add(`anvil-spacing-below-${props.spacing_below}`);
  if (props.role) outer.classList.add(`anvil-role-${props.role}`);
  if (props.foreground) target.style.color = props.foreground;
  if (props.background) target.style.backgroundColor = props.background;
  if (props.font) target.style.fontFamily = props.font;
  if (props.font_size != null) target.style.fontSize = `${props.font_size}px`;
  if (props.bold) target.style.fontWeight = "bold";
  if (props.italic) target.style.fontStyle = "italic";
  if (props.underline) target.style.textDecoration = "underline";
  if (props.enabled === false) outer.classList.add("anvil-disabled");
  if (props.tooltip) outer.title = props.tooltip;
}

function valuesOf(type, node) {
  const spec = COMPONENTS[type].properties;
  const values = Object.fromEntries(Object.entries(spec).map(([name, prop]) => [name, prop.default]));
  return { ...values, ...(node?.properties || {}) };
}

export class Canvas {
  /**
   * @param {HTMLElement} root
   * @param {{onSelect: (name: string) => void, onDrop: (drop: object) => void,
   *          onDelete: (name: string) => void, editable: boolean}} options
   */
  constructor(root, { onSelect, onDrop, onDelete, editable }) {
    this.root = root;
    this.onSelect = onSelect;
    this.onDrop = onDrop;
    this.onDelete = onDelete;
    this.editable = editable;
    this.line = el("div", "wb-d-drop-line");
    this.target = null;
    root.addEventListener("click", (event) => {
      const slot = event.target.closest("[data-name]");
      if (!slot || !root.contains(slot)) return;
      event.preventDefault();
      onSelect(slot.dataset.name);
    });
    root.addEventListener("keydown", (event) => {
      if (!this.editable || !this.selected) return;
      if (event.key === "Delete" || event.key === "Backspace") {
        event.preventDefault();
        onDelete(this.selected);
      }
    });
    if (editable) this.#dragAndDrop();
  }

  /** Draw `design` (a FormDesign) with `selected` marked. */
  render(design, selected) {
    this.design = design;
    this.selected = selected;
    const container = design.data.container;
    const form = this.#container(container.type, "", valuesOf(container.type, container), design.data.components);
    form.classList.add("wb-d-form");
    form.setAttribute("aria-label", `${design.name} (the form)`);
    const tray = el("div", "wb-d-tray");
    this.#invisible(design.data.components, tray);
    if (tray.childElementCount) tray.prepend(el("span", "wb-d-tray-title", "Not shown on the form:"));
    this.root.replaceChildren(form, tray);
    const marked = this.root.querySelector(`[data-name="${CSS.escape(selected)}"]`);
    marked?.classList.add("wb-d-selected");
    marked?.setAttribute("aria-current", "true");
  }

  #container(type, name, props, children) {
    const box = el("div");
    box.dataset.name = name;
    box.dataset.container = name;
    box.dataset.type = type;
    box.classList.add("anvil-component", `anvil-${type.toLowerCase()}`, "wb-d-container");
    style(box, box, props);
    if (type === "FlowPanel") box.classList.add(`anvil-gap-${props.spacing}`);
    const shown = children.filter((node) => !COMPONENTS[node.type]?.invisible);
    for (const node of shown) box.append(this.#slot(type, node));
    if (!shown.length) box.append(el("div", "wb-d-placeholder", "Drop components here"));
    return box;
  }

  #slot(parentType, node) {
    const type = node.type;
    const props = valuesOf(type, node);
    const layout = node.layout_properties || {};
    const slot = el("div", `${SLOTS[parentType]} wb-d-slot`);
    slot.dataset.name = node.name;
    slot.setAttribute("aria-label", `${node.name} (${type})`);
    if (this.editable) slot.draggable = true;
    if (layout.full_width_row) slot.classList.add("anvil-full-width");
    if (layout.expand) slot.classList.add("anvil-expand");
    if (layout.width != null) slot.style.width = `${layout.width}px`;
    const inner = COMPONENTS[type].container
      ? this.#container(type, node.name, props, node.components || [])
      : draw(type, props);
    if (COMPONENTS[type].container) delete inner.dataset.name; // the slot carries the name
    if (props.visible === false) slot.classList.add("wb-d-invisible");
    slot.append(inner, el("span", "wb-d-badge", node.name));
    return slot;
  }

  #invisible(list, tray) {
    for (const node of list) {
      if (COMPONENTS[node.type]?.invisible) {
        const chip = el("button", "wb-d-chip", `${node.name} (${node.type})`);
        chip.type = "button";
        chip.dataset.name = node.name;
        tray.append(chip);
      }
      if (node.components) this.#invisible(node.components, tray);
    }
  }

  // -- drag and drop ------------------------------------------------------------------------

  #dragAndDrop() {
    const root = this.root;
    root.addEventListener("dragstart", (event) => {
      const slot = event.target.closest("[data-name]");
      if (!slot || !slot.dataset.name) return;
      event.dataTransfer.setData(MOVE, slot.dataset.name);
      event.dataTransfer.setData("text/plain", slot.dataset.name);
      event.dataTransfer.effectAllowed = "move";
      slot.classList.add("wb-d-dragging");
    });
    root.addEventListener("dragend", (event) => {
      event.target.closest?.("[data-name]")?.classList.remove("wb-d-dragging");
      this.#clear();
    });
    root.addEventListener("dragover", (event) => {
      const types = [...event.dataTransfer.types];
      if (!types.includes(NEW) && !types.includes(MOVE)) return;
      const spot = this.#spot(event);
      if (!spot) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = types.includes(MOVE) ? "move" : "copy";
      this.#show(spot);
    });
    root.addEventListener("dragleave", (event) => {
      if (!root.contains(event.relatedTarget)) this.#clear();
    });
    root.addEventListener("drop", (event) => {
      const spot = this.#spot(event);
      const type = event.dataTransfer.getData(NEW);
      const name = event.dataTransfer.getData(MOVE);
      this.#clear();
      if (!spot || (!type && !name)) return;
      event.preventDefault();
      this.onDrop({ type, name, container: spot.container, index: spot.index });
    });
  }

  /** Where a drop at the pointer would go: the innermost container under it, and the
   * position among its children (before the first child the pointer is before). */
  #spot(event) {
    const box = event.target.closest?.("[data-container]");
    if (!box || !this.root.contains(box)) return null;
    const container = box.dataset.container;
    const horizontal = box.dataset.type === "FlowPanel";
    const slots = [...box.children].filter((child) => child.dataset?.name !== undefined && child.classList.contains("wb-d-slot"));
    let index = slots.length;
    for (let i = 0; i < slots.length; i++) {
      const rect = slots[i].getBoundingClientRect();
      const before = horizontal
        ? event.clientY < rect.top || (event.clientY <= rect.bottom && event.clientX < rect.left + rect.width / 2)
        : event.clientY < rect.top + rect.height / 2;
      if (before) {
        index = i;
        break;
      }
    }
    return { box, container, index, slots, horizontal };
  }

  #show(spot) {
    this.line.classList.toggle("wb-d-drop-line-vertical", spot.horizontal);
    const before = spot.slots[spot.index];
    if (before) spot.box.insertBefore(this.line, before);
    else spot.box.append(this.line);
    for (const marked of this.root.querySelectorAll(".wb-d-target")) marked.classList.remove("wb-d-target");
    spot.box.classList.add("wb-d-target");
  }

  #clear() {
    this.line.remove();
    for (const marked of this.root.querySelectorAll(".wb-d-target")) marked.classList.remove("wb-d-target");
  }
}

/** Make palette buttons draggable onto the canvas. */
export function paletteDrag(button, type) {
  button.draggable = true;
  button.addEventListener("dragstart", (event) => {
    event.dataTransfer.setData(NEW, type);
    event.dataTransfer.setData("text/plain", type);
    event.dataTransfer.effectAllowed = "copy";
  });
}
