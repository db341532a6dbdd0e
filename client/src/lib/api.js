// The JSON API, as the pages use it: same-origin fetches with the CSRF token, and errors in
// the API's one shape turned into ApiError (with the message written for people).

export class ApiError extends Error {
  constructor(status, code, message, details = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** The CSRF token from the `wb_csrf` cookie (`__Host-wb_csrf` over HTTPS). */
export function csrfToken() {
  for (const part of document.cookie.split("; ")) {
    const [name, ...rest] = part.split("=");
    if (name === "wb_csrf" || name === "__Host-wb_csrf") return rest.join("=");
  }
  return "";
}

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** `api("POST", "/api/widgets", {...})` → the parsed answer; throws ApiError. */
export async function api(method, path, body) {
  const headers = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (UNSAFE.has(method)) headers["x-csrf-token"] = csrfToken();
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? (UNSAFE.has(method) ? "{}" : undefined) : JSON.stringify(body),
      credentials: "same-origin",
    });
  } catch {
    throw new ApiError(0, "offline", "Widgetbox cannot be reached. Check your connection and try again.");
  }
  if (response.status === 204) return null;
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = data?.error;
    if (error) throw new ApiError(response.status, error.code, error.message, error.details || {});
    throw new ApiError(response.status, "error", `The server answered ${response.status}.`);
  }
  return data;
}
