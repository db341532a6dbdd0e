// Containers' drawing and where their children go (draw.js's `attach` and `release`):
//
//   ColumnPanel (and a Link's body)  sections, rows and columns from each child's grid_position
//                                    ("rowid,colid", nested levels apart by spaces); a child
//                                    without one gets a row of its own. col_widths weighs the
//                                    columns (of 60, or Anvil's older 12); wrap_on stacks them
//                                    on small screens; full_width_row and row_background are the
//                                    row's (the first child of the row decides, as in Anvil)
//   GridPanel                        named rows on 12 columns: col_xs/width_xs ... col_lg/width_lg
//   XYPanel                          x, y and width on an area `height` high
//   HtmlTemplate                     the element named by `slot` (anvil-slot="name"), cloned for
//                                    each child where anvil-slot-repeat="name"; the standard page
//                                    (@theme:standard-page.html) has title, left-nav, nav-right
//                                    and default; an app's own theme asset (@theme:name) is
//                                    drawn once it has come (theme.js)
//   DataGrid                         its body (a header from `columns`, page controls below)
//   DataRowPanel                     the cell of the column named by `column` (else below the row)
//   RichText                         the {slot} named by `slot`
//   others                           in order
//
// Each container keeps its children's holders with their layout properties, so when what
// places them changes (new HTML, new content, new columns) they are placed again here.

import { safeHtml } from "./richtext.js";
import { cssColor, themeTemplate } from "./theme.js";

function el(tag, className) {
  const element = document.createElement(tag);
  if (className) element.className = className;
  return element;
}

const SLOT_CLASSES = {
  ColumnPanel: "anvil-cp-slot",
  Link: "anvil-cp-slot",
  LinearPanel: "anvil-lp-item",
  FlowPanel: "anvil-fp-item",
  GridPanel: "anvil-gp-slot",
  XYPanel: "anvil-xy-slot",
  HtmlTemplate: "anvil-html-slot",
  DataGrid: "anvil-dg-slot",
  DataRowPanel: "anvil-drp-slot",
  RepeatingPanel: "anvil-rp-item",
  RichText: "anvil-rt-item",
};

export function slotClass(parentType) {
  return SLOT_CLASSES[parentType] ?? "anvil-slot";
}

function children(container) {
  container.__wbChildren ??= [];
  return container.__wbChildren;
}

export function attachChild(container, parentType, holder, layout, before) {
  const list = children(container);
  const known = list.indexOf(holder);
  if (known >= 0) list.splice(known, 1);
  holder.__wbLayout = layout;
  holder.__wbParent = container;
  if (before && list.includes(before)) list.splice(list.indexOf(before), 0, holder);
  else list.push(holder);
  place(container, parentType, holder, layout, before);
  afterChange(container, parentType);
}

/** A child with no appearance (a Timer) takes no row, column or slot. */
function place(container, parentType, holder, layout, before) {
  if (holder.classList.contains("anvil-invisible")) {
    container.append(holder);
    return;
  }
  (PLACES[parentType] ?? appendTo((box) => box))(container, holder, layout, before);
}

export function releaseChild(holder) {
  const container = holder.__wbParent;
  if (container) {
    const list = children(container);
    const index = list.indexOf(holder);
    if (index >= 0) list.splice(index, 1);
  }
  const home = holder.parentElement;
  holder.remove();
  tidy(home);
  if (container) afterChange(container, container.__wbType);
  holder.__wbParent = null;
}

/** Place every child again, in order (after what places them changed). */
export function placeAgain(container, parentType) {
  const list = [...children(container)];
  for (const holder of list) holder.remove();
  resetGrid(container);
  for (const holder of list) place(container, parentType, holder, holder.__wbLayout ?? {}, null);
  afterChange(container, parentType);
}

function afterChange(container, parentType) {
  if (parentType === "HtmlTemplate") showSlots(container);
}

/** Remove the grid rows and columns left empty above `element`. */
function tidy(element) {
  let node = element;
  while (node?.dataset?.wbAuto) {
    const parent = node.parentElement;
    if (node.querySelector(".wb-holder")) break;
    const grid = node.closest(".anvil-columnpanel, .anvil-link, .anvil-gridpanel");
    if (grid?.__wbGrid) {
      grid.__wbGrid.rows.delete(node.dataset.wbRow);
      grid.__wbGrid.cols.delete(node.dataset.wbCol);
      grid.__wbGrid.gpRows?.delete(node.dataset.wbGpRow);
    }
    node.remove();
    node = parent;
  }
}

