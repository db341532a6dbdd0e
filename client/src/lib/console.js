// The run console: status, live output (stdout and stderr told apart), duration, fuel, and
// the traceback of a failed run.

import { h } from "./dom.js";
import { duration, fuel, STATUS_LABELS, setBadge } from "./format.js";

export class RunConsole {
  /** @param {HTMLElement} root the `.console` (or run page) element */
  constructor(root, { slug, onError } = {}) {
    this.root = root;
    this.slug = slug;
    this.onError = onError || (() => {});
    this.output = root.querySelector(".output");
    this.badge = root.querySelector("[data-field=status] .badge, .badge[data-field=status]");
    this.durationField = root.querySelector("[data-field=duration]");
    this.fuelField = root.querySelector("[data-field=fuel]");
    this.runLink = root.querySelector("a[data-field=run]");
    this.traceback = root.querySelector(".traceback");
    this.message = root.querySelector("[data-field=message]");
    this.timer = null;
    this.pre = null;
  }

  /** A new run: empty output, status "Queued", a ticking clock until it ends. */
  start(runId) {
    this.stopClock();
    this.output.replaceChildren();
    this.pre = null;
    this.last = null;
    this.gotOutput = false;
    this.hideError();
    if (this.message) this.message.hidden = true;
    if (this.runLink) {
      this.runLink.hidden = false;
      this.runLink.href = `/widgets/${this.slug}/runs/${runId}`;
      this.runLink.textContent = `Run #${runId}`;
    }
    this.setField(this.fuelField, "");
    this.status("queued");
  }

  status(status) {
    if (this.badge) setBadge(this.badge, status);
    if (status === "running" && !this.timer) {
      const started = performance.now();
      this.timer = setInterval(
        () => this.setField(this.durationField, duration((performance.now() - started) / 1000)),
        100,
      );
    }
  }

  /** Appends output, joining text of the same stream, and keeps the end in view if it was. */
  write(stream, text) {
    if (!text) return;
    const atBottom = this.output.scrollHeight - this.output.scrollTop - this.output.clientHeight < 24;
    if (!this.pre) {
      this.output.querySelector(".placeholder")?.remove();
      this.pre = h("pre", { class: "out" });
      this.output.prepend(this.pre);
    }
    if (this.last?.stream === stream) this.last.element.append(text);
    else {
      const element = h("span", { class: stream === "stderr" ? "stderr" : "stdout" }, text);
      this.pre.append(element);
      this.last = { stream, element };
    }
    this.gotOutput = true;
    if (atBottom) this.output.scrollTop = this.output.scrollHeight;
  }

  /** Shows a stored run's whole output (when the live stream could not be used). */
  replace(record) {
    this.output.replaceChildren();
    this.pre = null;
    this.last = null;
    this.write("stdout", record.stdout);
    this.write("stderr", record.stderr);
  }

  done(summary) {
    this.stopClock();
    if (this.badge) setBadge(this.badge, summary.status);
    this.setField(this.durationField, duration(summary.wall_time));
    this.setField(this.fuelField, summary.fuel != null ? `${fuel(summary.fuel)} fuel` : "");
    if (!this.gotOutput && !this.output.querySelector(".out")) {
      this.output.replaceChildren(h("p", { class: "placeholder" }, "No output."));
    }
    // how it ended, unless the traceback below says it already
    const ended = summary.status === "ok" || summary.error ? null : summary.message || STATUS_LABELS[summary.status];
    if (this.message && summary.message) {
      this.message.textContent = summary.message;
      this.message.hidden = false;
    } else if (ended && this.pre) {
      this.pre.after(h("span", { class: "ended" }, ended));
    } else if (ended) {
      this.output.append(h("span", { class: "ended" }, ended));
    }
    if (summary.error) this.showError(summary.error);
  }

  showError(error) {
    if (!this.traceback) return;
    this.traceback.querySelector(".error-title").textContent = `${error.type}: ${error.message}`;
    this.traceback.querySelector("pre").textContent = error.traceback;
    this.traceback.hidden = false;
    const frame = error.frames?.at(-1);
    this.errorAt = frame ? { path: frame.filename, line: frame.lineno } : null;
    const goto = this.traceback.querySelector("[data-action=goto-error]");
    if (goto) {
      goto.hidden = !this.errorAt;
      if (this.errorAt) goto.textContent = `Show ${this.errorAt.path} line ${this.errorAt.line} in the editor`;
    }
    if (this.errorAt) this.onError(this.errorAt);
  }

  hideError() {
    if (this.traceback) this.traceback.hidden = true;
    this.errorAt = null;
  }

  setField(element, text) {
    if (element) element.textContent = text;
  }

  stopClock() {
    clearInterval(this.timer);
    this.timer = null;
  }
}
