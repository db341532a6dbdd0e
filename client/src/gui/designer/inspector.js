// The inspector: the selected component's name, properties (an editor for each type from
// the catalogue; a DataGrid's columns and a RepeatingPanel's item template by sections.js),
// layout properties in its container, data bindings and events; or, with nothing selected,
// the form's.

import { COMPONENTS, FORM_EVENTS, GROUPS, nameProblem } from "./catalogue.js";
import { bindingsSection, columnChoice, columnsEditor, columnWidth, templateEditor } from "./sections.js";

let ids = 0;

function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value == null) continue;
    element.setAttribute(name, value === true ? "" : value);
  }
  element.append(...children.filter((child) => child != null && child !== false));
  return element;
}

function words(name) {
  return name.replaceAll("_", " ");
}

/** Items as the designer edits them: one per line, `text` or `text|value`. */
function itemsToText(items) {
  return (items || []).map((item) => (Array.isArray(item) ? `${item[0]}|${item[1] ?? ""}` : item)).join("\n");
}

function textToItems(text) {
  return text
    .split("\n")
    .map((line) => line.trimEnd())
    .filter((line) => line)
    .map((line) => (line.includes("|") ? line.split("|", 2) : line));
}

/** An editor for one property; `commit(value)` is called with the new value. */
function editor(name, spec, value, commit, disabled) {
  const id = `wb-prop-${++ids}`;
  const label = h("label", { for: id, title: spec.help || "" }, words(name));
  let control;
  switch (spec.type) {
    case "boolean":
      control = h("input", { id, type: "checkbox" });
      control.checked = Boolean(value);
      control.addEventListener("change", () => commit(control.checked));
      return h("div", { class: "wb-i-row wb-i-check" }, control, label);
    case "enum":
      control = h("select", { id });
      for (const option of spec.options) control.append(h("option", { value: option }, option));
      control.value = value;
      control.addEventListener("change", () => commit(control.value));
      break;
    case "number":
      control = h("input", {
        id,
        type: "number",
        step: "any",
        min: spec.min,
        max: spec.max,
        placeholder: spec.nullable ? "default" : null,
      });
      control.value = value ?? "";
      control.addEventListener("change", () => {
        const text = control.value.trim();
        if (text === "") return commit(spec.nullable ? null : spec.default);
        const number = Number(text);
        if (Number.isFinite(number)) commit(number);
      });
      break;
    case "text":
      control = h("textarea", { id, rows: 2 });
      control.value = value ?? "";
      control.addEventListener("change", () => commit(control.value));
      break;
    case "items":
      control = h("textarea", { id, rows: 4, placeholder: "one item per line; text|value for a value of its own" });
      control.value = itemsToText(value);
      control.addEventListener("change", () => commit(textToItems(control.value)));
      break;
    case "date":
      control = h("input", { id, type: "date" });
      control.value = value ?? "";
      control.addEventListener("change", () => commit(control.value || null));
      break;
    case "color": {
      // the page lists the theme's colours (theme:Name) in #wb-color-names
      control = h("input", {
        id,
        type: "text",
        placeholder: "e.g. #336699",
        spellcheck: "false",
        list: "wb-color-names",
      });
      control.value = value ?? "";
      const swatch = h("input", { type: "color", "aria-label": `Pick the ${words(name)} colour`, tabindex: "-1" });
      // a colour input always holds one: with none set (or one it cannot show) it is marked
      // empty rather than showing its black
      if (/^#[0-9a-f]{6}$/i.test(value || "")) swatch.value = value;
      else swatch.dataset.empty = value ? "unknown" : "none";
      swatch.addEventListener("input", () => {
        control.value = swatch.value;
        commit(swatch.value);
      });
      control.addEventListener("change", () => commit(control.value.trim()));
      control.disabled = disabled;
      swatch.disabled = disabled;
      return h("div", { class: "wb-i-row" }, label, h("div", { class: "wb-i-color" }, control, swatch));
    }
    case "value":
      control = h("input", { id, type: "text" });
      control.value = value ?? "";
      control.addEventListener("change", () => commit(control.value === "" ? null : control.value));
      break;
    case "size":
      control = h("input", { id, type: "text", placeholder: "default", spellcheck: "false" });
      control.value = value ?? "";
      control.addEventListener("change", () => {
        const text = control.value.trim();
        const number = Number(text);
        commit(text === "" ? spec.default : /^\d+(\.\d+)?$/.test(text) && Number.isFinite(number) ? number : text);
      });
      break;
    case "html":
      control = h("textarea", { id, rows: 4, spellcheck: "false" });
      control.value = value ?? "";
      control.addEventListener("change", () => commit(control.value));
      break;
    case "role":
      // the page lists the theme's roles in #wb-role-names
      control = h("input", { id, type: "text", placeholder: "none", spellcheck: "false", list: "wb-role-names" });
      control.value = Array.isArray(value) ? value.join(", ") : (value ?? "");
      control.addEventListener("change", () => {
        const names = control.value
          .split(",")
          .map((item) => item.trim())
          .filter(Boolean);
        commit(names.length === 0 ? null : names.length === 1 ? names[0] : names);
      });
      break;
    case "object":
    case "spacing": {
      control = h("textarea", { id, rows: 2, spellcheck: "false", placeholder: "JSON, e.g. null" });
      control.value = value == null ? "" : JSON.stringify(value);
      const error = h("p", { class: "wb-i-error", role: "alert", hidden: true });
      control.addEventListener("change", () => {
        try {
          const parsed = control.value.trim() ? JSON.parse(control.value) : null;
          error.hidden = true;
          commit(parsed);
        } catch {
          error.textContent = "Not JSON: kept as it was.";
          error.hidden = false;
        }
      });
      control.disabled = disabled;
      return h("div", { class: "wb-i-row" }, label, control, error);
    }
    default:
      control = h("input", { id, type: spec.type === "uri" ? "url" : "text", spellcheck: "false" });
      control.value = value ?? "";
      control.addEventListener("change", () => commit(control.value));
  }
  control.disabled = disabled;
  return h("div", { class: "wb-i-row" }, label, control);
}

export class Inspector {
  constructor(root, handlers) {
    this.root = root;
    this.on = handlers;
  }

  /** `context`: {forms (the app's forms' names), columnsOf(container) (a DataRowPanel's
   * columns, from its grid), propertiesOf(type) (a form used as a component's)}. */
  render(design, selected, editable, warnings = [], context = {}) {
    const type = design.typeOf(selected);
    const spec = COMPONENTS[type];
    const parts = [];
    const heading = selected ? `${selected}` : `${design.name} (the form)`;
    parts.push(h("h2", { class: "wb-i-title" }, heading, h("span", { class: "wb-i-type" }, String(type))));
    if (selected) parts.push(this.#name(design, selected, editable));
    if (!selected && warnings.length) parts.push(this.#warnings(warnings));
    if (!spec) {
      parts.push(
        h(
          "p",
          { class: "wb-i-note" },
          String(type).startsWith("form:")
            ? `A form used as a component (${String(type).slice(5)}): its properties are kept as they are.`
            : `Widgetbox does not know the type ${type}: it is kept as it is and drawn as a placeholder.`,
        ),
      );
      parts.push(this.#kept(design, selected, editable));
      if (selected && String(type).startsWith("form:"))
        parts.push(
          bindingsSection(design.bindings(selected), context.propertiesOf?.(type) ?? [], editable, (edit) =>
            this.on.bindings(selected, edit),
          ),
        );
      this.root.replaceChildren(...parts.filter(Boolean));
      return;
    }

    const groups = new Map(GROUPS.map((group) => [group, []]));
    for (const [name, prop] of Object.entries(spec.properties)) {
      const value = design.property(selected, name);
      const commit = (fresh) => this.on.property(selected, name, fresh);
      const row =
        prop.type === "form"
          ? templateEditor(
              value,
              (context.forms ?? []).filter((form) => form !== design.name),
              editable,
              commit,
              () => this.on.newTemplate(selected),
            )
          : type === "DataGrid" && name === "columns"
            ? columnsEditor(value, editable, commit, () => design.newId())
            : editor(name, prop, value, commit, !editable);
      (groups.get(prop.group) ?? groups.get("appearance")).push(row);
    }
    const properties = h("section", { class: "wb-i-section", "aria-label": "Properties" }, h("h3", {}, "Properties"));
    for (const [group, rows] of groups) {
      if (!rows.length) continue;
      properties.append(h("h4", {}, group), ...rows);
    }
    parts.push(properties);
    const kept = this.#kept(design, selected, editable);
    if (kept) parts.push(kept);

    if (selected) {
      const found = design.find(selected);
      const parentType = design.typeOf(found.parent);
      const layout = COMPONENTS[parentType]?.layout ?? {};
      if (Object.keys(layout).length) {
        const section = h(
          "section",
          { class: "wb-i-section", "aria-label": "Layout" },
          h("h3", {}, `Layout in the ${parentType}`),
        );
        const place = design.columnOf(selected);
        if (place && place.cols.length > 1)
          section.append(columnWidth(place, editable, (weight) => this.on.columnWidth(selected, weight)));
        for (const [name, prop] of Object.entries(layout)) {
          const value = found.node.layout_properties?.[name] ?? prop.default;
          if (parentType === "DataRowPanel" && name === "column") {
            const columns = context.columnsOf?.(found.parent) ?? [];
            section.append(columnChoice(value, columns, editable, (v) => this.on.layout(selected, name, v, prop)));
            continue;
          }
          section.append(
            editor(
              name,
              { ...prop, group: "layout" },
              value,
              (v) => this.on.layout(selected, name, v, prop),
              !editable,
            ),
          );
        }
        parts.push(section);
      }
    }

    if (selected)
      parts.push(
        bindingsSection(design.bindings(selected), Object.keys(spec.properties), editable, (edit) =>
          this.on.bindings(selected, edit),
        ),
      );
    parts.push(this.#events(design, selected, selected ? spec.events : FORM_EVENTS, editable));
    if (selected && editable) {
      const remove = h(
        "button",
        { type: "button", class: "danger small", "data-action": "delete-component" },
        `Delete ${selected}`,
      );
      remove.addEventListener("click", () => this.on.remove(selected));
      parts.push(h("div", { class: "wb-i-section" }, remove));
    }
    this.root.replaceChildren(...parts.filter(Boolean));
  }

  /** What the design holds that this type does not have: shown, kept, not edited here. */
  #kept(design, selected) {
    const unknown = design.unknownProperties(selected);
    if (!unknown.length) return null;
    const section = h(
      "section",
      { class: "wb-i-section wb-i-kept", "aria-label": "Kept from the design" },
      h("h3", {}, "Kept from the design"),
      h("p", { class: "wb-i-note" }, "Properties Widgetbox does not draw; saved as they are."),
    );
    for (const [name, value] of unknown) {
      section.append(
        h(
          "div",
          { class: "wb-i-row" },
          h("span", { class: "wb-i-key" }, words(name)),
          h("code", {}, JSON.stringify(value)),
        ),
      );
    }
    return section;
  }

  #warnings(warnings) {
    const list = h("ul", {});
    for (const text of warnings) list.append(h("li", {}, text));
    return h(
      "section",
      { class: "wb-i-section wb-i-warnings", role: "status", "aria-label": "Warnings" },
      h("h3", {}, `Warnings (${warnings.length})`),
      list,
    );
  }

  #name(design, selected, editable) {
    const id = `wb-prop-${++ids}`;
    const input = h("input", { id, type: "text", spellcheck: "false", autocapitalize: "none" });
    input.value = selected;
    input.disabled = !editable;
    const error = h("p", { class: "wb-i-error", role: "alert", hidden: true });
    const rename = () => {
      const fresh = input.value.trim();
      if (fresh === selected) return;
      const taken = design.names();
      taken.delete(selected);
      const problem = nameProblem(fresh, taken, design.typeOf(""));
      error.textContent = problem;
      error.hidden = !problem;
      input.setAttribute("aria-invalid", problem ? "true" : "false");
      if (!problem) this.on.rename(selected, fresh);
    };
    input.addEventListener("change", rename);
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        rename();
      }
    });
    return h(
      "div",
      { class: "wb-i-section" },
      h("div", { class: "wb-i-row" }, h("label", { for: id }, "name"), input),
      error,
    );
  }

  #events(design, selected, events, editable) {
    const section = h("section", { class: "wb-i-section", "aria-label": "Events" }, h("h3", {}, "Events"));
    for (const event of events) {
      const id = `wb-prop-${++ids}`;
      const method = design.event(selected, event);
      const input = h("input", { id, type: "text", spellcheck: "false", placeholder: "method name" });
      input.value = method;
      input.disabled = !editable;
      input.addEventListener("change", () => this.on.event(selected, event, input.value.trim()));
      const go = h(
        "button",
        { type: "button", class: "small", "data-event": event, disabled: !editable && !method },
        method ? "Edit code" : "Add handler",
      );
      go.setAttribute("aria-label", method ? `Edit ${method} in the code` : `Add a handler for ${event}`);
      go.addEventListener("click", () => this.on.handler(selected, event, input.value.trim()));
      section.append(h("div", { class: "wb-i-row wb-i-event" }, h("label", { for: id }, event), input, go));
    }
    return section;
  }
}
