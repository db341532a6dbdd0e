// The designer's canvas: the form drawn by the running app's own drawing (../draw.js, with
// the look of ../components.css), selection, and drag and drop (new components from the
// palette, and moving components between and within containers). Invisible components
// (Timer) sit in a tray under the form.

import { attach, control, draw, slot } from "../draw.js";
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
  if (!COMPONENTS[type]) {
    const element = el("div", "anvil-component anvil-unknown wb-d-unknown");
    element.textContent = String(type).startsWith("form:")
      ? `${String(type).slice(5)} (a form used as a component)`
      : `${type} (not drawn by Widgetbox; kept)`;
    return element;
  }
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
      const label = element.querySelector(".anvil-text");
      if (label && !label.textContent) {
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
    case "Spacer":
      element.classList.add("wb-d-spacer");
      break;
    case "YouTubeVideo":
      input.removeAttribute("src"); // the IDE's page frames nothing
      element.append(el("div", "wb-d-note", `YouTube video ${props.youtube_id ?? ""}`));
      break;
    case "Plot":
      element.append(el("div", "wb-d-note", "Plot (drawn by plotly.js in the app)"));
      break;
    case "RepeatingPanel":
      element.append(el("div", "wb-d-note", `One ${props.item_template || "item template"} for each item`));
      break;
  }
  return element;
}

function valuesOf(type, node) {
  const spec = COMPONENTS[type]?.properties ?? {};
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
    const container = design.form;
    const type = COMPONENTS[container.type]?.container ? container.type : "ColumnPanel";
    const form = this.#container(type, "", valuesOf(type, container), design.components);
    form.classList.add("wb-d-form");
    form.setAttribute("aria-label", `${design.name} (the form)`);
    const tray = el("div", "wb-d-tray");
    this.#invisible(design.components, tray);
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
    const shown = children.filter((node) => node && typeof node === "object" && !COMPONENTS[node.type]?.invisible);
    for (const node of shown) attach(box, type, this.#slot(type, node), node.layout_properties || {});
    if (type === "Link") {
      // an empty link stays visible; one holding components shows them
      const text = box.querySelector(":scope > .anvil-text");
      if (!text.textContent && !props.icon && !shown.length) {
        text.textContent = "link";
        box.classList.add("anvil-has-text");
      }
    } else if (!shown.length) box.append(el("div", "wb-d-placeholder", "Drop components here"));
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
    const container = Boolean(COMPONENTS[type]?.container);
    const inner = container ? this.#container(type, node.name, props, node.components || []) : drawStill(type, props);
    if (container) delete inner.dataset.name; // the slot carries the name
    if (props.visible === false) holder.classList.add("wb-d-invisible");
    holder.append(inner, el("span", "wb-d-badge", node.name));
    return holder;
  }

  #invisible(list, tray) {
    for (const node of list) {
      if (!node || typeof node !== "object") continue;
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
    // the container's own children's slots (a ColumnPanel keeps them in rows and columns)
    const slots = [...box.querySelectorAll(".wb-d-slot")].filter(
      (child) => child.parentElement.closest("[data-container]") === box,
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
    if (before) before.parentElement.insertBefore(this.line, before);
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
