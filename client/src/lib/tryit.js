// "Try it" for HTTP API widgets: the routes found in the code (routes.js), and a request sent
// to the widget's URL with its status, headers, body and time shown.

import { h } from "./dom.js";
import { statusTone } from "./format.js";
import { findRoutes } from "./routes.js";

export class TryIt {
  constructor(root, { apiPath, source, beforeSend }) {
    this.root = root;
    this.apiPath = apiPath;
    this.source = source;
    this.beforeSend = beforeSend;
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
            h("span", { class: "method" }, route.methods[0]),
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
    } finally {
      submit.disabled = false;
    }
  }

  show(response, text, ms) {
    const status = this.response.querySelector("[data-field=status]");
    const tone = response.ok ? "ok" : response.status >= 500 ? "error" : "timeout";
    status.className = `badge ${statusTone(tone)}`;
    status.textContent = `${response.status} ${response.statusText}`.trim();
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
