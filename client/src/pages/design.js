// A GUI widget's page: the designer (palette, canvas, inspector, undo and redo, live preview)
// for each form, the code editor for each form's client code and the server code, the app's
// settings, and saving (lib/saving.js, as on the code page: a version per save; conflicts
// compared, never overwritten). The live preview runs on the app's own origin.

import { Canvas, paletteDrag } from "../gui/designer/canvas.js";
import { COMPONENTS, FORM_EVENTS, holdsChildren } from "../gui/designer/catalogue.js";
import { Inspector } from "../gui/designer/inspector.js";
import { designWarnings, FormDesign, isYamlPath, parseDesign } from "../gui/designer/model.js";
import { THEME_FILE, ThemeColors } from "../gui/designer/theme.js";
import { findForms, isClientFile } from "../gui/layout.js";
import { applyColors, ROLES } from "../gui/theme.js";
import { askName, h, pageData, toast } from "../lib/dom.js";
import { Editor } from "../lib/editor.js";
import { ready } from "../lib/page.js";
import { Saving } from "../lib/saving.js";

const THEME_ASSETS = "theme/assets/";

const data = pageData();
const widget = data.widget;
const slug = widget.slug;
const canEdit = widget.can_edit;

// -- the files ------------------------------------------------------------------------------
// Designs (each form's form_template.yaml, or its older .yaml or .json) and app.json are data
// the designer edits; every other file is the editor's. Their texts are laid out as the
// designer writes them, so what is compared is what is saved. A design is written back in the
// format it was read in, with every key it held (see gui/designer/model.js). A form built in
// code (_template.py) has no design: its tab says so, and its code is the editor's.

const designs = new Map(); // form name -> FormDesign
const forms = new Map(); // form name -> {name, code, template (null: built in code)}
const broken = new Map(); // form name -> why its design could not be read (it stays a text file)
let app = {};
let savedData = {}; // the designs', app.json's and the theme's texts as last saved or loaded
let saving = null; // set up below, once the editor is
// the theme colours (theme/parameters.yaml, edited in place), painted on the canvas as they change
const theme = new ThemeColors(document.querySelector(".wb-theme-colors"), {
  editable: canEdit,
  onChange: () => {
    paintTheme();
    refreshState();
  },
});

const designPaths = () => new Set([...designs.keys()].map((name) => forms.get(name).template));
const isData = (path) => designPaths().has(path) || path === "app.json" || (path === THEME_FILE && !theme.broken);

/** Takes a version's files: the designs and settings here; returns the code files. */
function read(files) {
  designs.clear();
  forms.clear();
  broken.clear();
  for (const form of findForms(files)) {
    forms.set(form.name, form);
    if (!form.template) continue;
    try {
      designs.set(
        form.name,
        new FormDesign(form.name, files[form.template], isYamlPath(form.template) ? "yaml" : "json"),
      );
    } catch (error) {
      broken.set(form.name, String(error?.message ?? error));
    }
  }
  theme.load(files[THEME_FILE]); // a theme file it cannot read stays a text file
  const code = {};
  for (const [path, text] of Object.entries(files)) if (!isData(path)) code[path] = text;
  app = { startup_form: "Form1", runtime: "brython", ...JSON.parse(files["app.json"] || "{}") };
  savedData = dataFiles();
  return code;
}

function formNames() {
  return [...forms.keys()].sort();
}

function appText() {
  const { startup_form, runtime, ...rest } = app;
  return `${JSON.stringify({ startup_form, runtime, ...rest })}\n`;
}

/** The designs' and app.json's texts as they are now. */
function dataFiles() {
  const files = {};
  for (const [name, design] of designs) files[forms.get(name).template] = design.text();
  files["app.json"] = appText();
  const themeText = theme.broken ? undefined : theme.text();
  if (themeText !== undefined) files[THEME_FILE] = themeText;
  return files;
}

