// How every component looks on the page: the one drawing of the catalogue's components
// (components.json), with the classes of components.css. The designer's canvas draws with it,
// and so does the running app: the client `anvil` package's components call it through their
// runtime's adapter (anvil/_brython.py, anvil/_pyodide.py), which reach it as
// `globalThis.wbDraw` (set by boot.js).
//
//   draw(type, props)                     a component's element, every property in `props` applied
//   update(element, type, name, props)    apply property `name` (its value: props[name]) again
//   control(element, type)                the element that takes input (events, value, checked)
//   slot(parentType, layout)              the element holding a child in a container
//   attach(container, parentType, holder, layout, before)
//                                         put a child's holder in its place: a ColumnPanel's row
//                                         and column (grid_position), a GridPanel's row, an
//                                         HtmlTemplate's slot, a DataRowPanel's column, an
//                                         XYPanel's x and y, a RichText's {slot}; else in order
//   release(holder)                       take a holder out (and the rows and columns it leaves empty)
//
// `props` is a plain object of JSON-like values; a missing or null value is "none". Dates
// are ISO texts, DropDown items are texts or [text, value] pairs (only the text is drawn).
// Properties whose name starts with "_" are the running app's own (e.g. a DataGrid's page
// text, a Plot's figure): the designer never passes them. Behaviour (events, reading what the
// visitor typed, a DropDown's selection, radio groups, timers, paging) belongs to the caller.

import { readChosenFiles } from "./bytes.js";
import { attachChild, CONTAINER_TYPES, placeAgain, releaseChild, slotClass } from "./draw-containers.js";
import { markdown, markSlots, plainText, safeHtml } from "./richtext.js";
import { cssBorder, cssColor } from "./theme.js";

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

function el(tag, className) {
  const element = document.createElement(tag);
  if (className) element.className = className;
  return element;
}

/** The element that text styles (font, colours, height) apply to. */
function target(element, type) {
  if (INNER.has(type)) return element.firstElementChild;
  if (type === "FileLoader") return element.firstElementChild;
  return element;
}

/** The element that takes input (enabled, placeholder, events). */
export function control(element, type) {
  if (INNER.has(type) || INPUT.has(type)) return element.firstElementChild;
  if (type === "FileLoader") return element.querySelector("input");
  if (type === "Canvas") return element.firstElementChild;
  if (type === "YouTubeVideo") return element.firstElementChild;
  if (type === "Plot") return element.firstElementChild;
  return element;
}

function setAttr(element, name, value) {
  if (value == null || value === "") element.removeAttribute(name);
  else element.setAttribute(name, String(value));
}

function setStyle(element, name, value) {
  if (value == null || value === "") element.style.removeProperty(name);
  else element.style.setProperty(name, value);
}

/** Replace the classes starting with `prefix` by `prefix + value` (none if no value). */
function swapClass(element, prefix, value) {
  for (const name of [...element.classList]) if (name.startsWith(prefix)) element.classList.remove(name);
  if (value != null && value !== "") element.classList.add(prefix + value);
}

/** A size as CSS: a number (or a number in text) is pixels; "default" and "" are none. */
export function px(value) {
  if (value == null || value === "" || value === "default" || value === false) return null;
  if (typeof value === "number") return `${value}px`;
  const text = String(value).trim();
  if (/^-?\d+(\.\d+)?$/.test(text)) return `${text}px`;
  return /[;{}<>]/.test(text) ? null : text;
}

/** Four pixel lengths as CSS from a number, a list of 1 to 4 numbers, or null. */
function box(value) {
  if (value == null || value === "") return null;
  const list = Array.isArray(value) ? value : [value];
  const parts = list.slice(0, 4).map((item) => (item == null ? "0" : (px(item) ?? "0")));
  return parts.join(" ");
}

/** A date's text as the date or date-and-time input takes it. */
function dateText(value, pickTime) {
  if (value == null || value === "") return "";
  const text = String(value).replace(" ", "T");
  if (!pickTime) return text.slice(0, 10);
  return text.includes("T") ? text.slice(0, 16) : `${text.slice(0, 10)}T00:00`;
}

function options(select, props) {
  const texts = props.include_placeholder ? [props.placeholder ?? ""] : [];
  const items = typeof props.items === "string" ? props.items.split("\n") : (props.items ?? []);
  for (const item of items) texts.push(String(Array.isArray(item) ? item[0] : item));
  select.replaceChildren(
    ...texts.map((text) => {
      const option = el("option");
      option.textContent = text;
      return option;
    }),
  );
}

