// The account's settings: API tokens, made (the value shown once), listed and revoked.

import { api } from "../lib/api.js";
import { busy, formError, h, toast } from "../lib/dom.js";
import { localizeTimes } from "../lib/format.js";
import { ready } from "../lib/page.js";

const table = document.querySelector("table.tokens");
const none = document.querySelector(".no-tokens");
const form = document.querySelector("[data-form=token]");
const reveal = document.querySelector(".new-token");
const revealed = document.getElementById("new-token-value");

function syncEmpty() {
  const empty = !table.querySelector("tbody tr");
  table.hidden = empty;
  none.hidden = !empty;
}

function time(iso) {
  return h("time", { datetime: iso, "data-relative": true }, iso);
}

function tokenRow(token) {
  const revoke = h(
    "button",
    {
      type: "button",
      class: "small quiet danger-text",
      "data-action": "revoke-token",
      "data-id": token.id,
      "data-name": token.name,
    },
    "Revoke",
    h("span", { class: "sr-only" }, ` ${token.name}`),
  );
  return h(
    "tr",
    { "data-token": token.id },
    h("td", {}, token.name),
    h("td", { "data-label": "Scope" }, token.scope),
    h("td", { "data-label": "Token" }, h("code", {}, `${token.prefix}…`)),
    h("td", { "data-label": "Expires" }, time(token.expires_at)),
    h("td", { "data-label": "Last used" }, h("span", { class: "muted" }, "Never")),
    h("td", { class: "end" }, revoke),
  );
}

/** Shows the new token's value until it is dismissed; then it is gone from the page. */
function show(value) {
  revealed.textContent = value;
  reveal.hidden = false;
  reveal.querySelector("[data-copy]").focus();
}

function hide() {
  revealed.textContent = "";
  reveal.hidden = true;
}

reveal.querySelector("[data-action=hide-token]").addEventListener("click", () => {
  hide();
  form.elements.name.focus();
});

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const name = form.elements.name.value.trim();
  if (!name) {
    formError(form, "Give the token a name: where it is used.");
    form.elements.name.focus();
    return;
  }
  formError(form, "");
  const body = {
    name,
    scope: form.elements.scope.value,
    expires_in_days: Number(form.elements.expires_in_days.value),
  };
  await busy(form.querySelector("button[type=submit]"), async () => {
    try {
      const made = await api("POST", "/api/tokens", body);
      table.querySelector("tbody").prepend(tokenRow(made.token));
      localizeTimes(table);
      syncEmpty();
      form.reset();
      show(made.value);
    } catch (error) {
      formError(form, error.message);
    }
  });
});

table.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-action=revoke-token]");
  if (!button) return;
  const { id, name } = button.dataset;
  if (!confirm(`Revoke the token "${name}"? Programs using it will be refused at once.`)) return;
  await busy(button, async () => {
    try {
      await api("DELETE", `/api/tokens/${encodeURIComponent(id)}`);
      button.closest("tr").remove();
      syncEmpty();
      toast(`Token "${name}" revoked`);
    } catch (error) {
      toast(error.message, "bad");
    }
  });
});
ready();
