// A widget's Data page: its tables, their columns and client permission, a paged, sortable
// grid of rows edited in place, and CSV import and export. Everything goes through the JSON
// API (host/tables/api.py); each change to tables or columns saves a new version of the
// widget's tables.yaml, and the API answers with the tables as they are then.

import { api } from "../lib/api.js";
import { busy, formError, h, pageData, toast } from "../lib/dom.js";
import { plural } from "../lib/format.js";
import { ready } from "../lib/page.js";
import { usersPanel } from "../lib/users.js";

const { widget, page_rows: PAGE, types: TYPES, access: ACCESS } = pageData();
const BASE = `/api/widgets/${widget.slug}/tables`;
const LINKS = new Set(["link_single", "link_multiple"]);
const SORTABLE = new Set(["string", "number", "bool", "date", "datetime", "link_single"]);

const state = { tables: [], current: null, offset: 0, order: null, descending: false, total: 0 };

const $ = (selector) => document.querySelector(selector);
const tableList = $(".table-list");
const view = $(".table-view");
const empty = $(".table-empty");
const grid = $("table.grid");
const info = $(".rows-info");
const access = $("#client-access");
const exportLink = $("[data-action=export]");
const problems = $(".schema-problems");

const tableUrl = (name, rest = "") => `${BASE}/${encodeURIComponent(name)}${rest}`;
const current = () => state.tables.find((table) => table.name === state.current) || null;

// -- tables -------------------------------------------------------------------------------

/** Takes the API's answer about the tables and shows it (`choose`: the table to show). */
function showTables(answer, choose = state.current) {
  state.tables = answer.tables;
  problems.hidden = !answer.problems.length;
  problems.textContent = answer.problems.length
    ? `tables.yaml cannot be read; fix it in the code editor: ${answer.problems.join("; ")}`
    : "";
  const names = state.tables.map((table) => table.name);
  const chosen = names.includes(choose) ? choose : names[0] || null;
  if (chosen !== state.current) {
    state.offset = 0;
    state.order = null;
    state.descending = false;
  }
  state.current = chosen;
  tableList.replaceChildren(
    ...state.tables.map((table) =>
      h(
        "li",
        {},
        h(
          "button",
          {
            type: "button",
            class: "table-choice",
            "data-table": table.name,
            "aria-current": table.name === state.current ? "true" : false,
          },
          h("span", { class: "name" }, table.name),
          h("span", { class: "count" }, plural(table.rows, "row")),
        ),
      ),
    ),
  );
  $(".no-tables").hidden = state.tables.length > 0;
  showTable();
}

function showTable() {
  const table = current();
  view.hidden = !table;
  empty.hidden = Boolean(table);
  if (!table) return;
  $("#table-title").textContent = table.name;
  access.value = table.client;
  exportLink.href = tableUrl(table.name, "/export");
  exportLink.setAttribute("download", `${table.name}.csv`);
  showColumns(table);
}

function showColumns(table) {
  const items = table.columns.map((column) => {
    const kind = TYPES[column.type] + (column.target ? ` → ${column.target}` : "");
    return h(
      "li",
      { "data-column": column.name },
      h("code", {}, column.name),
      h("span", { class: "muted" }, kind),
      h(
        "span",
        { class: "actions" },
        h(
          "button",
          {
            type: "button",
            class: "small quiet",
            "data-action": "edit-column",
            "aria-label": `Edit column ${column.name}`,
          },
          "Edit",
        ),
        h(
          "button",
          {
            type: "button",
            class: "small quiet danger-text",
            "data-action": "delete-column",
            "aria-label": `Delete column ${column.name}`,
          },
          "Delete",
        ),
      ),
    );
  });
  $(".column-list").replaceChildren(...items);
  $(".no-columns").hidden = table.columns.length > 0;
}

async function loadTables(choose) {
  showTables(await api("GET", `${BASE}/`), choose);
  await loadRows();
}

tableList.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-table]");
  if (!button || button.dataset.table === state.current) return;
  showTables({ tables: state.tables, problems: [] }, button.dataset.table);
  await loadRows();
});

/** A change to tables or columns: `request()` answers the tables; shown, then the rows. */
async function change(button, request, done, choose) {
  return busy(button, async () => {
    try {
      const answer = await request();
      showTables(answer, choose?.(answer) ?? state.current);
      await loadRows();
      if (done) toast(done);
      return true;
    } catch (error) {
      toast(error.message, "bad");
      return false;
    }
  });
}

const newTable = document.querySelector("[data-form=new-table]");
newTable.addEventListener("submit", async (event) => {
  event.preventDefault();
  const name = newTable.elements.name.value.trim();
  if (!name) {
    formError(newTable, "Enter a name for the table.");
    return;
  }
  formError(newTable, "");
  await busy(newTable.querySelector("button[type=submit]"), async () => {
    try {
      showTables(await api("POST", `${BASE}/`, { name }), name);
      await loadRows();
      newTable.reset();
      toast(`Table ${name} added`);
    } catch (error) {
      formError(newTable, error.message);
    }
  });
});

