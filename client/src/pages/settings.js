// A widget's settings: title, slug, visibility and persistent mode; secrets; deleting it.

import { api } from "../lib/api.js";
import { busy, flash, formError, h, pageData, toast } from "../lib/dom.js";
import { ready } from "../lib/page.js";
import { usersSettings } from "../lib/users.js";

const { widget } = pageData();
usersSettings(widget); // the Users service's card (lib/users.js)

const general = document.querySelector("[data-form=widget-settings]");
general.addEventListener("submit", async (event) => {
  event.preventDefault();
  const fields = Object.fromEntries(new FormData(general));
  const changes = {};
  if (fields.title.trim() !== widget.title) changes.title = fields.title.trim();
  if (fields.slug.trim() !== widget.slug) changes.slug = fields.slug.trim();
  if (fields.visibility !== widget.visibility) changes.visibility = fields.visibility;
  const persistent = general.elements.persistent; // HTTP APIs and apps only
  if (persistent && persistent.checked !== widget.persistent) changes.persistent = persistent.checked;
  if (!Object.keys(changes).length) {
    toast("Nothing changed");
    return;
  }
  formError(general, "");
  await busy(general.querySelector("button[type=submit]"), async () => {
    try {
      const saved = await api("PATCH", `/api/widgets/${widget.slug}`, changes);
      flash("Settings saved");
      location.assign(`/widgets/${saved.slug}/settings`);
    } catch (error) {
      formError(general, error.message);
    }
  });
});

// -- secrets ------------------------------------------------------------------------------

const table = document.querySelector("table.secrets");
const none = document.querySelector(".no-secrets");
const secretForm = document.querySelector("[data-form=secret]");

function showRow(secret) {
  const body = table.querySelector("tbody");
  body.querySelector(`tr[data-secret="${CSS.escape(secret.name)}"]`)?.remove();
  const remove = h(
    "button",
    { type: "button", class: "small quiet danger-text", "data-action": "delete-secret", "data-name": secret.name },
    "Delete",
    h("span", { class: "sr-only" }, ` ${secret.name}`),
  );
  const row = h(
    "tr",
    { "data-secret": secret.name },
    h("td", {}, h("code", {}, secret.name)),
    h("td", {}, "just now"),
    h("td", { class: "end" }, remove),
  );
  body.append(row);
  table.hidden = false;
  none.hidden = true;
}

secretForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const name = secretForm.elements.name.value.trim();
  const value = secretForm.elements.value.value;
  if (!name || !value) {
    formError(secretForm, "Enter a name and a value.");
    return;
  }
  formError(secretForm, "");
  await busy(secretForm.querySelector("button[type=submit]"), async () => {
    try {
      const saved = await api("PUT", `/api/widgets/${widget.slug}/secrets/${encodeURIComponent(name)}`, { value });
      showRow(saved);
      secretForm.reset();
      toast(`Secret ${saved.name} set`);
      secretForm.elements.name.focus();
    } catch (error) {
      formError(secretForm, error.message);
    }
  });
});

table.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-action=delete-secret]");
  if (!button) return;
  const name = button.dataset.name;
  if (!confirm(`Delete the secret ${name}? Code that reads it will fail.`)) return;
  await busy(button, async () => {
    try {
      await api("DELETE", `/api/widgets/${widget.slug}/secrets/${encodeURIComponent(name)}`);
      button.closest("tr").remove();
      const empty = !table.querySelector("tbody tr");
      table.hidden = empty;
      none.hidden = !empty;
      toast(`Secret ${name} deleted`);
    } catch (error) {
      toast(error.message, "bad");
    }
  });
});

// -- deleting -----------------------------------------------------------------------------

const dialog = document.querySelector(".danger-zone dialog.confirm"); // not the layout's fork dialog
const confirmForm = dialog.querySelector("form");
document.querySelector("[data-action=delete]").addEventListener("click", () => {
  confirmForm.reset();
  formError(confirmForm, "");
  dialog.showModal();
});
dialog.querySelector("[data-action=cancel-delete]").addEventListener("click", () => dialog.close());
confirmForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (confirmForm.elements.slug.value.trim() !== widget.slug) {
    formError(confirmForm, `Type ${widget.slug} exactly to confirm.`);
    confirmForm.elements.slug.focus();
    return;
  }
  await busy(confirmForm.querySelector("button[type=submit]"), async () => {
    try {
      await api("DELETE", `/api/widgets/${widget.slug}`);
      flash(`Deleted "${widget.title}"`);
      location.assign("/");
    } catch (error) {
      formError(confirmForm, error.message);
    }
  });
});
ready();
