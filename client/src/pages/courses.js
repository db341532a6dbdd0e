// The course pages: every form and button that calls the API says so in its markup
// (`data-api="METHOD /path"`, `data-body`, `data-confirm`, `data-done`, `data-then`), so one
// script serves the list, a course, an assignment and the join page. Also: Start, the
// roster import (its problems by line, then the new accounts' set-password links to
// download or print), and a new set-password link for one student.

import { api } from "../lib/api.js";
import { busy, flash, formError, h, toast } from "../lib/dom.js";
import { ready } from "../lib/page.js";

/** The form's fields as the API's JSON: numbers, null for an emptied `data-null-empty`
 * field, nothing for an empty `data-optional` one; `template_choice` → kind or template. */
function body(form) {
  const out = {};
  for (const field of form.elements) {
    if (!field.name || field.type === "file" || field.type === "submit") continue;
    const value = field.value.trim();
    if (field.name === "template_choice") {
      const [what, name] = value.split(/:(.*)/s);
      out[what === "kind" ? "kind" : "template"] = name;
    } else if (value === "" && field.hasAttribute("data-optional")) {
    } else if (value === "" && field.hasAttribute("data-null-empty")) {
      out[field.name] = null;
    } else if (field.hasAttribute("data-number")) {
      out[field.name] = Number(value);
    } else {
      out[field.name] = field.tagName === "TEXTAREA" ? field.value : value;
    }
  }
  return out;
}

/** After a change: a toast on the next page, then `then` (a path with `{field}`s of the
 * answer, or "reload"). */
function after(element, answer) {
  if (element.dataset.done) flash(element.dataset.done);
  const then = element.dataset.then || "reload";
  if (then === "reload") location.reload();
  else location.assign(then.replace(/\{(\w+)\}/g, (_, name) => encodeURIComponent(answer?.[name] ?? "")));
}

function split(spec) {
  const [method, path] = spec.split(" ");
  return { method, path };
}

/** Each field the API named wrong (`details.fields`: name → message) marked, with its
 * message under it; `{}` clears them all. */
function fieldProblems(form, fields) {
  for (const shown of form.querySelectorAll(".field-problem")) {
    shown.textContent = "";
    shown.hidden = true;
  }
  for (const field of form.querySelectorAll("[aria-invalid]")) field.removeAttribute("aria-invalid");
  let first = null;
  for (const [name, message] of Object.entries(fields)) {
    const field = form.elements.namedItem(name);
    if (!field) continue;
    field.setAttribute("aria-invalid", "true");
    const shown = form.querySelector(`#${CSS.escape(field.id)}-problem`);
    if (shown) {
      shown.textContent = message;
      shown.hidden = false;
    }
    first ??= field;
  }
  first?.focus();
}

for (const form of document.querySelectorAll("form[data-api]")) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const missing = [...form.elements].find((field) => field.required && !field.value.trim());
    if (missing) {
      formError(
        form,
        `Fill in ${form.querySelector(`label[for="${missing.id}"]`)?.textContent.trim() || "every field"}.`,
      );
      missing.focus();
      return;
    }
    formError(form, "");
    fieldProblems(form, {});
    const { method, path } = split(form.dataset.api);
    await busy(form.querySelector("button[type=submit]"), async () => {
      try {
        after(form, await api(method, path, body(form)));
      } catch (error) {
        // every problem at once above the button, and each by its field
        formError(form, error.message);
        fieldProblems(form, error.details?.fields || {});
      }
    });
  });
}

document.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-api]");
  if (!button) return;
  if (button.dataset.confirm && !confirm(button.dataset.confirm)) return;
  const { method, path } = split(button.dataset.api);
  await busy(button, async () => {
    try {
      after(button, await api(method, path, button.dataset.body ? JSON.parse(button.dataset.body) : undefined));
    } catch (error) {
      toast(error.message, "bad");
    }
  });
});

