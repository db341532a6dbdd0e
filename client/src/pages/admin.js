// The admin's site settings.
import { api } from "../lib/api.js";
import { busy, formError, toast } from "../lib/dom.js";
import { ready } from "../lib/page.js";

const form = document.querySelector("[data-form=site-settings]");
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  formError(form, "");
  await busy(form.querySelector("button[type=submit]"), async () => {
    try {
      await api("PUT", "/api/admin/settings", { open_signup: form.elements.open_signup.checked });
      toast("Settings saved");
    } catch (error) {
      formError(form, error.message);
    }
  });
});
ready();