/** Every file as it is now. */
function currentFiles() {
  return { ...editor.files(), ...dataFiles() };
}

function designDirty(name) {
  const form = forms.get(name);
  return Boolean(designs.get(name)) && savedData[form.template] !== designs.get(name).text();
}

function dirty() {
  if (editor.isDirty()) return true;
  const now = dataFiles();
  return [...new Set([...Object.keys(now), ...Object.keys(savedData)])].some((path) => now[path] !== savedData[path]);
}

/** A file's text as the conflict view compares it: designs and settings laid out as saved. */
function comparable(path, text) {
  try {
    const form = [...forms.values()].find((found) => found.template === path);
    if (form) return new FormDesign(form.name, text, isYamlPath(path) ? "yaml" : "json").text();
    if (path === "app.json") return `${JSON.stringify(JSON.parse(text), null, 2)}\n`;
  } catch {
    // not a design: compared as it is
  }
  return text;
}

/** The app's client files for the preview, designs as JSON (the app's page reads no YAML). */
function previewFiles() {
  const files = {};
  for (const [path, text] of Object.entries(currentFiles())) {
    if (!isClientFile(path)) continue;
    files[path] = isYamlPath(path) ? JSON.stringify(parseDesign(text, "yaml")) : text;
  }
  for (const [name, design] of designs) files[forms.get(name).template] = JSON.stringify(design.data);
  return files;
}

const codeFiles = read(data.files);

// -- the page's parts ---------------------------------------------------------------------------

const tabBar = document.querySelector(".designer-tabs");
const designerView = document.querySelector(".designer");
const codeView = document.querySelector(".code-view");
const undoButton = document.querySelector("[data-action=undo]");
const redoButton = document.querySelector("[data-action=redo]");

/** The form to show first: the startup form, else the first. */
function startForm() {
  return forms.has(app.startup_form) ? app.startup_form : formNames()[0];
}

const codeOf = (name) => forms.get(name)?.code ?? `client_code/${name}/__init__.py`;

let view = { kind: "design", form: startForm() };
const selection = new Map();

const editor = new Editor(document.getElementById("editor"), {
  files: codeFiles,
  entry: codeOf(view.form) in codeFiles ? codeOf(view.form) : "server.py",
  readOnly: !canEdit,
  label: `Code of ${widget.title}`,
  styleNonce: data.style_nonce,
  onChange: () => refreshState(),
});

const canvas = new Canvas(document.querySelector(".wb-canvas"), {
  editable: canEdit,
  onSelect: (name) => select(name),
  onDrop: ({ type, name, container, where }) => {
    const design = current();
    if (type) {
      const added = design.add(type, container, where);
      if (added) select(added);
    } else if (name && design.move(name, container, where)) {
      select(name);
    }
  },
  onDelete: (name) => removeComponent(name),
  onColumns: (container, weights) => change(() => current().setColumnWidths(container, weights)),
});

const inspector = new Inspector(document.querySelector(".wb-inspector"), {
  property: (name, property, value) => change(() => current().setProperty(name, property, value)),
  layout: (name, property, value, spec) => change(() => current().setLayout(name, property, value, spec)),
  event: (name, event, method) => change(() => current().setEvent(name, event, method)),
  rename: (name, fresh) => {
    current().rename(name, fresh);
    select(fresh);
  },
  remove: (name) => removeComponent(name),
  handler: (name, event, method) => addHandler(name, event, method),
  bindings: (name, edit) => change(() => current().editBindings(name, edit)),
  columnWidth: (name, weight) => change(() => current().setColumnWidth(name, weight)),
  newTemplate: (name) => newItemTemplate(name),
});

function current() {
  return designs.get(view.form);
}

function change(edit) {
  edit();
  showDesign();
}

function select(name) {
  selection.set(view.form, name || "");
  showDesign();
}

function removeComponent(name) {
  current().remove(name);
  select("");
  document.querySelector(".wb-canvas").focus();
}

