// "Try it" for HTTP API widgets: the routes found in the code (routes.js), and a request sent
// to the widget's URL with its status, headers, body and time shown. When the owner's request
// fails, the host names its log entry (`X-Widgetbox-Run`, only ever for the signed-in owner;
// the answer stays the public's generic 500), and the panel shows that entry's traceback,
// the widget's own frames, with the failing line marked in the editor (`onError`).

import { api } from "./api.js";
import { h } from "./dom.js";
import { setToneBadge } from "./format.js";
import { findRoutes } from "./routes.js";

export class TryIt {
  constructor(root, { apiPath, source, beforeSend, onError = () => {}, onSend = () => {} }) {
    this.root = root;
    this.apiPath = apiPath;
    this.source = source;
    this.beforeSend = beforeSend;
    this.onError = onError;
    this.onSend = onSend;
    this.traceback = root.querySelector(".traceback");
    this.errorAt = null;
    this.traceback?.querySelector("[data-action=goto-error]").addEventListener("click", () => {
      if (this.errorAt) this.onError(this.errorAt, true);
    });
    this.form = root.querySelector("[data-form=try]");
    this.response = root.querySelector(".response");
    this.routes = root.querySelector(".routes");
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.send();
    });
    this.showRoutes();
    const first = findRoutes(source())[0];
    if (first) this.choose(first, false);
  }

  showRoutes() {
    const routes = findRoutes(this.source());
    if (!routes.length) {
      this.routes.replaceChildren(h("li", { class: "muted small" }, "No @anvil.server.route functions found yet."));
      return;
    }
    this.routes.replaceChildren(
      ...routes.map((route) =>
        h(
          "li",
          {},
          h(
            "button",
            { type: "button", class: "small", onclick: () => this.choose(route, true) },
            h("span", { class: "method" }, route.methods.join(", ")),
            ` ${route.path}`,
          ),
        ),
      ),
    );
  }

  choose(route, focus) {
    this.form.elements.method.value = route.methods[0];
    this.form.elements.path.value = route.path;
    if (!focus) return;
    const path = this.form.elements.path;
    path.focus();
    const param = /:[A-Za-z_]\w*/.exec(route.path);
    if (param) path.setSelectionRange(param.index, param.index + param[0].length);
  }

  error(message) {
    const element = this.form.querySelector(".error");
    element.textContent = message || "";
    element.hidden = !message;
  }

  async send() {
    const fields = this.form.elements;
    const method = fields.method.value;
    let path = fields.path.value.trim() || "/";
    if (!path.startsWith("/")) path = `/${path}`;
    const query = fields.query.value.trim().replace(/^\?/, "");
    const bodyText = fields.body.value.trim();
    this.error("");
    if (bodyText) {
      try {
        JSON.parse(bodyText);
      } catch (problem) {
        this.error(`The body is not valid JSON: ${problem.message}`);
        fields.body.focus();
        return;
      }
      if (method === "GET") {
        this.error("A GET request has no body: choose POST, PUT or PATCH, or empty the body.");
        fields.method.focus();
        return;
      }
    }
    const submit = this.form.querySelector("button[type=submit]");
    submit.disabled = true;
    try {
      if (this.beforeSend && !(await this.beforeSend())) {
        this.error("Save your changes first: the request runs the saved code.");
        return;
      }
      this.showRoutes();
      this.hideError();
      this.onSend();
      const url = `${this.apiPath}${path}${query ? `?${query}` : ""}`;
      const started = performance.now();
      let response;
      try {
        response = await fetch(url, {
          method,
          headers: bodyText ? { "content-type": "application/json" } : {},
          body: bodyText || undefined,
          credentials: "same-origin",
        });
      } catch {
        this.error("The request could not be sent: Widgetbox cannot be reached.");
        return;
      }
      const text = await response.text();
      this.show(response, text, performance.now() - started);
      const run = response.headers.get("x-widgetbox-run");
      if (run && /^\d+$/.test(run)) await this.showRun(run);
    } finally {
      submit.disabled = false;
    }
  }

  /** The traceback of the owner's failed request, from its log entry. */
  async showRun(runId) {
    let record;
    try {
      record = await api("GET", `/api/runs/${runId}`);
    } catch {
      return; // the generic answer is shown; the Requests log has the rest
    }
    const error = record.error;
    if (!error || !this.traceback) return;
    this.traceback.querySelector(".error-title").textContent = `${error.type}: ${error.message}`;
    this.traceback.querySelector("pre").textContent = error.traceback;
    const log = this.traceback.querySelector("[data-field=run]");
    log.href = `${log.dataset.base}${runId}`;
    log.textContent = `Request #${record.number} in the log`;
    const frame = error.frames?.at(-1);
    this.errorAt = frame ? { path: frame.filename, line: frame.lineno } : null;
    const goto = this.traceback.querySelector("[data-action=goto-error]");
    goto.hidden = !this.errorAt;
    if (this.errorAt) goto.textContent = `Show ${this.errorAt.path} line ${this.errorAt.line} in the editor`;
    this.traceback.hidden = false;
    if (this.errorAt) this.onError(this.errorAt, false);
  }

  hideError() {
    if (this.traceback) this.traceback.hidden = true;
    this.errorAt = null;
  }

  show(response, text, ms) {
    const status = this.response.querySelector("[data-field=status]");
    const tone = response.ok ? "ok" : response.status >= 500 ? "bad" : "warn";
    setToneBadge(status, tone, `${response.status} ${response.statusText}`.trim());
    this.response.querySelector("[data-field=time]").textContent = `${Math.round(ms)} ms`;
    const rows = [...response.headers].map(([name, value]) =>
      h("tr", {}, h("th", { scope: "row" }, name), h("td", {}, value)),
    );
    this.response.querySelector(".headers tbody").replaceChildren(...rows);
    this.response.querySelector("summary").textContent = `Headers (${rows.length})`;
    let body = text;
    if ((response.headers.get("content-type") || "").includes("json")) {
      try {
        body = JSON.stringify(JSON.parse(text), null, 2);
      } catch {
        body = text;
      }
    }
    this.response.querySelector(".body").textContent = body || "(empty body)";
    this.response.hidden = false;
  }
}