function withText(tag, className) {
  const element = el(tag, className);
  element.append(el("span", "anvil-text"));
  return element;
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
    case "Label":
      return withText("div");
    case "Button": {
      const element = el("div");
      const button = withText("button");
      button.setAttribute("type", "button");
      element.append(button);
      return element;
    }
    case "TextBox":
      return el("input");
    case "TextArea":
      return el("textarea");
    case "CheckBox":
    case "RadioButton": {
      const element = outer("label", "input", { type: type === "CheckBox" ? "checkbox" : "radio" });
      element.append(el("span", "anvil-text"));
      return element;
    }
    case "DropDown":
      return outer("div", "select");
    case "DatePicker":
      return outer("div", "input", { type: "date" });
    case "Image":
      return outer("div", "img", { alt: "" });
    case "Link": {
      const element = withText("a");
      element.append(el("div", "anvil-link-body"));
      // a Link without a URL only raises its click event: it never follows its "#" (done here,
      // during the click: Python's handler may run a moment later, see suspend.js)
      element.addEventListener("click", (event) => {
        if (element.getAttribute("href") === "#") event.preventDefault();
      });
      return element;
    }
    case "FileLoader": {
      const element = el("div");
      const button = withText("label", "anvil-fileloader-button");
      const input = el("input");
      input.setAttribute("type", "file");
      button.prepend(input);
      element.append(button);
      readChosenFiles(element, input);
      return element;
    }
    case "Canvas":
      return outer("div", "canvas");
    case "Plot":
      return outer("div", "div");
    case "YouTubeVideo":
      return outer("div", "iframe", { allow: "autoplay; encrypted-media; picture-in-picture", allowfullscreen: "" });
    case "Timer":
      return el("span");
    default:
      return CONTAINER_TYPES[type]?.skeleton?.() ?? el("div");
  }
}

const KNOWN = new Set(["Spacer", "LinearPanel", "FlowPanel", "RepeatingPanel", "Timer"]);

/** The element of a component of `type` with the properties `props`. */
export function draw(type, props) {
  const element = skeleton(type);
  element.classList.add("anvil-component", `anvil-${type.toLowerCase()}`);
  element.__wbType = type;
  if (!(type in TYPES) && !(type in CONTAINER_TYPES) && !KNOWN.has(type)) element.classList.add("anvil-unknown");
  for (const name of Object.keys(props)) update(element, type, name, props);
  return element;
}

/** Apply the property `name` of a component of `type` (its value: `props[name]`; some
 * properties read others, e.g. a TextBox's `hide_text` its `type`). */
export function update(element, type, name, props) {
  const value = props[name];
  const own = TYPES[type]?.[name] ?? CONTAINER_TYPES[type]?.props?.[name];
  if (own) {
    own(element, value, props, type);
    return;
  }
  COMMON[name]?.(element, value, props, type);
}

/** The element holding a component's text (its icon goes beside it). */
function textOf(element, type) {
  if (type === "Button") return element.firstElementChild.querySelector(":scope > .anvil-text");
  if (type === "FileLoader") return element.firstElementChild.querySelector(":scope > .anvil-text");
  return element.querySelector(":scope > .anvil-text");
}

const setText = (element, value, _props, type) => {
  const holder = textOf(element, type);
  if (holder) holder.textContent = value ?? "";
  if (type === "Link") element.classList.toggle("anvil-has-text", Boolean(value));
};

