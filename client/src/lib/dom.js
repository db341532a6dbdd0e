// Small DOM helpers shared by the pages.

import { toast } from "./toasts.js";

// toasts (short messages placed where they cover no control) live in toasts.js
export { toast };

/** `h("a", {href: "/x", class: "y"}, "text", child)`: an element. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value == null) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : value);
  }
  element.append(...children.filter((child) => child != null && child !== false));
  return element;
}

/** The JSON the server embedded in the page for its script. */
export function pageData() {
  const element = document.getElementById("page-data");
  return element ? JSON.parse(element.textContent) : {};
}

const FLASH = "widgetbox:flash";

/** A toast shown on the next page (after a navigation). */
export function flash(message) {
  sessionStorage.setItem(FLASH, message);
}

export function showFlash() {
  const message = sessionStorage.getItem(FLASH);
  if (message) {
    sessionStorage.removeItem(FLASH);
    toast(message);
  }
}

/** Shows `message` in a form's `.error` element (or hides it when empty). */
export function formError(form, message) {
  const element = form.querySelector(".error");
  if (!element) return;
  element.textContent = message || "";
  element.hidden = !message;
}

/** Runs `action` with `button` disabled and marked busy, whatever happens. */
export async function busy(button, action) {
  if (!button) return action();
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  try {
    return await action();
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
}

export const isMac = /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);

/** A small inline form after `button` asking for a name (the button hides meanwhile).
 * `problem(name)` says what is wrong with a name, or returns "" for a good one; `done(name)`
 * takes a good one. Escape closes the form and returns focus to the button. */
export function askName(button, { label, placeholder, problem, done }) {
  const input = h("input", { "aria-label": label, placeholder, spellcheck: "false", autocapitalize: "none" });
  const form = h("form", { class: "new-file" }, input, h("button", { type: "submit", class: "small" }, "Add"));
  const close = () => {
    form.remove();
    button.hidden = false;
  };
  form.addEventListener("submit", (submit) => {
    submit.preventDefault();
    const name = input.value.trim();
    const wrong = problem(name);
    if (wrong) {
      input.setAttribute("aria-invalid", "true");
      toast(wrong, "bad");
      return;
    }
    close();
    done(name);
  });
  input.addEventListener("keydown", (key) => {
    if (key.key === "Escape") {
      close();
      button.focus();
    }
  });
  button.hidden = true;
  button.after(form);
  input.focus();
}
