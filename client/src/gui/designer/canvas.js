// The designer's canvas: the form drawn by the running app's own drawing (../draw.js, with
// the look of ../components.css), selection, and drag and drop (new components from the
// palette, and moving components between and within containers). Invisible components
// (Timer) sit in a tray under the form.

import { control, draw, slot } from "../draw.js";
import { COMPONENTS } from "./catalogue.js";

const NEW = "application/x-widgetbox-new";
const MOVE = "application/x-widgetbox-move";

function el(tag, classes = "", text) {
  const element = document.createElement(tag);
  if (classes) element.className = classes;
  if (text !== undefined) element.textContent = text;
  return element;
}

/** The element of one component, drawn as the running app draws it (../draw.js), made
 * still for the canvas: nothing takes focus or input, hidden components show (their slot is
 * dimmed instead), and empty ones stay visible and clickable. */
function drawStill(type, props) {
  const element = draw(type, props);
  element.classList.remove("anvil-hidden");
  const input = control(element, type);
  if (input !== element || ["TextBox", "TextArea"].includes(type)) {
    input.tabIndex = -1;
    input.disabled = false; // a disabled control would swallow the click that selects it
  }
  switch (type) {
    case "Label":
    case "Button": {
      const label = type === "Label" ? element : input;
      if (!label.textContent) {
        label.textContent = "\u00a0";
        if (type === "Label") element.classList.add("wb-d-empty");
      }
      break;
    }
    case "TextBox":
    case "TextArea":
      input.readOnly = true;
      break;
    case "CheckBox":
    case "RadioButton":
      input.inert = true;
      break;
    case "DropDown":
      if (!input.options.length) input.append(el("option"));
      break;
    case "Image":
      if (!element.firstElementChild.getAttribute("src")) element.append(el("div", "wb-d-image", "Image"));
      break;
    case "Link":
      if (!element.textContent) element.textContent = "link";
      break;
    case "Spacer":
      element.classList.add("wb-d-spacer");
      break;
  }
  return element;
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
    const box = drawStill(type, props);
    box.dataset.name = name;
    box.dataset.container = name;
    box.dataset.type = type;
    box.classList.add("wb-d-container");
    const shown = children.filter((node) => !COMPONENTS[node.type]?.invisible);
    for (const node of shown) box.append(this.#slot(type, node));
    if (!shown.length) box.append(el("div", "wb-d-placeholder", "Drop components here"));
    return box;
  }

  #slot(parentType, node) {
    const type = node.type;
    const props = valuesOf(type, node);
    const layout = node.layout_properties || {};
    const holder = slot(parentType, layout);
    holder.classList.add("wb-d-slot");
    holder.dataset.name = node.name;
    holder.setAttribute("aria-label", `${node.name} (${type})`);
    if (this.editable) holder.draggable = true;
    const inner = COMPONENTS[type].container
      ? this.#container(type, node.name, props, node.components || [])
      : drawStill(type, props);
    if (COMPONENTS[type].container) delete inner.dataset.name; // the slot carries the name
    if (props.visible === false) holder.classList.add("wb-d-invisible");
    holder.append(inner, el("span", "wb-d-badge", node.name));
    return holder;
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
      if (!slot?.dataset.name) return;
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
    const slots = [...box.children].filter(
      (child) => child.dataset?.name !== undefined && child.classList.contains("wb-d-slot"),
    );
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