function appendTo(pick) {
  return (container, holder, _layout, before) => {
    const box = pick(container);
    if (before && before.parentElement === box) box.insertBefore(holder, before);
    else box.append(holder);
  };
}

// -- ColumnPanel --------------------------------------------------------------------------------

let fresh = 0;

function gridOf(panel) {
  panel.__wbGrid ??= { rows: new Map(), cols: new Map() };
  return panel.__wbGrid;
}

function resetGrid(container) {
  if (!container.__wbGrid) return;
  const body = columnBody(container);
  for (const section of [...body.querySelectorAll(":scope > .anvil-cp-section")]) section.remove();
  container.__wbGrid = null;
  for (const row of [...container.querySelectorAll(":scope > .anvil-gp-row")]) row.remove();
}

function columnBody(panel) {
  return panel.classList.contains("anvil-link") ? panel.querySelector(":scope > .anvil-link-body") : panel;
}

/** Column weights of `panel` (col_widths: {colid: weight}, of 60 or Anvil's older 12). */
function weigh(panel, row) {
  const cols = [...row.children].filter((child) => child.classList.contains("anvil-cp-col"));
  if (!cols.length) return;
  const widths = panel.__wbColWidths ?? {};
  const even = Math.floor(60 / cols.length);
  const total = cols.reduce((sum, col) => sum + (Number(widths[col.dataset.wbCol]) || even), 0);
  const scale = Math.abs(total - 12) < 0.5 ? 5 : 1;
  const spare = scale === 1 && total < 60 ? 60 - total : 0;
  cols.forEach((col, index) => {
    const weight = (Number(widths[col.dataset.wbCol]) || even) * scale + (index < spare ? 1 : 0);
    col.style.setProperty("flex-grow", String(weight));
  });
}

function placeInColumns(panel, holder, layout, before) {
  const grid = gridOf(panel);
  const body = columnBody(panel);
  const text = String(layout.grid_position ?? "").trim();
  const levels = text ? text.split(/\s+/) : [`wb${++fresh},wb${++fresh}`];
  let parent = null; // the column the next level goes in
  let section = null;
  for (const level of levels) {
    const [rowId, colId = `${rowId}-c`] = level.split(",");
    let row = grid.rows.get(rowId);
    if (!row) {
      row = el("div", `anvil-cp-row anvil-wrap-${panel.__wbWrap ?? "mobile"}`);
      row.dataset.wbRow = rowId;
      row.dataset.wbAuto = "row";
      grid.rows.set(rowId, row);
      if (parent) parent.append(row);
      else {
        section = el("div", "anvil-cp-section");
        section.dataset.wbAuto = "section";
        section.append(row);
        const anchor = before?.closest?.(".anvil-cp-section");
        if (!text && anchor && anchor.parentElement === body) body.insertBefore(section, anchor);
        else body.append(section);
      }
    }
    section ??= row.closest(".anvil-cp-section");
    let col = grid.cols.get(colId);
    if (!col) {
      col = el("div", "anvil-cp-col");
      col.dataset.wbCol = colId;
      col.dataset.wbAuto = "col";
      grid.cols.set(colId, col);
      row.append(col);
      weigh(panel, row);
    }
    parent = col;
  }
  parent.append(holder);
  if (section && !section.__wbStyled) {
    section.__wbStyled = true;
    section.classList.toggle("anvil-full-width-row", Boolean(layout.full_width_row));
    const background = cssColor(layout.row_background);
    if (background) section.style.setProperty("background", background);
  }
}

const columnProps = {
  col_widths: (element, value) => {
    try {
      const parsed = value ? JSON.parse(value) : {};
      element.__wbColWidths = parsed && typeof parsed === "object" ? parsed : {};
    } catch {
      element.__wbColWidths = {};
    }
    for (const row of gridOf(element).rows.values()) weigh(element, row);
  },
  wrap_on: (element, value) => {
    element.__wbWrap = value || "mobile";
    for (const row of gridOf(element).rows.values()) {
      for (const name of [...row.classList]) if (name.startsWith("anvil-wrap-")) row.classList.remove(name);
      row.classList.add(`anvil-wrap-${element.__wbWrap}`);
    }
  },
  col_spacing: (element, value) => swap(element, "anvil-col-spacing-", value),
  row_spacing: (element, value) => setVar(element, "--wb-row-spacing", value == null ? null : `${value}px`),
};

