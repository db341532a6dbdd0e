// The admin's page: accounts (searched, disabled or enabled, made admins or not, given a
// set-password link, made), the sign-up switch, the site-wide limits, and the server's health.
import { api } from "../lib/api.js";
import { busy, formError, h, pageData, toast } from "../lib/dom.js";
import { plural } from "../lib/format.js";
import { size as bytes } from "../lib/packages.js";
import { ready } from "../lib/page.js";

const data = pageData();
const table = document.querySelector("table.users");
const rows = table.querySelector("tbody");
const none = document.querySelector(".no-users");
const count = document.querySelector(".users-count");
const more = document.querySelector("[data-action=more-users]");
const search = document.querySelector("[data-form=search]");
const linkBox = document.querySelector(".password-link");
let query = "";
let shown = 0;

function actionButton(action, label, user, tone = "") {
  return h(
    "button",
    { type: "button", class: `small quiet ${tone}`.trim(), "data-action": action, "data-user": user.username },
    label,
    h("span", { class: "sr-only" }, ` ${user.username}`),
  );
}

function userRow(user) {
  const badges = [h("span", {}, user.is_admin ? "Admin" : "User")];
  if (user.disabled) badges.push(h("span", { class: "badge bad" }, "Disabled"));
  const actions = [];
  if (user.username !== data.me) {
    actions.push(
      user.disabled ? actionButton("enable", "Enable", user) : actionButton("disable", "Disable", user, "danger-text"),
    );
  }
  actions.push(
    user.is_admin ? actionButton("remove-admin", "Remove admin", user) : actionButton("make-admin", "Make admin", user),
    actionButton("password-link", "Password link", user),
  );
  return h(
    "tr",
    { "data-username": user.username },
    h("td", {}, h("strong", {}, user.username)),
    h("td", { "data-label": "Role", class: "role" }, ...badges),
    h("td", { "data-label": "Widgets" }, String(user.widgets)),
    h("td", { "data-label": "Runs today" }, String(user.runs_today)),
    h("td", { "data-label": "Storage" }, bytes(user.storage_bytes)),
    h("td", { class: "end actions-cell" }, ...actions),
  );
}

function showUsers(users, total, append) {
  if (!append) {
    rows.replaceChildren();
    shown = 0;
  }
  rows.append(...users.map(userRow));
  shown += users.length;
  table.hidden = shown === 0;
  none.hidden = shown !== 0;
  count.textContent = total ? `${shown} of ${plural(total, "account", "accounts")}` : "";
  more.hidden = shown >= total;
}

async function loadUsers(append = false) {
  const params = new URLSearchParams({ q: query, offset: String(append ? shown : 0) });
  const found = await api("GET", `/api/admin/users?${params}`);
  showUsers(found.users, found.total, append);
}

let searching = 0;
search.addEventListener("input", () => {
  clearTimeout(searching);
  searching = setTimeout(async () => {
    query = search.elements.q.value.trim();
    try {
      await loadUsers();
    } catch (error) {
      toast(error.message, "bad");
    }
  }, 200);
});
search.addEventListener("submit", (event) => event.preventDefault());
more.addEventListener("click", () => busy(more, () => loadUsers(true).catch((error) => toast(error.message, "bad"))));

function showLink(username, url) {
  linkBox.querySelector(".link-user").textContent = username;
  linkBox.querySelector("#password-link-value").textContent = url;
  linkBox.hidden = false;
  linkBox.querySelector("[data-copy]").focus();
}
linkBox.querySelector("[data-action=hide-link]").addEventListener("click", () => {
  linkBox.querySelector("#password-link-value").textContent = "";
  linkBox.hidden = true;
});

const CHANGES = {
  disable: [{ disabled: true }, (name) => `${name} is disabled: signed out, tokens refused, widgets hidden`],
  enable: [{ disabled: false }, (name) => `${name} is enabled again`],
  "make-admin": [{ is_admin: true }, (name) => `${name} is an admin now`],
  "remove-admin": [{ is_admin: false }, (name) => `${name} is not an admin any more`],
};

table.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-action]");
  if (!button) return;
  const { action, user } = button.dataset;
  const path = `/api/admin/users/${encodeURIComponent(user)}`;
  await busy(button, async () => {
    try {
      if (action === "password-link") {
        const made = await api("POST", `${path}/password-link`);
        showLink(user, made.url);
        return;
      }
      const [change, said] = CHANGES[action];
      const changed = await api("PATCH", path, change);
      const row = button.closest("tr");
      const fresh = userRow(changed);
      row.replaceWith(fresh);
      fresh.querySelector(`[data-action]:not([data-action=${action}])`)?.focus();
      toast(said(user));
    } catch (error) {
      toast(error.message, "bad");
    }
  });
});

const newUser = document.querySelector("[data-form=new-user]");
newUser.addEventListener("submit", async (event) => {
  event.preventDefault();
  const username = newUser.elements.username.value.trim();
  if (!username) {
    formError(newUser, "Give the account a username.");
    newUser.elements.username.focus();
    return;
  }
  formError(newUser, "");
  await busy(newUser.querySelector("button[type=submit]"), async () => {
    try {
      const made = await api("POST", "/api/admin/users", { username, is_admin: newUser.elements.is_admin.checked });
      newUser.reset();
      rows.append(userRow(made.user));
      table.hidden = false;
      none.hidden = true;
      showLink(made.user.username, made.url);
    } catch (error) {
      formError(newUser, error.message);
    }
  });
});

const settings = document.querySelector("[data-form=site-settings]");
settings.addEventListener("submit", async (event) => {
  event.preventDefault();
  formError(settings, "");
  await busy(settings.querySelector("button[type=submit]"), async () => {
    try {
      await api("PUT", "/api/admin/settings", { open_signup: settings.elements.open_signup.checked });
      toast("Settings saved");
    } catch (error) {
      formError(settings, error.message);
    }
  });
});

