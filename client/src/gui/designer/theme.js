// The app's theme colours in the design page's app settings. They live where Anvil keeps
// them, the app's theme/parameters.yaml (`color_scheme.colors`: [{name, color}]; see
// host/gui/theme.py), which is edited in place: a colour's value changes, every other key,
// comment and line of the file stays as it was. An app without the file shows the default
// theme's colours (../theme.json); the first change writes the file with all of them, as
// Anvil does. The page paints the canvas with `colors()` (../theme.js's applyColors).

import { Document, isMap, isSeq, parseDocument } from "yaml";
import { DEFAULT_COLORS, themeColors } from "../theme.js";

export const THEME_FILE = "theme/parameters.yaml";

const READ = { version: "1.1", uniqueKeys: true, maxAliasCount: 1000 };
const WRITE = { version: "1.1", lineWidth: 0, indent: 2 };
const PATH = ["color_scheme", "colors"];
/** The colours the host takes (host/gui/theme.py's color_problem): hex, a colour function, a name. */
const SHAPE =
  /^(#[0-9a-f]{3,4}|#[0-9a-f]{6}|#[0-9a-f]{8}|(rgba?|hsla?|hwb|lab|lch|oklab|oklch|color)\([-+0-9a-z.%,/\s]*\)|[a-z]+)$/i;

let ids = 0;

function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value == null) continue;
    element.setAttribute(name, value === true ? "" : value);
  }
  element.append(...children);
  return element;
}

/** Whether `value` is a colour the theme may hold (the host checks again on save). */
export function isThemeColor(value) {
  const text = String(value ?? "").trim();
  return SHAPE.test(text) && (typeof CSS === "undefined" || CSS.supports("color", text));
}

/** A colour as the colour picker shows it (#rrggbb), or null. */
function pickable(value) {
  const text = String(value ?? "").trim();
  if (/^#[0-9a-f]{6}$/i.test(text)) return text.toLowerCase();
  const short = /^#([0-9a-f])([0-9a-f])([0-9a-f])$/i.exec(text);
  return short ? `#${short[1]}${short[1]}${short[2]}${short[2]}${short[3]}${short[3]}`.toLowerCase() : null;
}

function flowItem(doc, name, color) {
  const node = doc.createNode({ name, color });
  node.flow = true;
  return node;
}

export class ThemeColors {
  /**
   * @param {HTMLElement} root where the colours are listed
   * @param {{editable: boolean, onChange: () => void}} options
   */
  constructor(root, { editable, onChange }) {
    this.root = root;
    this.editable = editable;
    this.onChange = onChange;
    this.load(undefined);
  }

  /** Take the file's text (undefined: the app has none). */
  load(text) {
    this.original = text;
    this.changed = false;
    this.broken = "";
    this.doc = null;
    if (text === undefined) return;
    try {
      this.doc = parseDocument(text, READ);
      if (this.doc.errors.length) throw this.doc.errors[0];
    } catch (error) {
      this.doc = null;
      this.broken = String(error?.message ?? error);
    }
  }

  /** The colours the file holds, [{name, color}] (those with a name and a colour). */
  own() {
    const list = this.doc?.getIn(PATH, true);
    if (!isSeq(list)) return [];
    const found = [];
    for (const item of list.items) {
      if (!isMap(item)) continue;
      const name = item.get("name");
      const color = item.get("color");
      if (typeof name === "string" && typeof color === "string") found.push({ name, color });
    }
    return found;
  }

  /** Every colour of the app, as the canvas paints them. */
  colors() {
    return themeColors(this.own());
  }

  /** The file's text: undefined while the app has none and nothing was changed. */
  text() {
    if (!this.changed) return this.original;
    return this.doc.toString(WRITE);
  }

  /** Give the colour `name` the value `color`. */
  set(name, color) {
    if (this.broken) return;
    if (!this.doc) {
      const colors = DEFAULT_COLORS.map((item) => ({ name: item.name, color: item.color }));
      this.doc = new Document({ color_scheme: { colors } }, WRITE);
      for (const item of this.doc.getIn(PATH, true).items) item.flow = true;
    }
    let list = this.doc.getIn(PATH, true);
    if (!isSeq(list)) {
      this.doc.setIn(
        PATH,
        DEFAULT_COLORS.map((item) => ({ name: item.name, color: item.color })),
      );
      list = this.doc.getIn(PATH, true);
      for (const item of list.items) item.flow = true;
    }
    const item = list.items.find((found) => isMap(found) && found.get("name") === name);
    if (item) item.set("color", color);
    else list.items.push(flowItem(this.doc, name, color));
    this.changed = true;
    this.onChange();
  }

  /** List the colours: the default theme's names, then the app's own. */
  render() {
    const values = new Map(this.colors().map((item) => [item.name, item.color]));
    const names = [...DEFAULT_COLORS.map((item) => item.name)];
    for (const { name } of this.own()) if (!names.includes(name)) names.push(name);
    const datalist = document.getElementById("wb-color-names");
    datalist?.replaceChildren(...[...values.keys()].map((name) => h("option", { value: `theme:${name}` })));
    if (this.broken) {
      this.root.replaceChildren(
        h("p", { class: "wb-theme-note" }, `${THEME_FILE} cannot be read (${this.broken}): fix it in its file.`),
      );
      return;
    }
    this.root.replaceChildren(...names.map((name) => this.#row(name, values.get(name) ?? "")));
  }

  #row(name, value) {
    const id = `wb-theme-color-${++ids}`;
    const swatch = h("input", { type: "color", "aria-label": `Pick the ${name} colour`, tabindex: "-1" });
    const text = h("input", {
      id,
      type: "text",
      spellcheck: "false",
      "data-color": name,
      "aria-label": `${name} (theme colour)`, // apart from the inspector's properties' names
    });
    const error = h("p", { class: "wb-theme-error", role: "alert", hidden: true }, "Not a CSS colour: kept as it was.");
    text.value = value;
    const shown = pickable(value);
    if (shown) swatch.value = shown;
    else swatch.dataset.empty = "unknown";
    const commit = (color) => {
      if (!isThemeColor(color)) {
        text.setAttribute("aria-invalid", "true");
        error.hidden = false;
        return;
      }
      text.removeAttribute("aria-invalid");
      error.hidden = true;
      const picked = pickable(color);
      if (picked) {
        swatch.value = picked;
        delete swatch.dataset.empty;
      } else swatch.dataset.empty = "unknown";
      this.set(name, color.trim());
    };
    swatch.addEventListener("input", () => {
      text.value = swatch.value;
      commit(swatch.value);
    });
    text.addEventListener("change", () => commit(text.value));
    swatch.disabled = text.disabled = !this.editable;
    return h("div", { class: "wb-theme-color" }, swatch, h("label", { for: id }, name), text, error);
  }
}
