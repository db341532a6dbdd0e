// The Python modules an app needs, as {path: source}: the client `anvil` package, the
// catalogue, the app's own client files (forms/**), the `forms` package and the generated
// forms/_anvil_designer.py with one <Name>Template per design.

import catalogue from "./components.json";
import { pyLiteral } from "./literal.js";
import { python } from "./python.js";

const FORM_DESIGN = /^forms\/([A-Za-z][A-Za-z0-9_]*)\.json$/;

export function appModules(files) {
  const modules = { ...python, "anvil/_catalogue_data.py": `CATALOGUE = ${pyLiteral(catalogue)}\n` };
  const templates = ["from anvil._forms import template as _template", ""];
  for (const [path, text] of Object.entries(files)) {
    const form = FORM_DESIGN.exec(path);
    if (form) {
      templates.push(`${form[1]}Template = _template(${JSON.stringify(form[1])}, ${pyLiteral(JSON.parse(text))})`);
    } else if (path.startsWith("forms/") && path.endsWith(".py")) {
      modules[path] = text;
    }
  }
  modules["forms/__init__.py"] ??= "";
  modules["forms/_anvil_designer.py"] = `${templates.join("\n")}\n`;
  return modules;
}