// Start: the student's own copy, opened in the editor
document.querySelector("[data-action=start]")?.addEventListener("click", async (event) => {
  const button = event.currentTarget;
  await busy(button, async () => {
    try {
      const copy = await api("POST", button.dataset.url);
      flash("Your own copy is ready: only you and your teachers can see it");
      location.assign(`/widgets/${encodeURIComponent(copy.slug)}`);
    } catch (error) {
      toast(error.message, "bad");
    }
  });
});

// the browser's own time zone, when the list offers it
const zone = document.querySelector("select[data-local-timezone]");
if (zone) {
  const local = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if ([...zone.options].some((option) => option.value === local)) zone.value = local;
}

// -- the roster ---------------------------------------------------------------------------

const roster = document.querySelector("form[data-roster]");
const links = document.querySelector(".roster-links");
let made = [];

function csvCell(text) {
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function showLinks(created) {
  made = created;
  const body = links.querySelector("tbody");
  body.replaceChildren(
    ...created.map((account) =>
      h(
        "tr",
        {},
        h("td", {}, account.name),
        h("td", { "data-label": "Username" }, account.username),
        h("td", { "data-label": "Link" }, h("code", { class: "link" }, account.link)),
      ),
    ),
  );
  links.hidden = false;
  links.querySelector("[data-action=download-links]").focus();
}

roster?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const problems = roster.querySelector(".problems");
  const file = roster.elements.file.files[0];
  const text = file ? await file.text() : roster.elements.text.value;
  problems.hidden = true;
  if (!text.trim()) {
    problems.querySelector(".error").textContent = "Choose a CSV file or paste the roster.";
    problems.querySelector("ul").replaceChildren();
    problems.hidden = false;
    return;
  }
  await busy(roster.querySelector("button[type=submit]"), async () => {
    try {
      const answer = await api("POST", `/api/courses/${roster.dataset.roster}/roster`, { csv: text });
      const already = answer.already.length ? ` (${answer.already.length} already in the course)` : "";
      toast(`${answer.created.length} student accounts made${already}`);
      roster.reset();
      showLinks(answer.created);
    } catch (error) {
      problems.querySelector(".error").textContent = error.message;
      problems
        .querySelector("ul")
        .replaceChildren(...(error.details.problems || []).map((p) => h("li", {}, `Line ${p.line}: ${p.message}`)));
      problems.hidden = false;
    }
  });
});

links?.addEventListener("click", (event) => {
  const action = event.target.closest("[data-action]")?.dataset.action;
  if (action === "download-links") {
    const lines = [
      "name,username,email,link",
      ...made.map((a) => [a.name, a.username, a.email, a.link].map(csvCell).join(",")),
    ];
    const url = URL.createObjectURL(new Blob([`${lines.join("\r\n")}\r\n`], { type: "text/csv" }));
    const anchor = h("a", { href: url, download: "set-password-links.csv" });
    document.body.append(anchor);
    anchor.click();
    anchor.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  } else if (action === "print-links") {
    print();
  } else if (action === "reload") {
    location.reload();
  }
});

// a new set-password link for one roster student who has not set a password yet
document.querySelector("table.members")?.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-link-for]");
  if (!button) return;
  const { course } = JSON.parse(document.getElementById("page-data").textContent);
  const shown = document.querySelector(".new-link");
  await busy(button, async () => {
    try {
      const answer = await api("POST", `/api/courses/${course.id}/members/${button.dataset.linkFor}/password-link`);
      shown.replaceChildren(
        `New link for ${answer.username} (earlier links stop working): `,
        h("code", {}, answer.link),
        " ",
        h("button", { type: "button", class: "small", "data-copy": answer.link }, "Copy link"),
      );
      shown.hidden = false;
    } catch (error) {
      toast(error.message, "bad");
    }
  });
});

// automatic checks in progress (after Submit or Check): look again each second until every
// one shown has finished, then show their results
const checking = document.querySelector("[data-checks-pending]");
if (checking) {
  const timer = setInterval(async () => {
    try {
      const mine = await api("GET", checking.dataset.checksUrl);
      if ([mine.submitted, mine.checked].every((run) => !run || run.finished)) {
        clearInterval(timer);
        location.reload();
      }
    } catch (error) {
      clearInterval(timer);
      toast(error.message, "bad");
    }
  }, 1000);
}

ready();