function swap(element, prefix, value) {
  for (const name of [...element.classList]) if (name.startsWith(prefix)) element.classList.remove(name);
  if (value != null && value !== "") element.classList.add(prefix + value);
}

function setVar(element, name, value) {
  if (value == null || value === "") element.style.removeProperty(name);
  else element.style.setProperty(name, value);
}

// -- GridPanel ----------------------------------------------------------------------------------

const SIZES = ["xs", "sm", "md", "lg"];

function placeInGrid(panel, holder, layout) {
  panel.__wbGrid ??= { rows: new Map(), cols: new Map() };
  panel.__wbGrid.gpRows ??= new Map();
  const name = String(layout.row ?? "") || `wb${++fresh}`;
  let row = panel.__wbGrid.gpRows.get(name);
  if (!row) {
    row = el("div", "anvil-gp-row");
    row.dataset.wbGpRow = name;
    row.dataset.wbAuto = "row";
    panel.__wbGrid.gpRows.set(name, row);
    panel.append(row);
  }
  row.classList.toggle(
    "anvil-full-width-row",
    Boolean(layout.full_width_row) || row.classList.contains("anvil-full-width-row"),
  );
  const background = cssColor(layout.row_background);
  if (background) row.style.setProperty("background", background);
  for (const size of SIZES) {
    const col = layout[`col_${size}`];
    const width = layout[`width_${size}`];
    setVar(holder, `--wb-gp-start-${size}`, col == null ? null : String(Number(col) + 1));
    setVar(holder, `--wb-gp-span-${size}`, width == null ? null : String(width));
  }
  row.append(holder);
}

// -- XYPanel ------------------------------------------------------------------------------------

const xyProps = {
  height: (element, value) => setVar(element.firstElementChild, "height", cssSize(value)),
  width: (element, value) => setVar(element.firstElementChild, "width", cssSize(value)),
};

function cssSize(value) {
  if (value == null || value === "" || value === "default") return null;
  if (typeof value === "number" || /^\d+(\.\d+)?$/.test(String(value))) return `${value}px`;
  return /[;{}<>]/.test(String(value)) ? null : String(value);
}

// -- HtmlTemplate -------------------------------------------------------------------------------

const STANDARD_PAGE = `
<div class="wb-page">
  <header class="wb-page-bar">
    <div class="wb-page-title" anvil-slot="title"></div>
    <div class="wb-page-nav-right" anvil-slot="nav-right"></div>
  </header>
  <div class="wb-page-main">
    <nav class="wb-page-nav" anvil-slot="left-nav" anvil-hide-if-slot-empty="left-nav"></nav>
    <main class="wb-page-content" anvil-slot="default"></main>
  </div>
</div>`;

/** The HTML of an `html` property: a theme asset (@theme:name, the app's own
 * theme/assets/name once it is here, see theme.js; else the standard page, or a plain page
 * with a default slot for another name), or the app's own HTML. */
function templateHtml(value, redraw) {
  const text = String(value ?? "").trim();
  if (!text.startsWith("@theme:")) return text;
  const name = text.slice(7);
  const own = themeTemplate(name, redraw);
  if (own != null) return own;
  return name === "standard-page.html" ? STANDARD_PAGE : '<div anvil-slot="default"></div>';
}

function renderHtml(element, value) {
  const body = element.firstElementChild;
  element.__wbHtml = value;
  const redraw = () => {
    if (element.__wbHtml === value) renderHtml(element, value);
  };
  body.replaceChildren(safeHtml(templateHtml(value, redraw)));
  element.dataset.wbTemplate = String(value ?? "").startsWith("@theme:") ? String(value).slice(7) : "custom";
  const slots = {};
  for (const found of body.querySelectorAll("[anvil-slot], [anvil-slot-repeat], [anvil-drop-slot]")) {
    if (found.closest("[data-wb-repeat]")) continue; // inside a repeated slot's template
    const repeat = found.getAttribute("anvil-slot-repeat");
    if (repeat != null) {
      // each child gets a copy of the element, where the element was
      const anchor = document.createComment(`slot ${repeat}`);
      found.dataset.wbRepeat = repeat;
      found.replaceWith(anchor);
      found.removeAttribute("anvil-slot-repeat");
      if (!(repeat in slots)) slots[repeat] = { repeat: found, anchor };
      continue;
    }
    const name = found.getAttribute("anvil-slot") ?? found.getAttribute("anvil-drop-slot");
    if (name != null && !(name in slots)) slots[name] = { element: found };
  }
  element.__wbSlots = slots;
  placeAgain(element, "HtmlTemplate");
}