// -- tabs -----------------------------------------------------------------------------------------

function tabs() {
  const list = [];
  for (const form of formNames()) {
    list.push({ kind: "design", form, label: form, title: `Design of ${form}` });
    list.push({
      kind: "code",
      path: codeOf(form),
      label: `${form}.py`,
      title: `Client code of ${form} (${codeOf(form)})`,
    });
  }
  list.push({ kind: "code", path: "server.py", label: "Server code", title: "server.py: runs in the sandbox" });
  const shown = new Set(list.map((tab) => tab.path).filter(Boolean));
  for (const path of editor.paths.sort()) {
    if (!shown.has(path)) list.push({ kind: "code", path, label: path, title: path });
  }
  return list;
}

function same(tab) {
  return tab.kind === view.kind && (tab.kind === "design" ? tab.form === view.form : tab.path === view.path);
}

let tabButtons = []; // [button, tab] for each tab shown

function tabDirty(tab) {
  return tab.kind === "design" ? designDirty(tab.form) : editor.isDirty(tab.path);
}

function showTabs() {
  tabButtons = tabs().map((tab) => {
    const label =
      tab.kind === "design"
        ? [
            h("span", { class: "wb-tab-icon", "aria-hidden": "true" }, "▦ "),
            tab.label,
            h("span", { class: "sr-only" }, " design"),
          ]
        : [tab.label];
    const button = h(
      "button",
      {
        type: "button",
        role: "tab",
        class: `file tab-${tab.kind}`,
        title: tab.title,
        "aria-selected": same(tab) ? "true" : "false",
      },
      ...label,
    );
    button.addEventListener("click", () => open(tab));
    return [button, tab];
  });
  tabBar.replaceChildren(...tabButtons.map(([button]) => button));
  refreshState();
}

function open(tab) {
  view = tab.kind === "design" ? { kind: "design", form: tab.form } : { kind: "code", path: tab.path };
  designerView.hidden = view.kind !== "design";
  codeView.hidden = view.kind !== "code";
  if (view.kind === "code") {
    editor.open(view.path);
    editor.focus();
  } else {
    showDesign();
  }
  showTabs();
}

// -- the designer ---------------------------------------------------------------------------------

/** A form without a design the designer can edit: built in code, or a design it cannot read. */
function showNote(name) {
  const form = forms.get(name);
  const why = broken.has(name)
    ? `Its design (${form.template}) cannot be read: ${broken.get(name)}. It is kept as it is; fix it in its file.`
    : `${name} is built in code: its template is ${form.code.replace(/__init__\.py$/, "_template.py")}, which makes ${name.split(".").pop()}Template in Python (as the Anvil App Server's own apps do). The designer shows such a form read-only: change it in its code.`;
  const note = h("div", { class: "wb-d-note-page", role: "note" }, h("h2", {}, name), h("p", {}, why));
  document.querySelector(".wb-canvas").replaceChildren(note);
  document.querySelector(".wb-inspector").replaceChildren();
  undoButton.disabled = redoButton.disabled = true;
  showTabs();
}

function showDesign() {
  const design = current();
  if (!design) {
    showNote(view.form);
    return;
  }
  let selected = selection.get(view.form) || "";
  if (selected && !design.find(selected)) selected = "";
  canvas.render(design, selected, { rowColumns: rowTemplateColumns(view.form) });
  const code = editor.files()[codeOf(view.form)] ?? "";
  inspector.render(design, selected, canEdit, designWarnings(design, code, FORM_EVENTS), {
    forms: formNames(),
    columnsOf: (container) => rowColumns(design, container),
    propertiesOf: (type) => customProperties(type.slice(5)),
  });
  undoButton.disabled = !canEdit || !design.past.length;
  redoButton.disabled = !canEdit || !design.future.length;
  showTabs();
}