/** An icon beside the text: fa:name as a symbol the theme draws, anything else a picture. */
function icon(element, _value, props, type) {
  const text = textOf(element, type);
  if (!text) return;
  const parent = text.parentElement;
  parent.querySelector(":scope > .anvil-icon")?.remove();
  swapClass(parent, "anvil-icon-align-", null);
  const value = props.icon;
  if (!value) return;
  let mark;
  if (String(value).startsWith("fa:")) {
    mark = el("i", "anvil-icon anvil-icon-fa");
    mark.dataset.icon = String(value).slice(3);
    mark.classList.add(`fa-${String(value).slice(3)}`);
  } else {
    mark = el("img", "anvil-icon anvil-icon-image");
    setAttr(mark, "src", safeUrl(String(value).replace(/^_\/theme\//, "/_/theme/")));
    mark.setAttribute("alt", "");
  }
  mark.setAttribute("aria-hidden", "true");
  const align = props.icon_align || "left";
  parent.classList.add(`anvil-icon-align-${align}`);
  if (align === "right" || align === "right_edge") text.after(mark);
  else text.before(mark);
}

/** Anvil's roles: a name or a list of names, each the class anvil-role-<name> (the theme
 * styles them: components.css for the default theme's, an app's theme.css for its own). */
function roles(element, value) {
  for (const name of [...element.classList]) if (name.startsWith("anvil-role-")) element.classList.remove(name);
  const list = Array.isArray(value) ? value : [value];
  for (const role of list) {
    const name = role == null ? "" : String(role).trim();
    if (name) element.classList.add(`anvil-role-${name.replace(/\s+/g, "-")}`);
  }
}

const TYPES = {
  Label: { text: setText, icon, icon_align: icon },
  Button: { text: setText, icon, icon_align: icon },
  FileLoader: {
    text: setText,
    icon,
    icon_align: icon,
    multiple: (element, value) => {
      control(element, "FileLoader").multiple = Boolean(value);
    },
    file_types: (element, value) => setAttr(control(element, "FileLoader"), "accept", value),
    show_state: () => {},
    file: () => {},
    files: () => {},
    _state: (element, value) => {
      let state = element.querySelector(":scope > .anvil-fileloader-state");
      if (!value) {
        state?.remove();
        return;
      }
      if (!state) {
        state = el("span", "anvil-fileloader-state");
        element.append(state);
      }
      state.textContent = value;
    },
  },
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
    auto_expand: (element, value) => element.classList.toggle("anvil-auto-expand", Boolean(value)),
  },
  CheckBox: {
    text: setText,
    checked: (element, value, props) => {
      const input = element.firstElementChild;
      input.checked = Boolean(value);
      input.indeterminate = value == null && Boolean(props.allow_indeterminate);
    },
  },
  RadioButton: {
    text: setText,
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
    format: () => {},
  },
  Image: {
    source: (element, value) => setAttr(element.firstElementChild, "src", safeUrl(value)),
    alt_text: (element, value) => element.firstElementChild.setAttribute("alt", value ?? ""),
    display_mode: (element, value) => swapClass(element, "anvil-image-", value?.replaceAll("_", "-")),
    border_radius: (element, value) => setStyle(element.firstElementChild, "border-radius", value),
    horizontal_align: (element, value) => swapClass(element, "anvil-halign-", value),
    vertical_align: (element, value) => swapClass(element, "anvil-valign-", value),
    align: () => {},
  },
  Link: {
    text: setText,
    icon,
    icon_align: icon,
    url: (element, value) => {
      const url = safeUrl(value);
      element.setAttribute("href", url || "#");
      setAttr(element, "target", url && !url.startsWith("blob:") ? "_blank" : null);
      setAttr(element, "rel", url ? "noopener noreferrer" : null);
    },
    _download: (element, value) => setAttr(element, "download", value),
    text_padding: (element, value) => setStyle(textOf(element, "Link"), "padding", box(value)),
  },
  RichText: {
    content: (element, _value, props) => richContent(element, props),
    format: (element, _value, props) => richContent(element, props),
    enable_slots: (element, _value, props) => richContent(element, props),
    data: () => {},
    _data: (element, value) => fillSlots(element, value),
  },
  Plot: {
    data: () => {},
    layout: () => {},
    config: () => {},
    figure: () => {},
    interactive: () => {},
    _figure: (element, value, props) => plot(element, value, props),
  },
  Canvas: {},
  YouTubeVideo: {
    youtube_id: (element, _value, props) => youtube(element, props),
    autoplay: (element, _value, props) => youtube(element, props),
    loop: (element, _value, props) => youtube(element, props),
    mute: (element, _value, props) => youtube(element, props),
    current_time: () => {},
    volume: () => {},
  },
  Timer: { interval: () => {} },
};

// -- RichText -----------------------------------------------------------------------------------

function richContent(element, props) {
  const content = props.content ?? "";
  const format = props.format || "markdown";
  const body =
    format === "plain_text" ? plainText(content) : format === "restricted_html" ? safeHtml(content) : markdown(content);
  element.replaceChildren(body);
  element.__wbSlots = props.enable_slots === false ? {} : markSlots(element);
  placeAgain(element, "RichText"); // its children go to their slots in the new content
  fillSlots(element, element.__wbData);
}

function fillSlots(element, values) {
  element.__wbData = values ?? {};
  for (const slot of element.querySelectorAll(".anvil-rt-slot")) {
    if (slot.closest(".anvil-richtext") !== element) continue;
    const key = slot.dataset.wbSlot;
    const text = element.__wbData[key];
    const own = [...slot.childNodes].filter((node) => node.nodeType === Node.TEXT_NODE);
    for (const node of own) node.remove();
    if (text != null && !slot.querySelector(":scope > .wb-holder")) slot.prepend(document.createTextNode(String(text)));
  }
}

// -- Plot (plotly.js, loaded once a plot is drawn) ----------------------------------------------

let plotly = null;

/** plotly.js adds its styles to a <style> element of its own, which the app's CSP refuses
 * (no inline styles): it takes an existing element of that id instead, so it gets one whose
 * sheet it may add rules to (a second link to the page's own stylesheet); and the map styles
 * it would add, for maps Widgetbox does not draw, are marked as there already. */
function stylesForPlotly() {
  const maps = "ce8d464691048653ffe3a57c6c18ab566e8366f186677868cf724621a857b4fe";
  if (!document.getElementById(maps)) {
    const mark = document.createElement("meta");
    mark.id = maps;
    document.head.append(mark);
  }
  const own = document.querySelector('link[rel="stylesheet"]')?.href;
  if (!own || document.getElementById("plotly.js-style-global")) return Promise.resolve();
  return new Promise((resolve) => {
    const link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = own;
    link.id = "plotly.js-style-global";
    link.onload = link.onerror = () => resolve();
    document.head.append(link);
  });
}

function loadPlotly() {
  const url = globalThis.wbPlotlyUrl;
  if (!url) return Promise.reject(new Error("plotly.js is not available here"));
  plotly ??= stylesForPlotly().then(
    () =>
      new Promise((resolve, reject) => {
        const script = document.createElement("script");
        script.src = url;
        script.onload = () => resolve(globalThis.Plotly);
        script.onerror = () => reject(new Error(`could not load ${url}`));
        document.head.append(script);
      }),
  );
  return plotly;
}

const PLOT_EVENTS = {
  plotly_click: "click",
  plotly_doubleclick: "double_click",
  plotly_afterplot: "afterplot",
  plotly_selected: "select",
  plotly_hover: "hover",
  plotly_unhover: "unhover",
};

function points(data) {
  return (data?.points ?? []).map((point) => ({
    curve_number: point.curveNumber,
    point_number: point.pointNumber,
    point_index: point.pointIndex,
    x: point.x,
    y: point.y,
    z: point.z,
    label: point.label,
    value: point.value,
    text: point.text,
  }));
}

/** Titles given as text (plotly.js 1 and 2, and so Anvil's apps) as plotly.js 3 takes them. */
function titles(value) {
  if (Array.isArray(value)) return value.map(titles);
  if (!value || typeof value !== "object") return value;
  const out = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] =
      key === "title" && (typeof item === "string" || typeof item === "number") ? { text: String(item) } : titles(item);
  }
  return out;
}