function placeInSlot(container, holder, layout) {
  const slots = container.__wbSlots ?? {};
  const name = String(layout.slot || "default");
  const found = slots[name] ?? slots.default;
  if (!found) {
    container.firstElementChild.append(holder);
    return;
  }
  if (found.repeat) {
    const copy = found.repeat.cloneNode(true);
    delete copy.dataset.wbRepeat;
    copy.dataset.wbAuto = "copy";
    const inner = copy.querySelector("[anvil-slot]") ?? copy;
    inner.append(holder);
    found.anchor.parentNode.insertBefore(copy, found.anchor);
    return;
  }
  found.element.append(holder);
}

/** Elements shown or hidden by whether a slot holds anything (anvil-if-slot-empty,
 * anvil-hide-if-slot-empty). */
function showSlots(container) {
  const body = container.firstElementChild;
  const slots = container.__wbSlots ?? {};
  const empty = (name) => !slots[name]?.element?.querySelector(".wb-holder");
  for (const found of body.querySelectorAll("[anvil-hide-if-slot-empty]")) {
    found.classList.toggle("anvil-hidden", empty(found.getAttribute("anvil-hide-if-slot-empty")));
  }
  for (const found of body.querySelectorAll("[anvil-if-slot-empty]")) {
    found.classList.toggle("anvil-hidden", !empty(found.getAttribute("anvil-if-slot-empty")));
  }
}

// -- DataGrid and DataRowPanel ------------------------------------------------------------------

function columnsOf(value) {
  return Array.isArray(value) ? value.filter((column) => column && typeof column === "object") : [];
}

function track(column) {
  if (column.width != null && column.width !== "" && !column.expand) return `${Number(column.width) || 100}px`;
  const grow = typeof column.expand === "number" ? column.expand : 1;
  return `minmax(0, ${grow}fr)`;
}

/** The grid tracks of a DataGrid's `columns`, which its header and its rows' cells share. */
export function columnTracks(value) {
  return columnsOf(value).map(track).join(" ") || "minmax(0, 1fr)";
}

function gridColumns(element, _value, props) {
  const columns = columnsOf(props.columns);
  element.style.setProperty("--wb-dg-columns", columnTracks(columns));
  const header = element.querySelector(":scope > .anvil-dg-header");
  header.replaceChildren(
    ...columns.map((column) => {
      const cell = el("div", "anvil-dg-cell anvil-dg-title");
      cell.textContent = column.title == null ? "" : String(column.title);
      return cell;
    }),
  );
  header.classList.toggle("anvil-hidden", props.auto_header === false || !columns.length);
}

function pageControls(element, value) {
  const footer = element.querySelector(":scope > .anvil-dg-footer");
  footer.classList.toggle("anvil-hidden", !value);
  if (!value) return;
  const [text, first, last] = String(value).split("|");
  footer.querySelector(".anvil-dg-page-text").textContent = text;
  for (const button of footer.querySelectorAll("[data-page]")) {
    const back = button.dataset.page === "first" || button.dataset.page === "previous";
    button.disabled = back ? first === "1" : last === "1";
  }
}

function gridSkeleton() {
  const element = el("div");
  const footer = el("div", "anvil-dg-footer anvil-hidden");
  const text = el("span", "anvil-dg-page-text");
  footer.append(text);
  for (const [page, label, symbol] of [
    ["first", "First page", "\u00ab"],
    ["previous", "Previous page", "\u2039"],
    ["next", "Next page", "\u203a"],
    ["last", "Last page", "\u00bb"],
  ]) {
    const button = el("button", "anvil-dg-page");
    button.type = "button";
    button.dataset.page = page;
    button.setAttribute("aria-label", label);
    button.textContent = symbol;
    footer.append(button);
  }
  element.append(el("div", "anvil-dg-header anvil-hidden"), el("div", "anvil-dg-body"), footer);
  return element;
}