/** The columns of the DataGrid whose RepeatingPanel makes `form` for each row (a row
 * template's DataRowPanel shows them), or []. */
function rowTemplateColumns(form) {
  const walk = (list, grid) => {
    for (const node of Array.isArray(list) ? list : []) {
      if (!node || typeof node !== "object") continue;
      if (grid && node.type === "RepeatingPanel" && node.properties?.item_template === form) {
        return Array.isArray(grid.properties?.columns) ? grid.properties.columns : [];
      }
      const found = walk(node.components, node.type === "DataGrid" ? node : null);
      if (found) return found;
    }
    return null;
  };
  for (const design of designs.values()) {
    const found = walk(design.components, design.form.type === "DataGrid" ? design.form : null);
    if (found) return found;
  }
  return [];
}

/** The properties a form used as a component (`form:Name`) declares. */
function customProperties(form) {
  const declared = designs.get(form)?.data.properties;
  return Array.isArray(declared) ? declared.map((item) => item?.name).filter((name) => typeof name === "string") : [];
}

/** The columns a DataRowPanel (`container` in `design`) shows: its DataGrid's. */
function rowColumns(design, container) {
  if (!container) return rowTemplateColumns(design.name);
  const parent = design.find(container)?.parent;
  const columns = design.typeOf(parent) === "DataGrid" ? design.property(parent, "columns") : [];
  return Array.isArray(columns) ? columns : [];
}

function palette() {
  const box = document.querySelector(".wb-palette-items");
  const order = ["basic", "container"];
  for (const category of order) {
    const group = h("div", {
      class: "wb-palette-group",
      role: "group",
      "aria-label": category === "basic" ? "Components" : "Containers",
    });
    for (const spec of Object.values(COMPONENTS).filter((c) => c.category === category)) {
      const item = h(
        "button",
        {
          type: "button",
          class: "wb-palette-item",
          "data-type": spec.type,
          title: `${spec.help} Drag it onto the form, or click to add it.`,
        },
        spec.type,
      );
      item.disabled = !canEdit;
      if (canEdit) paletteDrag(item, spec.type);
      item.addEventListener("click", () => {
        const design = current();
        if (!design) return;
        const selected = selection.get(view.form) || "";
        const into = selected && holdsChildren(design.typeOf(selected)) ? selected : "";
        const added = design.add(spec.type, into);
        if (added) select(added);
      });
      group.append(item);
    }
    box.append(group);
  }
}

function addHandler(name, event, method) {
  const design = current();
  if (!method) {
    method = `${name || "form"}_${event}`.replace(/-/g, "_");
    if (canEdit) design.setEvent(name, event, method);
  }
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(method)) {
    toast(`${method} is not a method name: letters, digits and _`, "bad");
    return;
  }
  const path = codeOf(view.form);
  if (!(path in editor.files())) return;
  open({ kind: "code", path });
  const text = editor.view.state.doc.toString();
  const definition = new RegExp(`^[ \\t]*def[ \\t]+${method}[ \\t]*\\(`, "m");
  const found = definition.exec(text);
  if (!found && canEdit) {
    const who = name ? `${name}'s` : "the form's";
    const stub = `${text.endsWith("\n") ? "" : "\n"}\n    def ${method}(self, **event_args):\n        """Runs on ${who} ${event} event."""\n        pass\n`;
    editor.view.dispatch({ changes: { from: text.length, insert: stub } });
  }
  const updated = editor.view.state.doc.toString();
  const at = definition.exec(updated);
  if (at) editor.goTo(updated.slice(0, at.index).split("\n").length);
  showTabs();
}

undoButton.addEventListener("click", () => current()?.undo() && showDesign());
redoButton.addEventListener("click", () => current()?.redo() && showDesign());

