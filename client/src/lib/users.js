// The Users service in the IDE (host/app_users/api.py): its card on a widget's settings page
// (on or off, sign-up, email confirmation, "Remember me" days, shortest password: saving
// writes a new version of the widget's services.yaml, and the first time a users table in its
// tables.yaml), and its card on the Data page (the people who signed up, searched by email,
// enabled or disabled, confirmed, removed; shown when the service is on or the table has
// users).

import { api } from "./api.js";
import { busy, formError, h, toast } from "./dom.js";
import { plural } from "./format.js";

const FLAGS = ["allow_signup", "enable_automatically", "confirm_email"];
const NUMBERS = ["remember_me_days", "min_password_length"];

/** Wires the Users card of the settings page of `widget`. */
export async function usersSettings(widget) {
  const form = document.querySelector("[data-form=users-service]");
  if (!form) return;
  const url = `/api/widgets/${widget.slug}/users/settings`;
  const options = form.querySelector("[data-when=users-on]");
  let version = null;

  const show = (answer) => {
    version = answer.version;
    form.elements.enabled.checked = answer.enabled;
    for (const name of FLAGS) form.elements[name].checked = Boolean(answer.settings[name]);
    for (const name of NUMBERS) form.elements[name].value = String(answer.settings[name]);
    options.disabled = !answer.enabled;
    formError(form, answer.problems.length ? `services.yaml cannot be read: ${answer.problems.join("; ")}` : "");
  };

  form.elements.enabled.addEventListener("change", () => {
    options.disabled = !form.elements.enabled.checked;
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { enabled: form.elements.enabled.checked, base_version: version };
    for (const name of FLAGS) body[name] = form.elements[name].checked;
    for (const name of NUMBERS) {
      const field = form.elements[name];
      if (!field.checkValidity()) {
        formError(form, `${field.labels[0].textContent}: ${field.validationMessage}`);
        field.focus();
        return;
      }
      body[name] = Number(field.value);
    }
    formError(form, "");
    await busy(form.querySelector("button[type=submit]"), async () => {
      try {
        show(await api("PUT", url, body));
        toast(body.enabled ? "Users service saved" : "Users service off");
      } catch (error) {
        formError(form, error.message);
      }
    });
  });

  try {
    show(await api("GET", url));
  } catch (error) {
    formError(form, error.message);
  }
}

// -- the Data page --------------------------------------------------------------------------

const when = (text) => (text ? new Date(text).toLocaleString() : "—");

/** Wires the Users card of the Data page of `widget`. */
export async function usersPanel(widget) {
  const panel = document.querySelector(".users-panel");
  if (!panel) return;
  const url = `/api/widgets/${widget.slug}/users`;
  const body = panel.querySelector(".users-list tbody");
  const info = panel.querySelector(".users-info");
  const problem = panel.querySelector(".users-problem");
  const more = panel.querySelector("[data-action=more-users]");
  const search = panel.querySelector("[data-form=users-search]");
  const state = { q: "", shown: 0 };

  const row = (user) => {
    const label = user.email || `row ${user.id}`;
    const action = (name, text) =>
      h(
        "button",
        {
          type: "button",
          class: `small quiet${name === "remove" ? " danger-text" : ""}`,
          "data-action": name,
          "data-id": String(user.id),
        },
        text,
        h("span", { class: "sr-only" }, ` ${label}`),
      );
    return h(
      "tr",
      { "data-user": String(user.id) },
      h("td", {}, user.email || "—"),
      h("td", {}, user.enabled ? "Yes" : "No"),
      h("td", {}, user.confirmed_email ? "Yes" : "No"),
      h("td", {}, when(user.signed_up)),
      h("td", {}, when(user.last_login)),
      h(
        "td",
        { class: "end" },
        action("toggle", user.enabled ? "Disable" : "Enable"),
        user.confirmed_email ? "" : action("confirm", "Confirm"),
        action("remove", "Remove"),
      ),
    );
  };

  async function load(append = false) {
    const offset = append ? state.shown : 0;
    const answer = await api("GET", `${url}?q=${encodeURIComponent(state.q)}&offset=${offset}`);
    panel.hidden = !answer.enabled && !answer.total;
    problem.hidden = !answer.problem;
    problem.textContent = answer.problem || "";
    const rows = answer.users.map(row);
    if (append) body.append(...rows);
    else body.replaceChildren(...rows);
    state.shown = offset + answer.users.length;
    more.hidden = !answer.more;
    info.textContent = answer.total
      ? `${state.shown.toLocaleString("en")} of ${plural(answer.total, "user")}`
      : state.q
        ? "No user's email matches."
        : "No users yet.";
    panel.users = Object.fromEntries(answer.users.map((user) => [String(user.id), user]));
  }

  search.addEventListener("submit", async (event) => {
    event.preventDefault();
    state.q = search.elements.q.value.trim();
    await load();
  });
  more.addEventListener("click", () => busy(more, () => load(true)));

  body.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-action]");
    if (!button) return;
    const id = button.dataset.id;
    const tr = button.closest("tr");
    const email = tr.firstChild.textContent;
    const enabled = tr.children[1].textContent === "Yes";
    await busy(button, async () => {
      try {
        if (button.dataset.action === "remove") {
          if (!confirm(`Remove the user ${email}? Their row is deleted; this cannot be undone.`)) return;
          await api("DELETE", `${url}/${id}`);
          tr.remove();
          toast(`Removed ${email}`);
          return;
        }
        const change = button.dataset.action === "toggle" ? { enabled: !enabled } : { confirmed_email: true };
        const user = await api("PATCH", `${url}/${id}`, change);
        tr.replaceWith(row(user));
        toast(
          `${email}: ${button.dataset.action === "toggle" ? (user.enabled ? "enabled" : "disabled") : "confirmed"}`,
        );
      } catch (error) {
        toast(error.message, "bad");
      }
    });
  });

  try {
    await load();
  } catch (error) {
    panel.hidden = false;
    problem.hidden = false;
    problem.textContent = error.message;
  }
}