access.addEventListener("change", async () => {
  const table = current();
  const client = access.value;
  const ok = await change(
    access,
    () => api("PATCH", tableUrl(table.name), { client }),
    `Client code: ${ACCESS[client].toLowerCase()} in ${table.name}`,
  );
  if (!ok) access.value = table.client;
});

const tableDialog = $("dialog.table-dialog");
const tableForm = tableDialog.querySelector("form");
tableDialog.querySelector("[data-action=cancel]").addEventListener("click", () => tableDialog.close());
$("[data-action=rename-table]").addEventListener("click", () => {
  tableForm.reset();
  formError(tableForm, "");
  tableForm.elements.name.value = state.current;
  tableDialog.showModal();
});
tableForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const old = state.current;
  const name = tableForm.elements.name.value.trim();
  if (!name || name === old) {
    tableDialog.close();
    return;
  }
  await busy(tableForm.querySelector("button[type=submit]"), async () => {
    try {
      showTables(await api("PATCH", tableUrl(old), { name }), name);
      await loadRows();
      tableDialog.close();
      toast(`Table ${old} is now ${name}`);
    } catch (error) {
      formError(tableForm, error.message);
    }
  });
});

$("[data-action=delete-table]").addEventListener("click", async (event) => {
  const table = current();
  const question = `Delete the table ${table.name} and its ${plural(table.rows, "row")}? This cannot be undone, and code that uses it will fail.`;
  if (!confirm(question)) return;
  await change(event.currentTarget, () => api("DELETE", tableUrl(table.name)), `Table ${table.name} deleted`);
});

// -- columns ------------------------------------------------------------------------------

const columnDialog = $("dialog.column-dialog");
const columnForm = columnDialog.querySelector("form");
let editing = null; // the column being edited, or null when adding one

function showTarget() {
  const isLink = LINKS.has(columnForm.elements.type.value);
  columnForm.querySelector("[data-when=link]").hidden = !isLink;
}
columnForm.elements.type.addEventListener("change", showTarget);
columnDialog.querySelector("[data-action=cancel]").addEventListener("click", () => columnDialog.close());

function openColumnDialog(column) {
  editing = column;
  columnForm.reset();
  formError(columnForm, "");
  $("#column-dialog-title").textContent = column ? `Edit column ${column.name}` : `Add a column to ${state.current}`;
  columnForm.querySelector("button[type=submit]").textContent = column ? "Save column" : "Add column";
  columnForm.querySelector("[data-when=editing]").hidden = !column;
  columnForm.elements.target.replaceChildren(
    ...state.tables.map((table) => h("option", { value: table.name }, table.name)),
  );
  columnForm.elements.name.value = column?.name || "";
  columnForm.elements.type.value = column?.type || "string";
  columnForm.elements.target.value = column?.target || state.current;
  showTarget();
  columnDialog.showModal();
}

$("[data-action=add-column]").addEventListener("click", () => openColumnDialog(null));
$(".column-list").addEventListener("click", async (event) => {
  const button = event.target.closest("[data-action]");
  if (!button) return;
  const name = button.closest("[data-column]").dataset.column;
  const column = current().columns.find((found) => found.name === name);
  if (button.dataset.action === "edit-column") {
    openColumnDialog(column);
    return;
  }
  const question = `Delete the column ${name} of ${state.current} with its values? This cannot be undone, and code that uses it will fail.`;
  if (!confirm(question)) return;
  const where = tableUrl(state.current, `/columns?column=${encodeURIComponent(name)}`);
  await change(button, () => api("DELETE", where), `Column ${name} deleted`);
});

columnForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const name = columnForm.elements.name.value.trim();
  const type = columnForm.elements.type.value;
  const target = LINKS.has(type) ? columnForm.elements.target.value : null;
  if (!name) {
    formError(columnForm, "Enter a name for the column.");
    return;
  }
  let request;
  if (!editing) {
    request = () => api("POST", tableUrl(state.current, "/columns"), { name, type, target });
  } else {
    const changes = {};
    if (name !== editing.name) changes.name = name;
    if (type !== editing.type || (target && target !== editing.target)) {
      changes.type = type;
      if (target) changes.target = target;
    }
    if (!Object.keys(changes).length) {
      columnDialog.close();
      return;
    }
    const where = tableUrl(state.current, `/columns?column=${encodeURIComponent(editing.name)}`);
    request = () => api("PATCH", where, changes);
  }
  await busy(columnForm.querySelector("button[type=submit]"), async () => {
    try {
      showTables(await request());
      await loadRows();
      columnDialog.close();
      toast(editing ? `Column ${name} saved` : `Column ${name} added`);
    } catch (error) {
      formError(columnForm, error.message);
    }
  });
});