function plot(element, figureJson, props) {
  const area = element.firstElementChild;
  if (!figureJson) return;
  const figure = titles(JSON.parse(figureJson));
  const height = px(props.height);
  if (height) area.style.setProperty("height", height);
  loadPlotly()
    .then((Plotly) => {
      const config = { responsive: true, displaylogo: false, ...(figure.config ?? {}) };
      if (props.interactive === false) config.staticPlot = true;
      return Plotly.react(area, figure.data ?? [], figure.layout ?? {}, config).then(() => {
        if (area.__wbWired) return;
        area.__wbWired = true;
        for (const [name, event] of Object.entries(PLOT_EVENTS)) {
          area.on(name, (data) => {
            const detail = JSON.stringify({ event, points: points(data) });
            element.dispatchEvent(new CustomEvent("wb-plot", { detail }));
          });
        }
      });
    })
    .catch((error) => {
      element.dataset.plotError = String(error?.message ?? error);
      console.warn("Plot:", error);
    });
}

// -- YouTubeVideo -------------------------------------------------------------------------------

function youtube(element, props) {
  const frame = element.firstElementChild;
  const id = String(props.youtube_id ?? "").replace(/[^A-Za-z0-9_-]/g, "");
  if (!id) {
    frame.removeAttribute("src");
    return;
  }
  const query = new URLSearchParams({ enablejsapi: "1", rel: "0" });
  if (props.autoplay) query.set("autoplay", "1");
  if (props.autoplay || props.mute) query.set("mute", "1");
  if (props.loop) {
    query.set("loop", "1");
    query.set("playlist", id);
  }
  if (props.current_time) query.set("start", String(Math.floor(Number(props.current_time) || 0)));
  frame.setAttribute("src", `https://www.youtube-nocookie.com/embed/${id}?${query}`);
  frame.setAttribute("title", "YouTube video");
}