document.addEventListener("keydown", (event) => {
  if (view.kind !== "design" || !canEdit || !(event.ctrlKey || event.metaKey)) return;
  if (event.target.closest?.("input, textarea, select, .cm-editor")) return;
  const key = event.key.toLowerCase();
  if (key === "z" && !event.shiftKey) {
    event.preventDefault();
    if (current()?.undo()) showDesign();
  } else if ((key === "z" && event.shiftKey) || key === "y") {
    event.preventDefault();
    if (current()?.redo()) showDesign();
  }
});

// -- the app's settings and new forms ---------------------------------------------------------

const startupSelect = document.querySelector("[name=startup_form]");
const runtimeSelect = document.querySelector("[name=runtime]");

function showSettings() {
  startupSelect.replaceChildren(...formNames().map((form) => h("option", { value: form }, form)));
  startupSelect.value = app.startup_form;
  runtimeSelect.value = app.runtime;
  startupSelect.disabled = runtimeSelect.disabled = !canEdit;
  theme.render();
  paintTheme();
}

/** The canvas in the app's colours (as CSS variables, so nothing is drawn again). */
function paintTheme() {
  applyColors(document.querySelector(".wb-canvas"), theme.colors());
}

document
  .getElementById("wb-role-names")
  ?.replaceChildren(...ROLES.map((role) => h("option", { value: role.name }, role.title)));

startupSelect.addEventListener("change", () => {
  app.startup_form = startupSelect.value;
  refreshState();
});
runtimeSelect.addEventListener("change", () => {
  app.runtime = runtimeSelect.value;
  refreshState();
});

const FORM_CODE = (name) => `from ._anvil_designer import ${name}Template
from anvil import *
import anvil.server


class ${name}(${name}Template):
    def __init__(self, **properties):
        self.init_components(**properties)
`;

document.querySelector("[data-action=add-form]")?.addEventListener("click", (event) => {
  askName(event.currentTarget, {
    label: "New form's name",
    placeholder: "Form2",
    problem: (name) => {
      if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(name)) {
        return "A form's name starts with a letter and has only letters, digits and _";
      }
      const files = editor.files();
      const taken = forms.has(name) || Object.keys(files).some((path) => path.startsWith(`client_code/${name}`));
      return taken ? `There is a form or file called ${name} already` : "";
    },
    done: (name) => {
      createForm(name);
      open({ kind: "design", form: name });
    },
  });
});

/** Make the form `name` with an empty design whose container is a `container`: Anvil's
 * layout (a dotted name is a form nested in its parent's package, as Anvil makes item
 * templates: client_code/Form1/RowTemplate1/), unless the app keeps its forms in
 * Widgetbox's first one (forms/). */
function createForm(name, container = "ColumnPanel") {
  const legacy = forms.size > 0 && [...forms.values()].every((form) => form.root === "forms/");
  const folder = name.replaceAll(".", "/");
  const form = legacy
    ? { name, code: `forms/${folder}.py`, template: `forms/${folder}.json`, root: "forms/" }
    : {
        name,
        code: `client_code/${folder}/__init__.py`,
        template: `client_code/${folder}/form_template.yaml`,
        root: "client_code/",
      };
  forms.set(name, form);
  const empty = legacy
    ? `{"container": {"type": "${container}"}, "components": []}`
    : `container: {type: ${container}}\ncomponents: []\nis_package: true\n`;
  designs.set(name, new FormDesign(name, empty, legacy ? "json" : "yaml"));
  editor.addFile(form.code, FORM_CODE(name.split(".").pop()));
  showSettings();
}

/** A new item template for the RepeatingPanel `name`, set as its item_template: a form nested
 * in this one (Form1.ItemTemplate1; Form1.RowTemplate1 with a DataRowPanel for a
 * RepeatingPanel in a DataGrid), as Anvil's designer makes one. */
