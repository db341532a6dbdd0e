// The inspector's editors for what is more than one value, each written in Anvil's format:
// a component's data bindings ([{property, code, writeback}]), a DataGrid's columns
// ([{id, title, data_key, width, expand}]), a RepeatingPanel's item template (one of the
// app's forms, or a new one), the column a DataRowPanel's child fills and the width of a
// ColumnPanel child's column. Each entry keeps every key it held.

import { h } from "../../lib/dom.js";

let ids = 0;
const nextId = () => `wb-sec-${++ids}`;

/** A labelled row as the inspector lays them out. */
function row(label, control) {
  const id = control.id || nextId();
  control.id = id;
  return h("div", { class: "wb-i-row" }, h("label", { for: id }, label), control);
}

/**
 * The component's data bindings: each one's property (of the component's `properties`),
 * code (a Python expression, e.g. `self.item['name']`) and write-back; add and remove.
 * `edit(change)` calls `change(list)` on a copy of the list and saves it.
 */
export function bindingsSection(bindings, properties, editable, edit) {
  const section = h(
    "section",
    { class: "wb-i-section wb-i-bindings", "aria-label": "Data bindings" },
    h("h3", {}, "Data bindings"),
  );
  bindings.forEach((binding, index) => {
    const n = index + 1;
    const property = h("select", { "aria-label": `Property of data binding ${n}`, disabled: !editable });
    const names = [...properties];
    if (binding.property && !names.includes(binding.property)) names.unshift(binding.property);
    for (const name of names) property.append(h("option", { value: name }, name.replaceAll("_", " ")));
    property.value = binding.property ?? "";
    property.addEventListener("change", () =>
      edit((list) => {
        list[index].property = property.value;
      }),
    );
    const code = h("input", {
      type: "text",
      class: "wb-i-code",
      spellcheck: "false",
      autocapitalize: "none",
      placeholder: "self.item['name']",
      "aria-label": `Code of data binding ${n}`,
      title: "A Python expression (self.item, self.… of the form)",
      disabled: !editable,
    });
    code.value = binding.code ?? "";
    code.addEventListener("change", () =>
      edit((list) => {
        list[index].code = code.value;
      }),
    );
    const writeback = h("input", { type: "checkbox", id: nextId(), disabled: !editable });
    writeback.checked = Boolean(binding.writeback);
    writeback.addEventListener("change", () =>
      edit((list) => {
        list[index].writeback = writeback.checked;
      }),
    );
    const remove = h(
      "button",
      { type: "button", class: "small quiet", "aria-label": `Remove data binding ${n}`, disabled: !editable },
      "Remove",
    );
    remove.addEventListener("click", () => edit((list) => list.splice(index, 1)));
    section.append(
      h(
        "div",
        { class: "wb-i-binding", role: "group", "aria-label": `Data binding ${n}` },
        property,
        code,
        h(
          "div",
          { class: "wb-i-binding-end" },
          h("label", { class: "wb-i-inline", for: writeback.id }, writeback, " write back"),
          remove,
        ),
      ),
    );
  });
  if (!bindings.length)
    section.append(
      h("p", { class: "wb-i-note" }, "None: a property can follow a Python expression, e.g. self.item['name']."),
    );
  if (editable) {
    const add = h("button", { type: "button", class: "small", "data-action": "add-binding" }, "Add data binding");
    add.addEventListener("click", () =>
      edit((list) => {
        const taken = new Set(list.map((binding) => binding.property));
        const first =
          properties.find((name) => !taken.has(name) && name === "text") ??
          properties.find((name) => !taken.has(name)) ??
          properties[0] ??
          "";
        list.push({ property: first, code: "", writeback: false });
      }),
    );
    section.append(h("div", {}, add));
  }
  return section;
}

/**
 * A DataGrid's columns: each one's title, data key, width (pixels; empty: shared) and
 * expand; add, remove, move up and down. `commit(columns)` saves a new list; `freshId()`
 * gives a new column's id.
 */
