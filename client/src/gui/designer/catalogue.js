// The component catalogue (../components.json) for the designer: each component's properties
// with its groups expanded, the names new components get, and their first properties.

import data from "../components.json" with { type: "json" };

export const COMPONENTS = Object.fromEntries(
  Object.entries(data.components).map(([type, spec]) => {
    const properties = {};
    for (const group of spec.include || []) Object.assign(properties, data.groups[group]);
    Object.assign(properties, spec.properties || {});
    return [
      type,
      {
        type,
        category: spec.category,
        help: spec.help,
        properties,
        events: spec.events || [],
        container: Boolean(spec.container),
        invisible: Boolean(spec.invisible),
        layout: spec.layout_properties || {},
        first: spec.new || {},
      },
    ];
  }),
);
export const FORM_EVENTS = data.form_events;
export const CONTAINERS = Object.values(COMPONENTS)
  .filter((c) => c.container)
  .map((c) => c.type);
export const LIMITS = data.limits;

/** Whether components can be put in a `type` in the designer (a RepeatingPanel's children are
 * made from its item template, as in Anvil). */
export function holdsChildren(type) {
  return Boolean(COMPONENTS[type]?.container) && type !== "RepeatingPanel";
}

const PYTHON_KEYWORDS = new Set(
  (
    "False None True and as assert async await break class continue def del elif else except finally for " +
    "from global if import in is lambda nonlocal not or pass raise return try while with yield"
  ).split(" "),
);
const COMMON_NAMES = new Set([...data.form_members, ...data.component_members]);

/** Names a component on a form of `formType` may not have: the form's members (the host's
 * `Catalogue.reserved_names`). */
export function reservedNames(formType) {
  const kind = data.components[formType];
  return new Set([...COMMON_NAMES, ...Object.keys(COMPONENTS[formType]?.properties ?? {}), ...(kind?.methods ?? [])]);
}

/** Why `name` cannot name a component on a form of `formType`, or "" (the host checks the
 * same on save). */
export function nameProblem(name, taken, formType = "ColumnPanel") {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || name.length > LIMITS.name_length)
    return `A name starts with a letter or _ and has only letters, digits and _ (at most ${LIMITS.name_length}).`;
  if (PYTHON_KEYWORDS.has(name)) return `${name} is a Python keyword.`;
  if (reservedNames(formType).has(name)) return `${name} is the name of a property or method of the form.`;
  if (taken.has(name)) return `Another component is called ${name}.`;
  return "";
}

/** "TextBox" → "text_box", "XYPanel" → "xy_panel" (as Anvil names new components). */
export function snake(type) {
  return type
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2")
    .replace(/([a-z])([A-Z])/g, "$1_$2")
    .toLowerCase();
}

/** The property groups in the order the inspector shows them. */
export const GROUPS = ["text", "interaction", "appearance", "layout", "data", "tooltip"];
