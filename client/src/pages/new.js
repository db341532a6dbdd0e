// Create a widget, then open it in the editor.
import { api } from "../lib/api.js";
import { busy, flash, formError } from "../lib/dom.js";
import { ready } from "../lib/page.js";

const STARTERS = { script: "script", scheduled: "scheduled task", http: "HTTP API", gui: "app" };
const form = document.querySelector("[data-form=new-widget]");
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const fields = Object.fromEntries(new FormData(form));
  if (!fields.title.trim()) {
    formError(form, "Give the widget a title.");
    form.elements.title.focus();
    return;
  }
  const body = { kind: fields.kind, title: fields.title.trim(), visibility: fields.visibility };
  if (fields.slug.trim()) body.slug = fields.slug.trim();
  formError(form, "");
  await busy(form.querySelector("button[type=submit]"), async () => {
    try {
      const widget = await api("POST", "/api/widgets", body);
      flash(`Created "${widget.title}" from the ${STARTERS[fields.kind] || fields.kind} starter`);
      location.assign(`/widgets/${widget.slug}`);
    } catch (error) {
      formError(form, error.message);
      (error.code === "invalid_slug" || error.code === "slug_taken" ? form.elements.slug : form.elements.title).focus();
    }
  });
});

form.elements.title.focus();
ready();