/** Ask the YouTube player to play, pause or stop (`playVideo`, `pauseVideo`, `stopVideo`). */
export function youtubeCommand(element, command) {
  element.firstElementChild?.contentWindow?.postMessage(
    JSON.stringify({ event: "command", func: command, args: [] }),
    "https://www.youtube-nocookie.com",
  );
}

// -- the properties every component shares ------------------------------------------------------

const styled =
  (css, make = (value) => value) =>
  (element, value, _props, type) =>
    setStyle(target(element, type), css, value == null || value === false ? null : make(value));

const COMMON = {
  visible: (element, value) => element.classList.toggle("anvil-hidden", !value),
  tooltip: (element, value) => setAttr(element, "title", value),
  role: roles,
  spacing_above: (element, value) => swapClass(element, "anvil-spacing-above-", value),
  spacing_below: (element, value) => swapClass(element, "anvil-spacing-below-", value),
  align: (element, value) => swapClass(element, "anvil-align-", value),
  foreground: styled("color", cssColor),
  background: styled("background-color", cssColor),
  border: styled("border", cssBorder),
  font: styled("font-family"),
  font_size: styled("font-size", px),
  bold: styled("font-weight", () => "bold"),
  italic: styled("font-style", () => "italic"),
  underline: styled("text-decoration", () => "underline"),
  height: (element, value, _props, type) => setStyle(target(element, type), "height", px(value)),
  width: (element, value) => setStyle(element, "width", px(value)),
  spacing: (element, value) => {
    if (typeof value === "string") {
      swapClass(element, "anvil-gap-", value);
      return;
    }
    setStyle(element, "margin", box(value?.margin));
    setStyle(element, "padding", box(value?.padding));
  },
  margin: (element, value) => setStyle(element, "margin", box(value)),
  enabled: (element, value, _props, type) => {
    control(element, type).disabled = !value;
    element.classList.toggle("anvil-disabled", !value);
  },
  placeholder: (element, value, _props, type) => setAttr(control(element, type), "placeholder", value),
  tag: () => {},
};

/** The element that holds a child inside a container of `parentType`. */
export function slot(parentType, layout) {
  const element = el("div", `wb-holder ${slotClass(parentType)}`);
  layoutSlot(element, layout ?? {}, parentType);
  return element;
}

/** Apply a child's layout properties to its holder (those that style the holder itself). */
export function layoutSlot(element, layout, parentType) {
  element.classList.toggle("anvil-full-width", Boolean(layout.full_width_row) && parentType !== "ColumnPanel");
  element.classList.toggle("anvil-expand", Boolean(layout.expand));
  setStyle(element, "width", px(layout.width));
  if (parentType === "XYPanel") {
    setStyle(element, "left", px(layout.x ?? 0));
    setStyle(element, "top", px(layout.y ?? 0));
  }
}

/** Put `holder` (a child's slot) in its place in `container` (see the top of this file). */
export function attach(container, parentType, holder, layout, before) {
  attachChild(container, parentType, holder, layout ?? {}, before ?? null);
}

/** A child's element put in a new holder (`slot`), hidden or invisible as its component is,
 * and the holder put in its place in `container` (`attach`): the holder. One call for what
 * adding a component needs, so the Python side crosses into JavaScript once per child. */
export function place(container, parentType, child, layout, before, hidden, invisible) {
  const holder = slot(parentType, layout);
  holder.append(child);
  holder.classList.toggle("anvil-hidden", Boolean(hidden));
  if (invisible) holder.classList.add("anvil-invisible");
  attach(container, parentType, holder, layout, before);
  return holder;
}

/** Take `holder` out of its container. */
export function release(holder) {
  releaseChild(holder);
}
