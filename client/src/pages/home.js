// The landing page: log in or sign up through the JSON API, then go on.
import { api } from "../lib/api.js";
import { busy, formError, pageData } from "../lib/dom.js";
import { ready } from "../lib/page.js";

const { next } = pageData();

for (const form of document.querySelectorAll("form[data-form]")) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const kind = form.dataset.form;
    const fields = Object.fromEntries(new FormData(form));
    if (!fields.username || !fields.password) {
      formError(form, "Enter a username and a password.");
      form.querySelector(fields.username ? "[name=password]" : "[name=username]").focus();
      return;
    }
    formError(form, "");
    await busy(form.querySelector("button[type=submit]"), async () => {
      try {
        await api("POST", `/api/auth/${kind}`, fields);
        location.assign(kind === "signup" ? "/welcome" : next || "/");
      } catch (error) {
        formError(form, error.message);
      }
    });
  });
}

document.querySelector("[data-form=login] [name=username]")?.focus({ preventScroll: true });
ready();
