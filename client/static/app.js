// The pages' script: sends the forms to the JSON API with the CSRF token.
const csrf = () =>
  (document.cookie.split("; ").find((c) => /^(__Host-)?wb_csrf=/.test(c)) || "").split("=")[1] || "";

async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: { "content-type": "application/json", "x-csrf-token": csrf() },
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
  });
  const data = response.status === 204 ? null : await response.json();  // 204: no body
  if (!response.ok) throw new Error(data?.error?.message || `The server answered ${response.status}.`);
  return data;
}

for (const form of document.querySelectorAll("form[data-form]")) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = form.querySelector(".error");
    const fields = Object.fromEntries(new FormData(form));
    try {
      await api("POST", `/api/auth/${form.dataset.form}`, fields);
      location.assign("/");
    } catch (e) {
      error.textContent = e.message;
      error.hidden = false;
    }
  });
}

document.querySelector("[data-action=logout]")?.addEventListener("click", async () => {
  await api("POST", "/api/auth/logout");
  location.assign("/");
});