function rowCells(element, value) {
  const cells = element.querySelector(":scope > .anvil-drp-cells");
  const columns = columnsOf(value);
  const old = new Map([...cells.children].map((cell) => [cell.dataset.wbColumn, cell]));
  cells.replaceChildren(
    ...columns.map((column) => {
      const id = String(column.id ?? "");
      const cell = old.get(id) ?? el("div", "anvil-dg-cell anvil-drp-cell");
      cell.dataset.wbColumn = id;
      if (!cell.querySelector(":scope > .anvil-drp-value")) cell.prepend(el("span", "anvil-drp-value"));
      return cell;
    }),
  );
  element.__wbColumns = columns;
  placeAgain(element, "DataRowPanel");
}

function rowValues(element, value) {
  const values = value && typeof value === "object" ? value : {};
  for (const cell of element.querySelectorAll(":scope > .anvil-drp-cells > .anvil-drp-cell")) {
    const shown = cell.querySelector(":scope > .anvil-drp-value");
    const held = cell.querySelector(":scope > .wb-holder");
    shown.textContent = held ? "" : (values[cell.dataset.wbColumn] ?? "");
  }
}

function placeInRow(row, holder, layout) {
  const id = String(layout.column ?? "");
  const cell = id
    ? [...row.querySelectorAll(":scope > .anvil-drp-cells > .anvil-drp-cell")].find((c) => c.dataset.wbColumn === id)
    : null;
  (cell ?? row.querySelector(":scope > .anvil-drp-extra")).append(holder);
  if (cell) rowValues(row, row.__wbValues);
}

// -- RichText -----------------------------------------------------------------------------------

function placeInText(container, holder, layout) {
  const name = String(layout.slot ?? "");
  const slot = name ? container.__wbSlots?.[name]?.[0] : null;
  if (slot) {
    for (const node of [...slot.childNodes]) if (node.nodeType === Node.TEXT_NODE) node.remove();
    slot.append(holder);
  } else container.append(holder);
}

// -- what each container is ---------------------------------------------------------------------

const PLACES = {
  ColumnPanel: placeInColumns,
  Link: placeInColumns,
  GridPanel: placeInGrid,
  XYPanel: appendTo((panel) => panel.firstElementChild),
  HtmlTemplate: placeInSlot,
  DataGrid: appendTo((grid) => grid.querySelector(":scope > .anvil-dg-body")),
  DataRowPanel: placeInRow,
  RichText: placeInText,
};

export const CONTAINER_TYPES = {
  ColumnPanel: { props: columnProps },
  Link: {
    props: { col_widths: columnProps.col_widths, wrap_on: columnProps.wrap_on, col_spacing: columnProps.col_spacing },
  },
  LinearPanel: { props: { row_spacing: columnProps.row_spacing } },
  FlowPanel: {
    props: {
      vertical_align: (element, value) => swap(element, "anvil-valign-", value),
      gap: (element, value) => {
        if (value) swap(element, "anvil-gap-", value);
      },
    },
  },
  GridPanel: { props: { row_spacing: columnProps.row_spacing } },
  XYPanel: {
    skeleton: () => {
      const element = el("div");
      element.append(el("div", "anvil-xy-area"));
      return element;
    },
    props: xyProps,
  },
  HtmlTemplate: {
    skeleton: () => {
      const element = el("div");
      element.append(el("div", "anvil-html-body"));
      element.__wbSlots = { default: { element: element.firstElementChild } };
      return element;
    },
    props: { html: renderHtml },
  },
  DataGrid: {
    skeleton: gridSkeleton,
    props: {
      columns: gridColumns,
      auto_header: gridColumns,
      rows_per_page: () => {},
      show_page_controls: () => {},
      wrap_on: (element, value) => swap(element, "anvil-wrap-", value),
      row_spacing: columnProps.row_spacing,
      _pages: pageControls,
    },
  },
  DataRowPanel: {
    skeleton: () => {
      const element = el("div");
      element.append(el("div", "anvil-drp-cells"), el("div", "anvil-drp-extra"));
      return element;
    },
    props: {
      item: () => {},
      auto_display_data: () => {},
      _columns: rowCells,
      _values: (element, value) => {
        element.__wbValues = value;
        rowValues(element, value);
      },
      row_spacing: columnProps.row_spacing,
    },
  },
  RepeatingPanel: { props: { item_template: () => {}, items: () => {} } },
};
