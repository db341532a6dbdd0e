// The run console: status, live output (stdout and stderr told apart, drawn by output.js),
// duration, fuel (as an estimate of CPU time), and the traceback of a failed run.

import { h } from "./dom.js";
import { cpuTime, duration, fuel, STATUS_LABELS, setBadge } from "./format.js";
import { OutputView } from "./output.js";

export class RunConsole {
  /** @param {HTMLElement} root the `.console` (or run page) element */
  constructor(root, { slug, onError } = {}) {
    this.root = root;
    this.slug = slug;
    this.onError = onError || (() => {});
    this.output = root.querySelector(".output");
    this.view = new OutputView(this.output);
    this.badge = root.querySelector("[data-field=status] .badge, .badge[data-field=status]");
    this.durationField = root.querySelector("[data-field=duration]");
    this.fuelField = root.querySelector("[data-field=fuel]");
    this.runLink = root.querySelector("a[data-field=run]");
    this.traceback = root.querySelector(".traceback");
    this.message = root.querySelector("[data-field=message]");
    this.timer = null;
  }

  /** A new run (`number`: its number among the widget's runs): empty output, status
   * "Queued", a ticking clock until it ends. */
  start(runId, number) {
    this.stopClock();
    this.view.clear(runId);
    this.hideError();
    if (this.message) this.message.hidden = true;
    if (this.runLink) {
      this.runLink.hidden = false;
      this.runLink.href = `/widgets/${this.slug}/runs/${runId}`;
      this.runLink.textContent = `Run #${number}`;
    }
    this.setField(this.fuelField, "");
    this.status("queued");
  }

  /** Takes over a box that shows run `runId` already (the run page: its placeholder stays
   * until output arrives). */
  attach(runId) {
    this.view.reset(runId);
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

  /** Output as it is printed (drawn at the next frame, the end kept in view if it was). */
  write(stream, text) {
    this.view.write(stream, text);
  }

  /** Shows a stored run's output (the last run, or when the live stream could not be used):
   * its last lines, as many as the live console keeps. */
  replace(record) {
    this.view.clear(record.id);
    this.write("stdout", record.stdout);
    this.write("stderr", record.stderr);
  }

  done(summary) {
    this.stopClock();
    if (this.badge) setBadge(this.badge, summary.status);
    this.setField(this.durationField, duration(summary.wall_time));
    this.showFuel(summary);
    this.view.finish();
    if (this.view.empty) this.output.replaceChildren(h("p", { class: "placeholder" }, "No output."));
    // how it ended, unless the traceback below says it already
    const ended = summary.status === "ok" || summary.error ? null : summary.message || STATUS_LABELS[summary.status];
    if (this.message && summary.message) {
      this.message.textContent = summary.message;
      this.message.hidden = false;
    } else if (ended && this.view.out) {
      this.view.out.after(h("span", { class: "ended" }, ended));
    } else if (ended) {
      this.output.append(h("span", { class: "ended" }, ended));
    }
    if (summary.error) this.showError(summary.error);
  }

  /** The run's fuel as an estimate of CPU time, the count and what fuel is in its tooltip
   * (the console's field carries the explanation in `data-help`; the run page's label). */
  showFuel(summary) {
    const field = this.fuelField;
    if (!field) return;
    const help = field.dataset.help;
    const estimate = cpuTime(summary.cpu_ms);
    field.textContent = estimate && help ? `Fuel ${estimate}` : estimate;
    field.title = summary.fuel == null ? "" : [`${fuel(summary.fuel)} fuel`, help].filter(Boolean).join(". ");
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
