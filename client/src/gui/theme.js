// The theme in the page (theme.json holds the default one; host/gui/theme.py the rules):
//
//   cssColor(value)          a colour property's value as CSS: theme:Name is the theme colour's
//                            CSS variable, var(--anvil-theme-<name>), so a new value of the
//                            colour shows without drawing anything again
//   cssBorder(value)         a border as CSS, its theme:Name made the same variable
//   colorVariable(name)      the CSS variable of the colour `name`: On Primary -> --anvil-theme-on-primary
//   themeColors(own)         every colour as [{name, color}]: the default theme's with `own`
//                            (an app's theme/parameters.yaml colours) in their place
//   applyColors(element, colors)  set the colours' variables on `element` (the designer's
//                            canvas; an app's page gets them from /_/theme-colors.css)
//   themeTemplate(name, redraw)   the HTML of the app's theme asset `name` (an HtmlTemplate's
//                            @theme:name), or null when the app has none or it is on its way
//                            (then `redraw` is called once it is here)

import theme from "./theme.json";

export const DEFAULT_COLORS = theme.colors;
export const ALIASES = theme.aliases;
export const ROLES = theme.roles;

const UNSAFE = /[;{}<>]/;

/** The CSS variable of the colour `name` (the host's theme.css_name, the same rule). */
export function colorVariable(name) {
  return `--anvil-theme-${String(name)
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")}`;
}

/** A colour as CSS: Anvil's theme colours (theme:Primary) are the theme's CSS variables. */
export function cssColor(value) {
  if (value == null || value === "") return null;
  const text = String(value).trim();
  if (text.startsWith("theme:")) return `var(${colorVariable(text.slice(6))})`;
  return UNSAFE.test(text) ? null : text;
}

/** A CSS border (`1px solid theme:Primary`): the rest of the text after theme: names the colour. */
export function cssBorder(value) {
  if (value == null || value === "") return null;
  const text = String(value);
  if (UNSAFE.test(text)) return null;
  const at = text.indexOf("theme:");
  return at < 0 ? text : `${text.slice(0, at)}${cssColor(text.slice(at))}`;
}

/** Every colour the app has: the defaults (and older themes' names) with its own in their place. */
export function themeColors(own = []) {
  const found = new Map();
  for (const { name, color } of [...DEFAULT_COLORS, ...ALIASES, ...own]) found.set(name, color);
  return [...found].map(([name, color]) => ({ name, color }));
}

/** Set the colours' CSS variables on `element` (through the CSSOM, which the CSP allows). */
export function applyColors(element, colors) {
  for (const { name, color } of colors) {
    const value = cssColor(color);
    if (value) element.style.setProperty(colorVariable(name), value);
    else element.style.removeProperty(colorVariable(name));
  }
}

// -- the app's HTML assets (theme/assets/*.html, served at /_/theme/) ---------------------------

const templates = new Map(); // name -> {html: text | null (coming), waiting: [redraw]}

/** The theme assets the app's page says it has (#wb-theme, put there by the host). */
function offered() {
  const found = document.getElementById("wb-theme");
  if (!found) return [];
  try {
    const names = JSON.parse(found.textContent).templates;
    return Array.isArray(names) ? names.filter((name) => typeof name === "string") : [];
  } catch {
    return [];
  }
}

function load(name) {
  const entry = { html: null, waiting: [] };
  templates.set(name, entry);
  const done = (html) => {
    entry.html = html;
    for (const redraw of entry.waiting.splice(0)) redraw();
  };
  fetch(`/_/theme/${name.split("/").map(encodeURIComponent).join("/")}`, { credentials: "same-origin" })
    .then((response) => (response.ok ? response.text() : ""))
    .then(done, (error) => {
      console.warn(`The theme's ${name} could not be loaded:`, error);
      done("");
    });
}

if (typeof document !== "undefined") for (const name of offered()) load(name); // early: before the app draws

/** The HTML of the theme asset `name`, or null (none, or not here yet: `redraw` follows). */
export function themeTemplate(name, redraw) {
  const entry = templates.get(name);
  if (!entry) return null;
  if (entry.html === null) {
    entry.waiting.push(redraw);
    return null;
  }
  return entry.html || null;
}
