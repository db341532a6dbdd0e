// The Python modules an app needs, as {path: source}: the client `anvil` package, the
// catalogue, the app's client code (client_code/** as the package `package_name`, and
// Widgetbox's first layout forms/**), each folder of forms' generated `_anvil_designer.py`
// (one `<Name>Template` per design, as Anvil generates it), and `anvil/_app_data.py`, which
// names every form's module (open_form("Form1"), item_template, form:Name components).
//
// Designs arrive as JSON text (the host sends YAML designs as JSON; the designer's preview
// converts them the same way): the page never parses YAML.

import catalogue from "./components.json";
import { findForms, moduleOf, rootOf } from "./layout.js";
import { pyLiteral } from "./literal.js";
import { python } from "./python.js";

/** Anvil's form packages import their template module the Python 2 way (`from _template
 * import Form1Template`): made relative, as Anvil's runtime resolves it. */
const IMPLICIT = /^(\s*)from[ \t]+(_template|_anvil_designer)[ \t]+import\b/gm;

function pathIn(path, pkg) {
  return path.startsWith("client_code/") ? `${pkg}/${path.slice("client_code/".length)}` : path;
}

export function appModules(files, packageName = "client_code") {
  const pkg = packageName || "client_code";
  const modules = { ...python, "anvil/_catalogue_data.py": `CATALOGUE = ${pyLiteral(catalogue)}\n` };
  const forms = findForms(files);
  for (const [path, text] of Object.entries(files)) {
    if (!rootOf(path) || !path.endsWith(".py")) continue;
    const source = path.endsWith("/__init__.py") ? text.replace(IMPLICIT, "$1from .$2 import") : text;
    modules[pathIn(path, pkg)] = source;
  }
  // every folder of modules is a package (Brython has no namespace packages)
  for (const path of Object.keys(modules)) {
    const parts = path.split("/");
    for (let i = 1; i < parts.length; i++) {
      const init = `${parts.slice(0, i).join("/")}/__init__.py`;
      modules[init] ??= "";
    }
  }
  const designers = new Map();
  const registry = {};
  for (const form of forms) {
    registry[form.name] = moduleOf(form, pkg);
    if (!form.template) continue;
    const folder = pathIn(form.prefix, pkg);
    const design = JSON.parse(files[form.template]);
    const line = `${form.name.split(".").pop()}Template = _template(${JSON.stringify(form.name)}, ${pyLiteral(design)})`;
    if (!designers.has(folder)) designers.set(folder, ["from anvil._forms import template as _template", ""]);
    designers.get(folder).push(line);
  }
  for (const [folder, lines] of designers) modules[`${folder}_anvil_designer.py`] = `${lines.join("\n")}\n`;
  modules["forms/__init__.py"] ??= "";
  modules["anvil/_app_data.py"] = `FORMS = ${pyLiteral(registry)}\nPACKAGE = ${JSON.stringify(pkg)}\n`;
  return modules;
}
