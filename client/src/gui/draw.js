// How every component looks on the page: the one drawing of the catalogue's components
// (components.json), with the classes of components.css. The designer's canvas draws with it,
// and so does the running app: the client `anvil` package's components call it through their
// runtime's adapter (anvil/_brython.py, anvil/_pyodide.py), which reach it as
// `globalThis.wbDraw` (set by boot.js).
//
//   draw(type, props)                 a component's element, every property in `props` applied
//   update(element, type, name, props)   apply property `name` (its value: props[name]) again
//   control(element, type)            the element that takes input (events, value, checked)
//   slot(parentType, layout)          the element holding a child in a container
//   layoutSlot(slot, layout)          apply a child's layout properties to its slot
//
// `props` is a plain object of JSON-like values; a missing or null value is "none". Dates
// are ISO texts, DropDown items are texts or [text, value] pairs (only the text is drawn).
// Behaviour (events, reading what the visitor typed, a DropDown's selection, radio groups,
// timers) belongs to the caller.

const SLOTS = { ColumnPanel: "anvil-cp-row", LinearPanel: "anvil-lp-item", FlowPanel: "anvil-fp-item" };

/** Components whose first child is the element styled and the control. */
const INNER = new Set(["Button", "DropDown", "DatePicker"]);
/** Components whose first child takes input (the outer element carries the text styles). */
const INPUT = new Set(["CheckBox", "RadioButton"]);

const REFUSED = /^(javascript|vbscript):/i;

/** `url`, unless following it would run script (then ""). */
export function safeUrl(url) {
  const compact = [...(url ?? "")].filter((ch) => ch > " ").join("");
  return REFUSED.test(compact) ? "" : (url ?? "");
}

function el(tag) {
  return document.createElement(tag);
}

/** The element that text styles (font, colours, height) apply to. */
function target(element, type) {
  return INNER.has(type) ? element.firstElementChild : element;
}

/** The element that takes input (enabled, placeholder, events). */
export function control(element, type) {
  return INNER.has(type) || INPUT.has(type) ? element.firstElementChild : element;
}

function setAttr(element, name, value) {
  if (value == null || value === "") element.removeAttribute(name);
  else element.setAttribute(name, String(value));
}

function setStyle(element, name, value) {
  if (value == null || value === "") element.style.removeProperty(name);
  else element.style.setProperty(name, value);
}

/** Replace the class starting with `prefix` by `prefix + value` (none if no value). */
function swapClass(element, prefix, value) {
  for (const name of [...element.classList]) if (name.startsWith(prefix)) element.classList.remove(name);
  if (value != null && value !== "") element.classList.add(prefix + value);
}

const px = (value) => (value == null ? null : `${value}px`);

/** A date's text as the date or date-and-time input takes it. */
function dateText(value, pickTime) {
  if (value == null || value === "") return "";
  const text = String(value);
  if (!pickTime) return text.slice(0, 10);
  return text.includes("T") ? text.slice(0, 16) : `${text.slice(0, 10)}T00:00`;
}

function options(select, props) {
  const texts = props.include_placeholder ? [props.placeholder ?? ""] : [];
  for (const item of props.items ?? []) texts.push(String(Array.isArray(item) ? item[0] : item));
  select.replaceChildren(
    ...texts.map((text) => {
      const option = el("option");
      option.textContent = text;
      return option;
    }),
  );
}

function skeleton(type) {
  const outer = (tag, inner, attrs = {}) => {
    const element = el(tag);
    const child = el(inner);
    for (const [name, value] of Object.entries(attrs)) child.setAttribute(name, value);
    element.append(child);
    return element;
  };
  switch (type) {
    case "Button":
      return outer("div", "button", { type: "button" });
    case "TextBox":
      return el("input");
    case "TextArea":
      return el("textarea");
    case "CheckBox":
    case "RadioButton": {
      const element = outer("label", "input", { type: type === "CheckBox" ? "checkbox" : "radio" });
      element.append(el("span"));
      return element;
    }
    case "DropDown":
      return outer("div", "select");
    case "DatePicker":
      return outer("div", "input", { type: "date" });
    case "Image":
      return outer("div", "img", { alt: "" });
    case "Link":
      return el("a");
    case "Timer":
      return el("span");
    default:
      return el("div");
  }
}

/** The element of a component of `type` with the properties `props`. */
export function draw(type, props) {
  const element = skeleton(type);
  element.classList.add("anvil-component", `anvil-${type.toLowerCase()}`);
  for (const name of Object.keys(props)) update(element, type, name, props);
  return element;
}

/** Apply the property `name` of a component of `type` (its value: `props[name]`; some
 * properties read others, e.g. a TextBox's `hide_text` its `type`). */
