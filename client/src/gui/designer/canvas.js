// The designer's canvas: the form drawn by the running app's own drawing (../draw.js, with
// the look of ../components.css), selection, and drag and drop (new components from the
// palette, and moving components between and within containers). Invisible components
// (Timer) sit in a tray under the form.
//
// Where a drop goes depends on the container under the pointer (see #spot): in a ColumnPanel
// (or a Link) the edges of a component make a new column beside it, its top and bottom half
// a new row (or a place in its column); between rows, a new row; a GridPanel likewise; an
// XYPanel takes the point; an HtmlTemplate the slot, a DataRowPanel the column, a RichText
// the {slot} under the pointer; other containers the position among their children. A line
// shows where. Column boundaries in a ColumnPanel's rows are dragged (or moved with the arrow
// keys) to weigh the columns.

import { attach, control, draw, slot } from "../draw.js";
import { columnTracks } from "../draw-containers.js";
import { COMPONENTS, holdsChildren } from "./catalogue.js";

const NEW = "application/x-widgetbox-new";
const MOVE = "application/x-widgetbox-move";
/** Containers whose children go in rows and columns (grid_position). */
const GRIDDED = new Set(["ColumnPanel", "Link"]);
/** How near a nested container's edge (px) a drop goes beside it rather than into it. */
const EDGE = 8;

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
   *          onDelete: (name: string) => void, onColumns: (container: string, weights: object) => void,
   *          editable: boolean}} options
   */
  constructor(root, { onSelect, onDrop, onDelete, onColumns, editable }) {
    this.root = root;
    this.onSelect = onSelect;
    this.onDrop = onDrop;
    this.onDelete = onDelete;
    this.onColumns = onColumns;
    this.editable = editable;
    this.line = el("div", "wb-d-drop-line");
    this.line.setAttribute("aria-hidden", "true");
    this.dragging = null; // the name of the component being moved
    this.grab = null; // where in it the pointer took it
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
    if (editable) {
      this.#dragAndDrop();
      this.#columnHandles();
    }
  }

  /** Draw `design` (a FormDesign) with `selected` marked; `rowColumns`: the columns of the
   * DataGrid a form whose container is a DataRowPanel is the row template of. */
  render(design, selected, { rowColumns } = {}) {
    this.design = design;
    this.selected = selected;
    this.rowColumns = rowColumns ?? [];
    const container = design.form;
    const type = COMPONENTS[container.type]?.container ? container.type : "ColumnPanel";
    const props = valuesOf(type, container);
    if (type === "DataRowPanel") props._columns = this.rowColumns;
    const form = this.#container(type, "", props, design.components);
    if (type === "DataRowPanel") form.style.setProperty("--wb-dg-columns", columnTracks(this.rowColumns));
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
    for (const node of shown) attach(box, type, this.#slot(type, node, props), node.layout_properties || {});
    if (this.editable && GRIDDED.has(type)) this.#addHandles(box, name);
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

  #slot(parentType, node, parentProps) {
    const type = node.type;
    const props = valuesOf(type, node);
    // a DataRowPanel in a DataGrid has the grid's columns
    if (type === "DataRowPanel" && parentType === "DataGrid") props._columns = parentProps.columns;
    const layout = node.layout_properties || {};
    const holder = slot(parentType, layout);
    holder.classList.add("wb-d-slot");
    holder.dataset.name = node.name;
    holder.setAttribute("aria-label", `${node.name} (${type})`);
    if (this.editable) holder.draggable = true;
    const container = holdsChildren(type);
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
      const slot = event.target.closest?.("[data-name]");
      if (!slot?.dataset.name || this.resizing) {
        if (this.resizing) event.preventDefault();
        return;
      }
      event.dataTransfer.setData(MOVE, slot.dataset.name);
      event.dataTransfer.setData("text/plain", slot.dataset.name);
      event.dataTransfer.effectAllowed = "move";
      const rect = slot.getBoundingClientRect();
      this.dragging = slot.dataset.name;
      this.grab = { x: event.clientX - rect.left, y: event.clientY - rect.top, width: rect.width, height: rect.height };
      slot.classList.add("wb-d-dragging");
    });
    root.addEventListener("dragend", (event) => {
      event.target.closest?.("[data-name]")?.classList.remove("wb-d-dragging");
      this.dragging = this.grab = null;
      this.#clear();
    });
    root.addEventListener("dragover", (event) => {
      const types = [...event.dataTransfer.types];
      if (!types.includes(NEW) && !types.includes(MOVE)) return;
      const spot = this.#spot(event);
      if (!spot) {
        this.#clear();
        return;
      }
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
      this.dragging = this.grab = null;
      if (!spot || (!type && !name)) return;
      event.preventDefault();
      this.onDrop({ type, name, container: spot.container, where: spot.where });
    });
  }

  /**
   * Where a drop at the pointer would go: {box (the container's element), container (its
   * name), where (for the model's add and move), mark (the line's rectangle)}; null where
   * nothing can go (the dragged component itself).
   */
  #spot(event) {
    let box = event.target.closest?.("[data-container]");
    if (!box || !this.root.contains(box)) return null;
    const point = { x: event.clientX, y: event.clientY };
    let slot = this.#childSlot(box, event.target);
    // a container's own edge (not one of its children's): beside it, in the container it is in
    const holder = box.parentElement?.classList.contains("wb-d-slot") ? box.parentElement : null;
    const outer = holder?.parentElement?.closest("[data-container]");
    if (!slot && holder && outer && this.root.contains(outer)) {
      const r = holder.getBoundingClientRect();
      if (Math.min(point.x - r.left, r.right - point.x, point.y - r.top, r.bottom - point.y) < EDGE) {
        box = outer;
        slot = holder;
      }
    }
    const type = box.dataset.type;
    // a component dropped on itself stays (in an XYPanel, it moves to the point)
    if (slot && slot.dataset.name === this.dragging && type !== "XYPanel") return null;
    const spot = { box, container: box.dataset.container, where: {}, mark: null };
    if (GRIDDED.has(type) || type === "GridPanel") this.#besideSpot(spot, slot, point, type);
    else if (type === "XYPanel") this.#pointSpot(spot, point);
    else if (type === "HtmlTemplate")
      this.#slotSpot(spot, event.target.closest("[anvil-slot], [anvil-drop-slot]"), point);
    else if (type === "DataRowPanel") this.#cellSpot(spot, event.target.closest(".anvil-drp-cell"), point);
    else if (type === "RichText") {
      const mark = event.target.closest(".anvil-rt-slot");
      const name = mark && mark.closest("[data-container]") === box ? mark.dataset.wbSlot.split(":")[0] : "";
      this.#orderSpot(spot, this.#slotsIn(box, box), point, false);
      spot.where.layout = { slot: name };
      if (mark && name) spot.mark = outline(mark.getBoundingClientRect());
    } else this.#orderSpot(spot, this.#slotsIn(box, box), point, type === "FlowPanel");
    return spot;
  }

  /** The slot of a direct child of `box` that holds `node`, or null. */
  #childSlot(box, node) {
    let found = node.closest?.(".wb-d-slot");
    while (found && box.contains(found)) {
      if (found.parentElement.closest("[data-container]") === box) return found;
      found = found.parentElement.closest(".wb-d-slot");
    }
    return null;
  }

  /** The slots of `box`'s own children inside `within`, in the page's order. */
  #slotsIn(box, within) {
    return [...within.querySelectorAll(".wb-d-slot")].filter(
      (child) => child.parentElement.closest("[data-container]") === box && child.dataset.name !== this.dragging,
    );
  }

  /** Rows and columns: beside the component under the pointer, or between rows. */
  #besideSpot(spot, slot, point, type) {
    if (slot) {
      const r = slot.getBoundingClientRect();
      const edge = Math.min(r.width / 4, 48);
      const side =
        point.x < r.left + edge
          ? "left"
          : point.x > r.right - edge
            ? "right"
            : point.y < r.top + r.height / 2
              ? "above"
              : "below";
      spot.where = { beside: slot.dataset.name, side };
      spot.mark = sideLine(r, side);
      return;
    }
    // between rows: a new row before the first whose middle is below the pointer
    const rowClass = type === "GridPanel" ? "anvil-gp-row" : "anvil-cp-section";
    const body = spot.box.classList.contains("anvil-link")
      ? spot.box.querySelector(":scope > .anvil-link-body")
      : spot.box;
    for (const row of [...body.children].filter((child) => child.classList.contains(rowClass))) {
      const r = row.getBoundingClientRect();
      const member = this.#slotsIn(spot.box, row)[0];
      if (!member || point.y > r.top + r.height / 2) continue;
      spot.where =
        type === "GridPanel"
          ? { beside: member.dataset.name, side: "above" }
          : { beside: member.dataset.name, side: "before-row" };
      spot.mark = sideLine(r, "above");
      return;
    }
    spot.mark = endLine(spot.box);
  }

  /** An XYPanel: where the component's corner will be. */
  #pointSpot(spot, point) {
    const area = spot.box.querySelector(":scope > .anvil-xy-area") ?? spot.box;
    const r = area.getBoundingClientRect();
    const grab = this.grab ?? { x: 0, y: 0, width: 80, height: 32 };
    const x = Math.max(0, Math.round(point.x - grab.x - r.left));
    const y = Math.max(0, Math.round(point.y - grab.y - r.top));
    spot.where = { layout: { x, y } };
    spot.mark = { left: r.left + x, top: r.top + y, width: grab.width, height: grab.height, box: true };
  }

  /** An HtmlTemplate: the slot under the pointer, and the place among what it holds. */
  #slotSpot(spot, slotElement, point) {
    const inside = slotElement && slotElement.closest("[data-container]") === spot.box ? slotElement : null;
    const name = inside ? (inside.getAttribute("anvil-slot") ?? inside.getAttribute("anvil-drop-slot")) : "";
    this.#orderSpot(spot, inside ? this.#slotsIn(spot.box, inside) : [], point, false);
    spot.where.layout = { slot: name || "default" };
    if (inside && !spot.where.before && !spot.where.after) spot.mark = outline(inside.getBoundingClientRect());
  }

  /** A DataRowPanel: the column under the pointer (none: below the row's cells). */
  #cellSpot(spot, cell, point) {
    const inside = cell && cell.closest("[data-container]") === spot.box ? cell : null;
    this.#orderSpot(spot, inside ? this.#slotsIn(spot.box, inside) : [], point, false);
    spot.where.layout = { column: inside?.dataset.wbColumn ?? "" };
    if (inside && !spot.where.before && !spot.where.after) spot.mark = outline(inside.getBoundingClientRect());
  }

  /** Before the first of `slots` the pointer is before (left of, for a FlowPanel), else after
   * the last. */
  #orderSpot(spot, slots, point, horizontal) {
    for (const child of slots) {
      const r = child.getBoundingClientRect();
      const before = horizontal
        ? point.y < r.top || (point.y <= r.bottom && point.x < r.left + r.width / 2)
        : point.y < r.top + r.height / 2;
      if (before) {
        spot.where = { before: child.dataset.name };
        spot.mark = sideLine(r, horizontal ? "left" : "above");
        return;
      }
    }
    const last = slots[slots.length - 1];
    if (last) {
      spot.where = { after: last.dataset.name };
      spot.mark = sideLine(last.getBoundingClientRect(), horizontal ? "right" : "below");
    } else spot.mark = endLine(spot.box);
  }

  #show(spot) {
    const r = this.root.getBoundingClientRect();
    const mark = spot.mark ?? endLine(spot.box);
    this.line.classList.toggle("wb-d-drop-box", Boolean(mark.box));
    Object.assign(this.line.style, {
      left: `${mark.left - r.left + this.root.scrollLeft - this.root.clientLeft}px`,
      top: `${mark.top - r.top + this.root.scrollTop - this.root.clientTop}px`,
      width: `${Math.max(mark.width, 3)}px`,
      height: `${Math.max(mark.height, 3)}px`,
    });
    if (this.line.parentElement !== this.root) this.root.append(this.line);
    for (const marked of this.root.querySelectorAll(".wb-d-target")) {
      if (marked !== spot.box) marked.classList.remove("wb-d-target");
    }
    spot.box.classList.add("wb-d-target");
  }

  #clear() {
    this.line.remove();
    for (const marked of this.root.querySelectorAll(".wb-d-target")) marked.classList.remove("wb-d-target");
  }

  // -- column widths ------------------------------------------------------------------------

  /** A handle on each boundary between two columns of `box`'s rows (`name`: the panel). */
  #addHandles(box, name) {
    const rows = [...box.querySelectorAll(".anvil-cp-row")].filter((row) => row.closest("[data-container]") === box);
    for (const row of rows) {
      const cols = [...row.children].filter((child) => child.classList.contains("anvil-cp-col"));
      if (cols.length < 2) continue;
      const weights = this.design.columnWeights(
        name,
        cols.map((col) => col.dataset.wbCol),
      );
      cols.slice(0, -1).forEach((col, i) => {
        const [left, right] = [col.dataset.wbCol, cols[i + 1].dataset.wbCol];
        const handle = el("div", "wb-d-col-handle");
        Object.assign(handle.dataset, { panel: name, left, right });
        handle.tabIndex = 0;
        handle.setAttribute("role", "separator");
        handle.setAttribute("aria-orientation", "vertical");
        handle.setAttribute("aria-label", `Width of column ${i + 1} of ${cols.length} (of 60; arrow keys change it)`);
        handle.setAttribute("aria-valuemin", "1");
        handle.setAttribute("aria-valuemax", String(Math.round(weights[left] + weights[right]) - 1));
        handle.setAttribute("aria-valuenow", String(Math.round(weights[left])));
        handle.title = "Drag to change the columns' widths";
        col.append(handle);
      });
    }
  }

  /** Dragging a boundary changes the two columns' weights (drawn as it moves, saved once). */
  #columnHandles() {
    const weigh = (handle) => {
      const row = handle.closest(".anvil-cp-row");
      const cols = [...row.children].filter((child) => child.classList.contains("anvil-cp-col"));
      const ids = cols.map((col) => col.dataset.wbCol);
      return { cols, ids, weights: this.design.columnWeights(handle.dataset.panel, ids) };
    };
    const commit = (handle, weights) => this.onColumns(handle.dataset.panel, weights);
    this.root.addEventListener("pointerdown", (event) => {
      const handle = event.target.closest?.(".wb-d-col-handle");
      if (!handle || event.button !== 0) return;
      event.preventDefault();
      event.stopPropagation();
      const { cols, ids, weights } = weigh(handle);
      const [a, b] = [handle.dataset.left, handle.dataset.right];
      const left = cols[ids.indexOf(a)];
      const right = cols[ids.indexOf(b)];
      const start = left.getBoundingClientRect().left;
      const span = right.getBoundingClientRect().right - start;
      const pair = weights[a] + weights[b];
      const moved = { ...weights };
      this.resizing = true;
      const move = (e) => {
        const share = Math.min(Math.max((e.clientX - start) / span, 0), 1);
        moved[a] = Math.min(Math.max(Math.round(pair * share), 1), pair - 1);
        moved[b] = pair - moved[a];
        left.style.setProperty("flex-grow", String(moved[a]));
        right.style.setProperty("flex-grow", String(moved[b]));
      };
      const stop = (e) => {
        handle.removeEventListener("pointermove", move);
        handle.removeEventListener("pointerup", stop);
        handle.removeEventListener("pointercancel", stop);
        this.resizing = false;
        if (e.type === "pointerup") {
          move(e);
          if (moved[a] !== weights[a]) commit(handle, moved);
        }
      };
      handle.setPointerCapture?.(event.pointerId);
      handle.addEventListener("pointermove", move);
      handle.addEventListener("pointerup", stop);
      handle.addEventListener("pointercancel", stop);
    });
    this.root.addEventListener(
      "click",
      (event) => {
        if (event.target.closest?.(".wb-d-col-handle")) event.stopImmediatePropagation();
      },
      true,
    );
    this.root.addEventListener("keydown", (event) => {
      const handle = event.target.closest?.(".wb-d-col-handle");
      if (!handle || (event.key !== "ArrowLeft" && event.key !== "ArrowRight")) return;
      event.preventDefault();
      event.stopPropagation();
      const { weights } = weigh(handle);
      const [a, b] = [handle.dataset.left, handle.dataset.right];
      const step = event.key === "ArrowLeft" ? -1 : 1;
      if (weights[a] + step < 1 || weights[b] - step < 1) return;
      commit(handle, { ...weights, [a]: weights[a] + step, [b]: weights[b] - step });
      // the canvas is drawn again: keep the focus on the same boundary
      this.root.querySelector(`.wb-d-col-handle[data-left="${CSS.escape(a)}"][data-right="${CSS.escape(b)}"]`)?.focus();
    });
  }
}

/** The line's rectangle on the `side` of a rectangle. */
function sideLine(r, side) {
  const t = 3;
  if (side === "left") return { left: r.left - t - 1, top: r.top, width: t, height: r.height };
  if (side === "right") return { left: r.right + 1, top: r.top, width: t, height: r.height };
  if (side === "above") return { left: r.left, top: r.top - t - 1, width: r.width, height: t };
  return { left: r.left, top: r.bottom + 1, width: r.width, height: t };
}

/** The line at the end of a container (inside it, at the bottom). */
function endLine(box) {
  const r = box.getBoundingClientRect();
  return { left: r.left + 4, top: r.bottom - 7, width: Math.max(r.width - 8, 3), height: 3 };
}

function outline(r) {
  return { left: r.left, top: r.top, width: r.width, height: r.height, box: true };
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
