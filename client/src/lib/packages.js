// The widget's packages on its code page: what its requirements.txt resolved to, and while
// they install, how far the install has come (polled from the JSON API, whose progress
// changes many times a second), with a retry after a failure.

import { api } from "./api.js";
import { busy, h, toast } from "./dom.js";
import { plural, setToneBadge } from "./format.js";

export const FILE = "requirements.txt";
const POLL_MS = 250;

/** Bytes as the host writes them in its messages: 1.5 MB, 12 kB (decimal units). */
export function size(count) {
  for (const [unit, scale] of [
    ["GB", 1e9],
    ["MB", 1e6],
    ["kB", 1e3],
  ]) {
    if (count >= scale) return `${Number((count / scale).toPrecision(3))} ${unit}`;
  }
  return `${count} bytes`;
}

/** What an install in progress is doing, in words. */
export function describe(progress) {
  if (!progress) return "Waiting to install…";
  const { phase, message, done, total, bytes, total_bytes: totalBytes } = progress;
  if (phase === "queued") return "Waiting for other installs to finish…";
  if (phase === "resolving") return `Resolving: ${message || "reading the requirements"}…`;
  if (phase === "downloading") {
    const amount = totalBytes ? `${size(bytes)} of ${size(totalBytes)}` : size(bytes);
    return `Downloading ${done} of ${plural(total, "file")} · ${amount}`;
  }
  if (phase === "installing") return `Installing ${message}…`;
  return message || phase;
}

export class Packages {
  /**
   * @param {HTMLElement} root the `.packages` section
   * @param {{slug: string, onEdit: () => void}} options `onEdit` opens requirements.txt
   */
  constructor(root, { slug, onEdit }) {
    this.root = root;
    this.slug = slug;
    this.badge = root.querySelector(".packages-head .badge");
    this.state = root.querySelector("[data-field=state]");
    this.bar = root.querySelector("progress");
    this.message = root.querySelector("[data-field=message]");
    this.list = root.querySelector(".locked");
    this.note = root.querySelector("[data-field=note]");
    this.unsaved = root.querySelector("[data-field=unsaved]");
    this.retryButton = root.querySelector("[data-action=retry-install]");
    this.editButton = root.querySelector("[data-action=edit-requirements]");
    this.timer = null;
    this.asked = 0;
    this.editButton.addEventListener("click", () => onEdit());
    this.retryButton.addEventListener("click", () => this.retry());
  }

  /** Shows `hasFile`'s answer: fetched when the widget has requirements, "none" otherwise. */
  load(hasFile) {
    if (hasFile) this.refresh();
    else this.show({ status: "none", packages: [] });
  }

  /** Fetches the latest version's packages, and keeps doing so while they install. */
  async refresh() {
    clearTimeout(this.timer);
    const ask = ++this.asked;
    let status;
    try {
      status = await api("GET", `/api/widgets/${this.slug}/packages`);
    } catch (error) {
      if (ask !== this.asked) return;
      this.state.textContent = `Could not read the packages' status: ${error.message}`;
      this.state.hidden = false;
      this.timer = setTimeout(() => this.refresh(), 4000);
      return;
    }
    if (ask !== this.asked) return; // a newer question was asked meanwhile
    this.show(status);
    if (status.status === "pending") this.timer = setTimeout(() => this.refresh(), POLL_MS);
  }

  async retry() {
    await busy(this.retryButton, async () => {
      try {
        this.show(await api("POST", `/api/widgets/${this.slug}/packages/install`, {}));
        this.refresh();
      } catch (error) {
        toast(error.message, "bad");
      }
    });
  }

  /** requirements.txt has changes that are not saved yet (they install once saved). */
  setUnsaved(unsaved) {
    this.unsaved.hidden = !unsaved;
  }

  show(status) {
    this.root.dataset.status = status.status;
    const pending = status.status === "pending";
    const labels = { none: "None", pending: "Installing", ready: "Ready", failed: "Failed", skipped: "Skipped" };
    const tones = { none: "idle", pending: "busy", ready: "ok", failed: "bad", skipped: "idle" };
    setToneBadge(this.badge, tones[status.status] || "idle", labels[status.status] || status.status);
    this.editButton.textContent = status.status === "none" ? `Add ${FILE}` : `Edit ${FILE}`;

    let text = "";
    if (status.status === "none") text = "None beyond the standard library and the built-in ones (numpy, pandas, …).";
    else if (pending) text = describe(status.progress);
    else if (status.status === "ready") {
      const installed = status.packages.filter((p) => !p.builtin).length;
      text = installed
        ? `${plural(installed, "package")} installed, ready for runs.`
        : "Everything asked for is built in.";
    } else if (status.status === "skipped") text = "A later version changed the requirements first.";
    this.state.textContent = text;
    this.state.hidden = !text;

    const progress = status.progress;
    this.bar.hidden = !pending;
    if (pending && progress?.phase === "downloading" && progress.total_bytes) {
      this.bar.max = progress.total_bytes;
      this.bar.value = Math.min(progress.bytes, progress.total_bytes);
    } else if (pending && progress && ["downloading", "installing"].includes(progress.phase) && progress.total) {
      this.bar.max = progress.total;
      this.bar.value = progress.done;
    } else {
      this.bar.removeAttribute("value"); // indeterminate
    }

    this.message.hidden = status.status !== "failed";
    this.message.textContent = status.status === "failed" ? status.message : "";
    this.retryButton.hidden = !["failed", "skipped"].includes(status.status);

    const active = status.active_version;
    this.note.hidden = !(pending || status.status === "failed") || !active || active === status.version;
    this.note.textContent = this.note.hidden
      ? ""
      : `Runs keep the packages of version ${active} until these are ready.`;

    this.list.replaceChildren(
      ...(status.status === "ready" ? status.packages : []).map((p) =>
        h(
          "li",
          { title: p.sha256 ? `${p.filename} · sha256 ${p.sha256}` : "compiled into the sandbox's Python" },
          h("span", { class: "name" }, p.name),
          ` ${p.version}`,
          p.builtin
            ? h("span", { class: "muted" }, " · built in")
            : p.size != null
              ? h("span", { class: "muted" }, ` · ${size(p.size)}`)
              : null,
        ),
      ),
    );
    this.list.hidden = !this.list.childElementCount;
  }
}
