// A one-time set-password link (`/set-password#TOKEN`): the token is in the fragment, which
// never reaches the server with the page; it is sent once, with the new password.

import { api } from "../lib/api.js";
import { busy, flash, formError } from "../lib/dom.js";
import { ready } from "../lib/page.js";

const form = document.querySelector("[data-form=set-password]");
const token = decodeURIComponent(location.hash.slice(1));
// the token leaves the address bar (and the history entry) at once
if (token) history.replaceState(null, "", location.pathname);

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!token) {
    formError(form, "This link is incomplete: open the whole link you were given.");
    return;
  }
  const password = form.elements.password.value;
  if (password.length < 8) {
    formError(form, "A password is at least 8 characters.");
    form.elements.password.focus();
    return;
  }
  formError(form, "");
  await busy(form.querySelector("button[type=submit]"), async () => {
    try {
      await api("POST", "/api/auth/set-password", { token, password });
      flash("Your password is set: you are signed in");
      location.assign("/");
    } catch (error) {
      formError(form, error.message);
    }
  });
});

form.elements.password.focus();
ready();