function newItemTemplate(name) {
  const design = current();
  const inGrid = design.typeOf(design.find(name)?.parent) === "DataGrid";
  const base = inGrid ? "RowTemplate" : "ItemTemplate";
  // a form in a package nests it; one in Widgetbox's first layout or an older module form
  // has no package of its own, so the template is a form beside it
  const nests = /\/form_template\.(ya?ml|json)$/.test(forms.get(view.form)?.template ?? "");
  const prefix = nests ? `${view.form}.` : "";
  const files = Object.keys(editor.files());
  const taken = (form) =>
    forms.has(form) ||
    files.some((path) =>
      ["client_code/", "forms/"].some((root) => path.startsWith(`${root}${form.replaceAll(".", "/")}`)),
    );
  let n = 1;
  while (taken(`${prefix}${base}${n}`)) n++;
  const fresh = `${prefix}${base}${n}`;
  createForm(fresh, inGrid ? "DataRowPanel" : "ColumnPanel");
  change(() => design.setProperty(name, "item_template", fresh));
  toast(`Created the form ${fresh}: its tab designs one item`);
}

// -- the live preview -----------------------------------------------------------------------------

const previewBox = document.querySelector(".wb-preview");
const previewFrame = previewBox?.querySelector("iframe");
const previewState = document.querySelector(".wb-preview-state");
const modeButtons = document.querySelectorAll("[data-mode]");

function setMode(mode) {
  for (const button of modeButtons) button.setAttribute("aria-pressed", String(button.dataset.mode === mode));
  document.querySelector(".wb-canvas").hidden = mode !== "design";
  previewBox.hidden = mode !== "preview";
  if (mode === "preview") startPreview();
}

function startPreview() {
  previewState.textContent = "Starting…";
  previewFrame.src = `${data.preview_url}&run=${Date.now()}`;
}

window.addEventListener("message", (event) => {
  if (event.origin !== data.app_origin || event.source !== previewFrame?.contentWindow) return;
  if (event.data?.type === "wb-preview-waiting") {
    const files = previewFiles();
    event.source.postMessage(
      {
        type: "wb-preview-run",
        files,
        theme_colors: theme.colors(), // as edited, saved or not
        app_id: String(widget.id), // anvil.app.id (host/widgets/app_info.py: the same id)
        // anvil.app.get_asset's names: the preview is on the app's origin, which serves them
        theme_assets: Object.keys(currentFiles())
          .filter((path) => path.startsWith(THEME_ASSETS))
          .map((path) => path.slice(THEME_ASSETS.length)),
        runtime: app.runtime,
        startup_form: view.kind === "design" ? view.form : app.startup_form,
      },
      data.app_origin,
    );
  } else if (event.data?.type === "wb-preview-ready") {
    previewState.textContent = `Running ${view.form} on ${app.runtime === "pyodide" ? "Pyodide" : "Brython"}, unsaved changes included; server calls use the saved server code.`;
  }
});

for (const button of modeButtons) button.addEventListener("click", () => setMode(button.dataset.mode));
document.querySelector("[data-action=restart-preview]")?.addEventListener("click", startPreview);

// -- saving ---------------------------------------------------------------------------------------

function refreshState() {
  saving?.refresh();
}

saving = new Saving({
  slug,
  version: widget.head_version,
  canEdit,
  files: currentFiles,
  isDirty: dirty,
  tabs: () => tabButtons.map(([button, tab]) => [button, tabDirty(tab)]),
  comparable,
  markSaved: (files) => {
    editor.markSaved(Object.fromEntries(Object.entries(files).filter(([path]) => !isData(path))));
    savedData = Object.fromEntries(Object.entries(files).filter(([path]) => isData(path)));
  },
  load: (files) => {
    editor.load(read(files));
    selection.clear();
    showSettings();
    if (view.kind === "code" && editor.paths.includes(view.path)) open(view);
    else open({ kind: "design", form: forms.has(view.form) ? view.form : startForm() });
  },
});

// -- start ----------------------------------------------------------------------------------------

palette();
showSettings();
open(view);
ready();