// -- rows ---------------------------------------------------------------------------------

async function loadRows() {
  const table = current();
  if (!table) return;
  const query = new URLSearchParams({ offset: state.offset, limit: PAGE });
  if (state.order) {
    query.set("order", state.order);
    query.set("descending", state.descending);
  }
  try {
    const page = await api("GET", `${tableUrl(table.name, "/rows")}?${query}`);
    state.total = page.total;
    table.rows = page.total;
    const count = tableList.querySelector(`[data-table="${CSS.escape(table.name)}"] .count`);
    if (count) count.textContent = plural(page.total, "row");
    showRows(table, page.rows);
  } catch (error) {
    toast(error.message, "bad");
  }
}

function header(table) {
  const cells = table.columns.map((column) => {
    const sorted = state.order === column.name;
    const attributes = { scope: "col", "aria-sort": sorted ? (state.descending ? "descending" : "ascending") : false };
    if (!SORTABLE.has(column.type)) return h("th", attributes, column.name);
    const arrow = sorted ? (state.descending ? " ▼" : " ▲") : "";
    return h(
      "th",
      attributes,
      h(
        "button",
        { type: "button", class: "sort", "data-sort": column.name, "aria-label": `Sort by ${column.name}` },
        column.name,
        h("span", { "aria-hidden": "true" }, arrow),
      ),
    );
  });
  return [
    h("th", { scope: "col", class: "row-id" }, "ID"),
    ...cells,
    h("th", { scope: "col" }, h("span", { class: "sr-only" }, "Actions")),
  ];
}

function cell(column, row) {
  const text = row.text[column.name] ?? "";
  const shown = text === "" ? h("span", { class: "muted" }, "—") : text;
  if (column.type === "media") return h("td", { "data-label": column.name }, shown);
  return h(
    "td",
    { "data-label": column.name },
    h(
      "button",
      {
        type: "button",
        class: "cell",
        "data-column": column.name,
        "data-text": text,
        "aria-label": `${column.name} of row ${row.ref}: ${text || "empty"}; edit`,
      },
      shown,
    ),
  );
}

function rowElement(table, row) {
  const remove = h(
    "button",
    {
      type: "button",
      class: "small quiet danger-text",
      "data-action": "delete-row",
      "aria-label": `Delete row ${row.ref}`,
    },
    "Delete",
  );
  return h(
    "tr",
    { "data-row": row.id, "data-ref": row.ref },
    h("td", { class: "row-id", "data-label": "ID" }, h("code", {}, row.ref)),
    ...table.columns.map((column) => cell(column, row)),
    h("td", { class: "end" }, remove),
  );
}

function showRows(table, rows) {
  grid.querySelector("thead tr").replaceChildren(...header(table));
  grid.querySelector("tbody").replaceChildren(...rows.map((row) => rowElement(table, row)));
  const first = state.total ? state.offset + 1 : 0;
  const last = state.offset + rows.length;
  info.textContent = state.total
    ? `Rows ${first.toLocaleString("en")}–${last.toLocaleString("en")} of ${state.total.toLocaleString("en")}`
    : "No rows yet";
  $("[data-action=previous]").disabled = state.offset === 0;
  $("[data-action=next]").disabled = last >= state.total;
}

$("[data-action=previous]").addEventListener("click", async () => {
  state.offset = Math.max(0, state.offset - PAGE);
  await loadRows();
});
$("[data-action=next]").addEventListener("click", async () => {
  state.offset += PAGE;
  await loadRows();
});

grid.querySelector("thead").addEventListener("click", async (event) => {
  const button = event.target.closest("[data-sort]");
  if (!button) return;
  const name = button.dataset.sort;
  if (state.order === name && !state.descending) state.descending = true;
  else if (state.order === name) state.order = null;
  else {
    state.order = name;
    state.descending = false;
  }
  state.offset = 0;
  await loadRows();
  grid.querySelector(`[data-sort="${CSS.escape(name)}"]`)?.focus();
});

$("[data-action=add-row]").addEventListener("click", async (event) => {
  const table = current();
  await busy(event.currentTarget, async () => {
    try {
      const row = await api("POST", tableUrl(table.name, "/rows"), {});
      state.order = null;
      state.offset = Math.floor(state.total / PAGE) * PAGE; // the last page, where it is
      await loadRows();
      toast(`Row ${row.ref} added`);
      grid.querySelector(`tr[data-row="${row.id}"] .cell`)?.focus();
    } catch (error) {
      toast(error.message, "bad");
    }
  });
});