export function update(element, type, name, props) {
  const value = props[name];
  const own = TYPES[type]?.[name];
  if (own) {
    own(element, value, props, type);
    return;
  }
  COMMON[name]?.(element, value, props, type);
}

const text = (pick) => (element, value) => {
  pick(element).textContent = value ?? "";
};

const TYPES = {
  Label: { text: text((element) => element) },
  Button: { text: text((element) => element.firstElementChild) },
  TextBox: {
    text: (element, value) => {
      element.value = value ?? "";
    },
    type: (element, _value, props) => setAttr(element, "type", props.hide_text ? "password" : props.type),
    hide_text: (element, value, props) => setAttr(element, "type", value ? "password" : props.type),
  },
  TextArea: {
    text: (element, value) => {
      element.value = value ?? "";
    },
  },
  CheckBox: {
    text: text((element) => element.lastElementChild),
    checked: (element, value) => {
      element.firstElementChild.checked = Boolean(value);
    },
  },
  RadioButton: {
    text: text((element) => element.lastElementChild),
    selected: (element, value) => {
      element.firstElementChild.checked = Boolean(value);
    },
    group_name: (element, value) => setAttr(element.firstElementChild, "name", value),
    value: () => {},
  },
  DropDown: {
    items: (element, _value, props) => options(element.firstElementChild, props),
    include_placeholder: (element, _value, props) => options(element.firstElementChild, props),
    placeholder: (element, _value, props) => options(element.firstElementChild, props),
    selected_value: () => {}, // the caller selects (values are its own)
  },
  DatePicker: {
    date: (element, value, props) => {
      element.firstElementChild.value = dateText(value, props.pick_time);
    },
    pick_time: (element, value, props) => {
      const input = element.firstElementChild;
      input.setAttribute("type", value ? "datetime-local" : "date");
      setAttr(input, "min", dateText(props.min_date, value));
      setAttr(input, "max", dateText(props.max_date, value));
      if (props.date != null && props.date !== "") input.value = dateText(props.date, value);
    },
    min_date: (element, value, props) => setAttr(element.firstElementChild, "min", dateText(value, props.pick_time)),
    max_date: (element, value, props) => setAttr(element.firstElementChild, "max", dateText(value, props.pick_time)),
  },
  Image: {
    source: (element, value) => setAttr(element.firstElementChild, "src", safeUrl(value)),
    display_mode: (element, value) => swapClass(element, "anvil-image-", value?.replaceAll("_", "-")),
  },
  Link: {
    text: text((element) => element),
    url: (element, value) => {
      const url = safeUrl(value);
      element.setAttribute("href", url || "#");
      setAttr(element, "target", url ? "_blank" : null);
      setAttr(element, "rel", url ? "noopener noreferrer" : null);
    },
  },
  Timer: { interval: () => {} },
  FlowPanel: { spacing: (element, value) => swapClass(element, "anvil-gap-", value) },
};

const styled =
  (css, make = (value) => value) =>
  (element, value, _props, type) =>
    setStyle(target(element, type), css, value == null || value === false ? null : make(value));

const COMMON = {
  visible: (element, value) => element.classList.toggle("anvil-hidden", !value),
  tooltip: (element, value) => setAttr(element, "title", value),
  role: (element, value) => swapClass(element, "anvil-role-", value),
  spacing_above: (element, value) => swapClass(element, "anvil-spacing-above-", value),
  spacing_below: (element, value) => swapClass(element, "anvil-spacing-below-", value),
  align: (element, value) => swapClass(element, "anvil-align-", value),
  foreground: styled("color"),
  background: styled("background-color"),
  font: styled("font-family"),
  font_size: styled("font-size", px),
  bold: styled("font-weight", () => "bold"),
  italic: styled("font-style", () => "italic"),
  underline: styled("text-decoration", () => "underline"),
  height: styled("height", px),
  enabled: (element, value, _props, type) => {
    control(element, type).disabled = !value;
    element.classList.toggle("anvil-disabled", !value);
  },
  placeholder: (element, value, _props, type) => setAttr(control(element, type), "placeholder", value),
};

/** The element that holds a child inside a container of `parentType`. */
export function slot(parentType, layout) {
  const element = el("div");
  element.className = SLOTS[parentType] ?? "anvil-slot";
  layoutSlot(element, layout ?? {});
  return element;
}

/** Apply a child's layout properties to its slot. */
export function layoutSlot(element, layout) {
  element.classList.toggle("anvil-full-width", Boolean(layout.full_width_row));
  element.classList.toggle("anvil-expand", Boolean(layout.expand));
  setStyle(element, "width", px(layout.width));
}