// -- limits ----------------------------------------------------------------------------------

const limitsForm = document.querySelector("[data-form=limits]");
const limitsBox = limitsForm.querySelector(".limits");
const LIMIT_LABELS = {
  runs_per_user: "Scripts running at once, per user",
  queue_size: "Runs waiting, per lane",
  http_requests_per_minute: "HTTP API requests per minute, per address",
  app_calls_per_minute: "App server calls per minute, per address",
  email_per_widget_per_day: "Emails per widget per day",
};

function showLimits(limits) {
  limitsBox.replaceChildren(
    ...limits.map((limit) => {
      const id = `limit-${limit.name}`;
      const reset = h(
        "button",
        { type: "button", class: "small quiet", "data-reset": limit.name, hidden: !limit.overridden },
        `Reset to ${limit.setting}`,
        h("span", { class: "sr-only" }, ` (${LIMIT_LABELS[limit.name]})`),
      );
      return h(
        "div",
        { class: "row limit" },
        h(
          "div",
          { class: "field grow" },
          h("label", { for: id }, LIMIT_LABELS[limit.name] || limit.name),
          h("input", {
            id,
            name: limit.name,
            type: "number",
            min: "0",
            step: "1",
            value: String(limit.value),
            required: true,
          }),
          h(
            "span",
            { class: "hint" },
            limit.overridden ? `Set here; the settings file says ${limit.setting}.` : "From the settings file.",
          ),
        ),
        reset,
      );
    }),
  );
}

async function saveLimits(values) {
  formError(limitsForm, "");
  try {
    const found = await api("PUT", "/api/admin/limits", { values });
    showLimits(found.limits);
    toast("Limits saved: in effect now");
  } catch (error) {
    formError(limitsForm, error.message);
  }
}

// Only what the admin changed is sent: an untouched limit keeps following the settings file.
limitsForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const values = {};
  for (const input of limitsForm.querySelectorAll("input[type=number]")) {
    const number = Number(input.value);
    if (input.value.trim() === "" || !Number.isInteger(number)) {
      formError(limitsForm, `${LIMIT_LABELS[input.name]}: enter a whole number.`);
      input.focus();
      return;
    }
    if (input.value !== input.defaultValue) values[input.name] = number;
  }
  if (Object.keys(values).length === 0) {
    formError(limitsForm, "");
    toast("No limit was changed");
    return;
  }
  await busy(limitsForm.querySelector("button[type=submit]"), () => saveLimits(values));
});
limitsForm.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-reset]");
  if (button) await busy(button, () => saveLimits({ [button.dataset.reset]: null }));
});

// -- health ----------------------------------------------------------------------------------

const facts = document.querySelector("dl.health");
const processes = document.querySelector("table.processes tbody");
const refresh = document.querySelector("[data-action=refresh-health]");

function fact(term, value) {
  return h("div", {}, h("dt", {}, term), h("dd", {}, value));
}

async function loadHealth() {
  facts.setAttribute("aria-busy", "true");
  try {
    const health = await api("GET", "/api/admin/health");
    const used = health.disk_total_bytes - health.disk_free_bytes;
    facts.replaceChildren(
      fact("Runs running", `${health.running} of ${health.capacity}`),
      fact("Runs waiting", String(health.waiting)),
      fact("Disk free", `${bytes(health.disk_free_bytes)} of ${bytes(health.disk_total_bytes)}`),
      fact("Disk used", `${Math.round((100 * used) / Math.max(1, health.disk_total_bytes))}%`),
      fact("Database", bytes(health.database_bytes)),
      fact("Data Tables", bytes(health.tables_bytes)),
      fact("Interpreter pool", `${health.pool_size} kept ready`),
      // workers on other machines: the server's NATS connection, or why it has none
      ...(health.nats ? [fact("NATS", health.nats === "connected" ? "Connected" : health.nats)] : []),
    );
    processes.replaceChildren(
      ...health.processes.map((process, index) =>
        h(
          "tr",
          {},
          h("td", {}, `${process.lane === "batch" ? "Scripts" : "Requests"} #${index + 1}`),
          h(
            "td",
            { "data-label": "State" },
            h("span", { class: `badge ${process.alive ? "ok" : "bad"}` }, process.alive ? "Running" : "Stopped"),
          ),
          h("td", { "data-label": "Runs" }, String(process.runs)),
          h(
            "td",
            { "data-label": "Interpreters ready" },
            process.pooled == null ? "No answer" : String(process.pooled),
          ),
        ),
      ),
      // workers on other machines (the nats_url setting), as their heartbeats say
      ...health.workers.map((worker) =>
        h(
          "tr",
          {},
          h("td", {}, `Worker ${worker.name}`),
          h(
            "td",
            { "data-label": "State" },
            h(
              "span",
              { class: `badge ${worker.healthy ? "ok" : "bad"}`, title: worker.why },
              worker.healthy ? "Running" : `Not used: ${worker.why}`,
            ),
          ),
          h(
            "td",
            { "data-label": "Runs" },
            `${worker.runs} of ${worker.capacity} (${worker.served} done, ${worker.lost} lost)`,
          ),
          h("td", { "data-label": "Interpreters ready" }, `${worker.processes} processes`),
        ),
      ),
    );
  } catch (error) {
    toast(error.message, "bad");
  } finally {
    facts.removeAttribute("aria-busy");
  }
}
refresh.addEventListener("click", () => busy(refresh, loadHealth));

showUsers(data.users, data.total, false);
showLimits(data.limits);
loadHealth().then(ready);