export function columnsEditor(columns, editable, commit, freshId) {
  const list = Array.isArray(columns) ? columns.filter((column) => column && typeof column === "object") : [];
  const change = (fn) => {
    const copy = structuredClone(list);
    fn(copy);
    commit(copy);
  };
  const box = h("div", { class: "wb-i-columns", role: "group", "aria-label": "Columns" }, h("h4", {}, "columns"));
  list.forEach((column, index) => {
    const n = index + 1;
    const field = (label, key, type = "text") => {
      const input = h("input", {
        type,
        spellcheck: "false",
        "aria-label": `Column ${n} ${label}`,
        disabled: !editable,
        min: type === "number" ? "0" : null,
        placeholder: key === "width" ? "shared" : null,
      });
      input.value = column[key] ?? "";
      input.addEventListener("change", () =>
        change((copy) => {
          const text = input.value.trim();
          if (key === "width") {
            if (text === "" || !Number.isFinite(Number(text))) delete copy[index].width;
            else copy[index].width = Number(text);
          } else copy[index][key] = input.value;
        }),
      );
      return row(label, input);
    };
    const expand = h("input", { type: "checkbox", id: nextId(), disabled: !editable });
    expand.checked = Boolean(column.expand);
    expand.addEventListener("change", () =>
      change((copy) => {
        if (expand.checked) copy[index].expand = true;
        else delete copy[index].expand;
      }),
    );
    const button = (text, label, fn, off) => {
      const found = h(
        "button",
        { type: "button", class: "small quiet", "aria-label": label, disabled: !editable || off },
        text,
      );
      found.addEventListener("click", () => change(fn));
      return found;
    };
    box.append(
      h(
        "fieldset",
        { class: "wb-i-column" },
        h("legend", {}, `Column ${n} `, h("code", {}, String(column.id ?? ""))),
        field("title", "title"),
        field("data key", "data_key"),
        field("width", "width", "number"),
        h("div", { class: "wb-i-row wb-i-check" }, expand, h("label", { for: expand.id }, "expand")),
        h(
          "div",
          { class: "wb-i-column-actions" },
          button(
            "↑",
            `Move column ${n} up`,
            (copy) => copy.splice(index - 1, 0, ...copy.splice(index, 1)),
            index === 0,
          ),
          button(
            "↓",
            `Move column ${n} down`,
            (copy) => copy.splice(index + 1, 0, ...copy.splice(index, 1)),
            index === list.length - 1,
          ),
          button("Remove", `Remove column ${n}`, (copy) => copy.splice(index, 1), false),
        ),
      ),
    );
  });
  if (editable) {
    const add = h("button", { type: "button", class: "small", "data-action": "add-column" }, "Add column");
    add.addEventListener("click", () =>
      change((copy) => {
        const n = copy.length + 1;
        copy.push({ id: freshId(), title: `Column ${n}`, data_key: `column_${n}` });
      }),
    );
    box.append(h("div", {}, add));
  }
  return box;
}

/**
 * A RepeatingPanel's item template: one of `forms` (the app's forms but this one, dotted
 * names), none, or a new one (`make()`, which creates it and sets it).
 */
export function templateEditor(value, forms, editable, commit, make) {
  const select = h("select", { id: nextId(), disabled: !editable });
  select.append(h("option", { value: "" }, "(none)"));
  const names = [...forms];
  if (value && !names.includes(value)) names.push(value);
  for (const name of names)
    select.append(h("option", { value: name }, forms.includes(name) ? name : `${name} (not in this app)`));
  select.value = value ?? "";
  select.addEventListener("change", () => commit(select.value || null));
  const parts = [row("item template", select)];
  if (editable) {
    const button = h(
      "button",
      { type: "button", class: "small", "data-action": "new-item-template" },
      "New item template",
    );
    button.addEventListener("click", make);
    parts.push(h("div", { class: "wb-i-actions" }, button));
  }
  return h("div", { class: "wb-i-template" }, ...parts);
}

/** The column of a DataRowPanel (`columns`: its grid's) a child fills; none: below the cells. */
export function columnChoice(value, columns, editable, commit) {
  const select = h("select", { id: nextId(), disabled: !editable });
  select.append(h("option", { value: "" }, "(below the cells)"));
  const known = columns.filter((column) => column && typeof column === "object" && column.id != null);
  for (const column of known) {
    const id = String(column.id);
    select.append(h("option", { value: id }, `${column.title || column.data_key || "untitled"} (${id})`));
  }
  if (value && !known.some((column) => String(column.id) === String(value)))
    select.append(h("option", { value }, `${value} (not a column of the grid)`));
  select.value = value ?? "";
  select.addEventListener("change", () => commit(select.value));
  return row("column", select);
}

/** The width (of 60) of the column a ColumnPanel's child is in, beside its row's others. */
export function columnWidth(place, editable, commit) {
  const input = h("input", {
    type: "number",
    min: "1",
    max: String(60 - (place.cols.length - 1)),
    step: "1",
    disabled: !editable,
    title: `The column's share of the row: ${place.cols.length} columns share 60`,
  });
  input.value = String(Math.round(place.weights[place.col]));
  input.addEventListener("change", () => {
    const number = Number(input.value);
    if (Number.isFinite(number) && number >= 1) commit(number);
  });
  return row("column width", input);
}
