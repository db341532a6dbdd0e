// Where a GUI widget's forms are among its files, as host/gui/files.py finds them (the host's
// checks, in Python; this is the same rule for the loader and the designer):
//
//   client_code/Form1/form_template.yaml + __init__.py     a form (Anvil's layout); nests
//   client_code/Form1/_template.py + __init__.py            a form built in code
//   client_code/Form1.yaml + Form1.py                       Anvil's older module forms
//   forms/Form1.json + forms/Form1.py                       Widgetbox's first layout
//
// A form's name is its dotted path from its root: "Form1", "Form1.RowTemplate1".

export const ROOTS = ["client_code/", "forms/"];
export const PACKAGE_TEMPLATES = ["form_template.yaml", "form_template.json"];
const CODE_TEMPLATE = "_template.py";
const DESIGN = /\.(ya?ml|json)$/;

export const isYaml = (path) => /\.ya?ml$/.test(path);

export function rootOf(path) {
  return ROOTS.find((root) => path.startsWith(root)) ?? null;
}

/** Whether the browser gets the file: client code, designs and the app's settings. */
export function isClientFile(path) {
  return rootOf(path) !== null || path === "app.json";
}

/** [{name, code, template (null: built in code), root, folder}] for every form, by path. */
export function findForms(files) {
  const found = [];
  for (const path of Object.keys(files).sort()) {
    const root = rootOf(path);
    if (!root) continue;
    const rest = path.slice(root.length);
    const cut = rest.lastIndexOf("/");
    const folder = cut < 0 ? "" : rest.slice(0, cut);
    const file = rest.slice(cut + 1);
    const parts = folder ? folder.split("/") : [];
    const prefix = root + (folder ? `${folder}/` : "");
    if (PACKAGE_TEMPLATES.includes(file) && parts.length) {
      found.push({ name: parts.join("."), code: `${prefix}__init__.py`, template: path, root, prefix });
    } else if (file === CODE_TEMPLATE && parts.length) {
      const designed = PACKAGE_TEMPLATES.some((name) => `${prefix}${name}` in files);
      if (!designed && `${prefix}__init__.py` in files) {
        found.push({ name: parts.join("."), code: `${prefix}__init__.py`, template: null, root, prefix });
      }
    } else if (DESIGN.test(file) && !PACKAGE_TEMPLATES.includes(file)) {
      const stem = file.replace(DESIGN, "");
      const code = `${prefix}${stem}.py`;
      if (root === "forms/" || code in files) {
        found.push({ name: [...parts, stem].join("."), code, template: path, root, prefix });
      }
    }
  }
  return found;
}

/** The Python module of a form: `client_code.Form1` (in `pkg`) or `forms.Form1`. */
export function moduleOf(form, pkg = "client_code") {
  const base = form.root === "client_code/" ? pkg : "forms";
  return `${base}.${form.name}`;
}