grid.querySelector("tbody").addEventListener("click", async (event) => {
  const remove = event.target.closest("[data-action=delete-row]");
  if (remove) {
    const tr = remove.closest("tr");
    if (!confirm(`Delete the row ${tr.dataset.ref}? This cannot be undone.`)) return;
    await busy(remove, async () => {
      try {
        await api("DELETE", tableUrl(state.current, `/rows/${tr.dataset.row}`));
        if (state.offset && state.offset >= state.total - 1) state.offset = Math.max(0, state.offset - PAGE);
        await loadRows();
        toast(`Row ${tr.dataset.ref} deleted`);
        (grid.querySelector("tbody .cell") || $("[data-action=add-row]")).focus();
      } catch (error) {
        toast(error.message, "bad");
      }
    });
    return;
  }
  const button = event.target.closest("button.cell");
  if (button) edit(button);
});

/** Edits one cell in place: Enter (or leaving it) saves, Escape cancels. The value goes as
 * text, read by the server as a CSV cell is (numbers, true/false, dates, JSON, row ids). */
function edit(button) {
  const table = current();
  const column = table.columns.find((found) => found.name === button.dataset.column);
  const tr = button.closest("tr");
  const old = button.dataset.text;
  const label = `${column.name} of row ${tr.dataset.ref}`;
  let input;
  if (column.type === "bool") {
    input = h(
      "select",
      { "aria-label": label },
      ...["", "true", "false"].map((value) => h("option", { value }, value || "(empty)")),
    );
  } else if (column.type === "simpleObject") {
    input = h("textarea", { "aria-label": label, rows: 3, spellcheck: "false" });
  } else {
    const type = column.type === "date" ? "date" : "text";
    const mode = column.type === "number" ? "decimal" : false;
    input = h("input", { type, "aria-label": label, inputmode: mode, spellcheck: "false", autocomplete: "off" });
  }
  input.value = old;
  input.classList.add("cell-input");
  button.hidden = true;
  button.after(input);
  input.focus();
  input.select?.();
  let finished = false;
  const close = () => {
    finished = true;
    input.remove();
    button.hidden = false;
  };
  const save = async (keepEditing) => {
    if (finished || input.disabled) return;
    if (input.value === old) {
      close();
      if (keepEditing) button.focus();
      return;
    }
    input.disabled = true;
    try {
      const row = await api("PATCH", tableUrl(table.name, `/rows/${tr.dataset.row}`), {
        text: { [column.name]: input.value },
      });
      close();
      const fresh = rowElement(table, row);
      tr.replaceWith(fresh);
      if (keepEditing) fresh.querySelector(`[data-column="${CSS.escape(column.name)}"]`)?.focus();
    } catch (error) {
      toast(error.message, "bad");
      input.disabled = false;
      if (keepEditing) {
        input.setAttribute("aria-invalid", "true");
        input.focus();
      } else {
        close();
      }
    }
  };
  input.addEventListener("keydown", (key) => {
    if (key.key === "Escape") {
      key.preventDefault();
      close();
      button.focus();
    } else if (key.key === "Enter" && !(input.tagName === "TEXTAREA" && key.shiftKey)) {
      key.preventDefault();
      save(true);
    }
  });
  input.addEventListener("blur", () => save(false));
}

// -- CSV ----------------------------------------------------------------------------------

const importForm = $("[data-form=import]");
const importErrors = importForm.querySelector(".import-errors");
importForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  importErrors.hidden = true;
  const file = importForm.elements.file.files[0];
  if (!file) {
    importErrors.hidden = false;
    importErrors.querySelector(".error").textContent = "Choose a CSV file first.";
    importErrors.querySelector(".problems").replaceChildren();
    return;
  }
  await busy(importForm.querySelector("button[type=submit]"), async () => {
    try {
      const answer = await api("POST", tableUrl(state.current, "/import"), { csv: await file.text() });
      importForm.reset();
      await loadTables(state.current);
      toast(`Imported ${plural(answer.added, "row")}`);
    } catch (error) {
      const listed = error.details?.problems || [];
      const count = error.details?.count || listed.length;
      importErrors.querySelector(".error").textContent =
        error.code === "invalid_csv"
          ? `Nothing was imported: ${plural(count, "problem")}${count > listed.length ? ` (the first ${listed.length} are listed)` : ""}.`
          : error.message;
      importErrors
        .querySelector(".problems")
        .replaceChildren(
          ...listed.map((problem) =>
            h(
              "li",
              {},
              h("strong", {}, `Line ${problem.line}`),
              problem.column ? `, column ${problem.column}` : "",
              `: ${problem.message}`,
            ),
          ),
        );
      importErrors.hidden = false;
    }
  });
});

// -- start --------------------------------------------------------------------------------

Promise.all([loadTables(null), usersPanel(widget)])
  .catch((error) => toast(error.message, "bad"))
  .finally(ready);
