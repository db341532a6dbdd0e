// Saving a widget's files, one behaviour on every page that edits them (the code page, the
// designer): a version per save (`POST /api/widgets/{slug}/versions` with the version the
// page was based on); the save state beside the Save button; the unsaved marks (● in the
// window's title and on the file tabs); Ctrl/Cmd-S; a warning before leaving with unsaved
// changes; and version conflicts (409 `version_conflict`): nothing is overwritten, the
// banner (templates/widget/_conflict.html) compares the two texts and lets the owner keep
// theirs as a new version or load the latest.
//
// A save the person asked for (Save, Ctrl/Cmd-S) can take a message: "Add a message" beside
// the save state (or Ctrl/Cmd-S again, with nothing new to save) opens a small form in the
// page for the version just saved (`PATCH /api/widgets/{slug}/versions/{n}`).
//
// The page says what its files are and how to mark them saved or load others; this module
// owns everything else. Nothing happens for people who cannot edit the widget.

import { api } from "./api.js";
import { h, toast } from "./dom.js";

const LABELS = {
  dirty: "Unsaved changes",
  saving: "Saving…",
  conflict: "Not saved: conflict",
  error: "Not saved",
};

/** Marks a file's tab as unsaved (a dot, and "(unsaved)" in its name for screen readers). */
export function markUnsaved(button, unsaved) {
  const mark = button.querySelector(":scope > .dirty");
  if (unsaved && !mark) {
    button.append(
      h(
        "span",
        { class: "dirty" },
        h("span", { "aria-hidden": "true" }, "●"),
        h("span", { class: "sr-only" }, " (unsaved)"),
      ),
    );
  } else if (!unsaved && mark) {
    mark.remove();
  }
}

/** Whether `event` is Ctrl-S or Cmd-S (on any keyboard layout). */
function isSaveKey(event) {
  if (!(event.ctrlKey || event.metaKey) || event.altKey || event.shiftKey) return false;
  return event.key.toLowerCase() === "s" || (event.code === "KeyS" && !/^[a-z]$/i.test(event.key));
}

export class Saving {
  /**
   * @param {object} options
   * @param {string} options.slug the widget
   * @param {number} options.version the version the page's files come from
   * @param {boolean} options.canEdit whether the viewer may save (nothing is set up otherwise)
   * @param {() => Object<string, string>} options.files every file as it is now
   * @param {() => boolean} options.isDirty whether anything differs from what was saved
   * @param {(files: Object<string, string>) => void} options.markSaved these files (as sent) were saved
   * @param {(files: Object<string, string>) => void} options.load replace every file with these
   * @param {() => Iterable<[HTMLElement, boolean]>} [options.tabs] the file tabs, and whether each is unsaved
   * @param {(path: string, text: string) => string} [options.comparable] a file's text as compared
   *   (the designer lays designs out as it saves them)
   */
  constructor({ slug, version, canEdit, files, isDirty, markSaved, load, tabs = () => [], comparable = (_, t) => t }) {
    Object.assign(this, { slug, version, canEdit, files, isDirty, markSaved, load, tabs, comparable });
    this.state = document.querySelector(".save-state");
    this.button = document.querySelector("[data-action=save]");
    this.banner = document.querySelector(".conflict");
    this.baseTitle = document.title;
    this.pending = null; // the save under way
    this.latest = null; // the newer version a conflict is with, while its banner shows
    this.failed = null; // {snapshot, text}: the last save's error, shown while the files are unchanged
    this.describable = null; // the version the person saved last, which may take a message
    this.message = ""; // its message, once given
    if (!canEdit) return;
    this.describeButton = h(
      "button",
      { type: "button", class: "small quiet describe", hidden: true, onclick: () => this.askMessage() },
      "Add a message",
    );
    this.state?.after(this.describeButton);

    this.button?.addEventListener("click", () => this.save({ explicit: true }));
    document.addEventListener("keydown", (event) => {
      if (!isSaveKey(event)) return;
      event.preventDefault();
      if (event.target.closest?.(".version-message")) return; // its form saves the message
      // Ctrl/Cmd-S again, with nothing new: describe the version just saved
      if (this.describable === this.version && !this.isDirty() && !this.pending && this.latest === null) {
        this.askMessage();
        return;
      }
      this.save({ explicit: true });
    });
    window.addEventListener("beforeunload", (event) => {
      if (this.isDirty()) event.preventDefault();
    });
    this.#control("compare").addEventListener("click", () => this.compare());
    this.#control("save-anyway").addEventListener("click", () => this.keepMine());
    this.#control("load-latest").addEventListener("click", () => this.loadLatest());
  }

  /** Saves every file as a new version; resolves to true when saved (or nothing to save).
   * `explicit`: the person asked (Save, Ctrl/Cmd-S), so say so even when nothing changed.
   * `base`: the version to save over (keeping mine after a conflict). */
  save({ base, explicit = false } = {}) {
    if (!this.canEdit) return Promise.resolve(false);
    if (this.pending) return this.pending;
    if (this.latest !== null && base === undefined) {
      this.#control("compare").focus(); // a conflict is settled in its banner, not round it
      return Promise.resolve(false);
    }
    if (base === undefined && !this.isDirty()) {
      if (explicit) this.#show("saved", `Saved · version ${this.version} · nothing changed`);
      return Promise.resolve(true);
    }
    const files = this.files();
    this.failed = null;
    this.#show("saving");
    this.button?.setAttribute("aria-busy", "true");
    this.pending = (async () => {
      try {
        const saved = await api("POST", `/api/widgets/${this.slug}/versions`, {
          base_version: base ?? this.version,
          files,
          message: "",
        });
        this.version = saved.version;
        this.markSaved(files);
        this.#hideConflict();
        this.#closeMessage();
        this.describable = explicit || base !== undefined ? saved.version : null;
        this.message = "";
        return true;
      } catch (error) {
        if (error.code === "version_conflict") {
          this.#showConflict(error.details.head_version);
        } else {
          this.failed = { snapshot: JSON.stringify(files), text: `Not saved: ${error.message}` };
          toast(error.message, "bad");
        }
        return false;
      } finally {
        this.pending = null;
        this.button?.removeAttribute("aria-busy");
        this.refresh();
      }
    })();
    return this.pending;
  }

  /** Shows whether there is something to save: the title, the tabs, the save state. Pages
   * call it after every change to their files. */
  refresh() {
    if (!this.canEdit) return;
    const dirty = this.isDirty();
    document.title = dirty ? `● ${this.baseTitle}` : this.baseTitle;
    for (const [button, unsaved] of this.tabs()) markUnsaved(button, unsaved);
    if (this.pending || this.latest !== null) return;
    if (this.failed && dirty && JSON.stringify(this.files()) === this.failed.snapshot) {
      this.#show("error", this.failed.text);
      return;
    }
    this.failed = null;
    this.#show(dirty ? "dirty" : "saved");
  }

  // -- a saved version's message --------------------------------------------------------------

  /** A small form beside the save state for the message of the version just saved: Enter
   * (or Ctrl/Cmd-S) keeps it, Escape closes it; focus goes back where it was. */
  askMessage() {
    const number = this.describable;
    if (number === null) return;
    let form = document.querySelector(".version-message");
    if (form) {
      form.querySelector("input").focus();
      return;
    }
    const back = document.activeElement;
    const input = h("input", {
      name: "message",
      maxlength: "500",
      placeholder: "What changed?",
      "aria-label": `Message for version ${number}`,
      value: this.message,
    });
    form = h(
      "form",
      { class: "version-message" },
      input,
      h("button", { type: "submit", class: "small primary" }, "Add"),
      h("button", { type: "button", class: "small", "data-action": "cancel-message" }, "Cancel"),
    );
    const close = () => {
      this.#closeMessage();
      if (back?.isConnected) back.focus();
    };
    const keep = async () => {
      const message = input.value.trim();
      try {
        await api("PATCH", `/api/widgets/${this.slug}/versions/${number}`, { message });
      } catch (error) {
        toast(error.message, "bad");
        return;
      }
      if (this.describable === number) this.message = message;
      close();
      this.refresh();
      toast(message ? `Version ${number}: ${message}` : `Version ${number} has no message`);
    };
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      keep();
    });
    form.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        close();
      } else if (isSaveKey(event)) {
        keep();
      }
    });
    form.querySelector("[data-action=cancel-message]").addEventListener("click", close);
    this.describeButton.hidden = true;
    this.describeButton.after(form);
    input.focus();
  }

  #closeMessage() {
    document.querySelector(".version-message")?.remove();
  }

  #show(state, text) {
    if (!this.state) return;
    this.state.dataset.state = state;
    const described = state === "saved" && this.message ? ` · ${this.message}` : "";
    this.state.querySelector(".text").textContent =
      text || (state === "saved" ? `Saved · version ${this.version}${described}` : LABELS[state]);
    if (this.describeButton) {
      const open = document.querySelector(".version-message");
      this.describeButton.hidden = Boolean(open) || state !== "saved" || this.describable !== this.version;
      this.describeButton.textContent = this.message ? "Edit message" : "Add a message";
      this.describeButton.setAttribute("aria-label", `${this.describeButton.textContent} for version ${this.version}`);
    }
  }

  #control(name) {
    return this.banner.querySelector(`[data-action=${name}]`);
  }

  // -- conflicts ------------------------------------------------------------------------------

  #showConflict(latest) {
    this.#describeConflict(latest);
    this.banner.querySelector(".diff").hidden = true;
    this.banner.hidden = false;
    this.#show("conflict");
    this.#control("compare").focus();
  }

  #describeConflict(latest) {
    this.latest = latest;
    this.banner.querySelector(".text").textContent =
      `Not saved: version ${latest} was saved elsewhere after the version you are editing (${this.version}). ` +
      "Nothing was overwritten. Compare the two, then keep yours as a new version or load the latest.";
    this.#control("save-anyway").textContent = `Save mine as version ${latest + 1}`;
    this.#control("load-latest").textContent = `Discard mine, load version ${latest}`;
  }

  #hideConflict() {
    this.latest = null;
    this.banner.hidden = true;
  }

  /** Shows, file by file, how my files differ from the latest version's. */
  async compare() {
    let latest;
    let diffLines;
    try {
      [latest, { diffLines }] = await Promise.all([api("GET", `/api/widgets/${this.slug}`), import("diff")]);
    } catch (error) {
      toast(error.message, "bad");
      return;
    }
    if (this.latest === null) return; // settled meanwhile
    if (latest.head_version !== this.latest) this.#describeConflict(latest.head_version);
    const mine = this.files();
    const view = this.banner.querySelector(".diff");
    view.replaceChildren();
    const paths = [...new Set([...Object.keys(latest.files), ...Object.keys(mine)])].sort();
    for (const path of paths) {
      const theirs = path in latest.files ? this.comparable(path, latest.files[path]) : "";
      const ours = path in mine ? this.comparable(path, mine[path]) : "";
      if (theirs === ours) continue;
      view.append(h("span", { class: "hunk" }, `${path}: − version ${latest.head_version}, + yours`));
      for (const part of diffLines(theirs, ours)) {
        const tone = part.added ? "add" : part.removed ? "del" : "same";
        const sign = part.added ? "+" : part.removed ? "-" : " ";
        for (const line of part.value.replace(/\n$/, "").split("\n"))
          view.append(h("span", { class: tone }, `${sign} ${line}`));
      }
    }
    if (!view.childElementCount)
      view.append(h("span", { class: "same" }, "Your text is the same as the latest version's."));
    view.hidden = false;
    view.focus();
  }

  /** Saves my files as a new version after the latest (which stays in the history). */
  async keepMine() {
    const latest = this.latest;
    this.#hideConflict();
    if (await this.save({ base: latest })) toast(`Saved your text as version ${this.version}`);
  }

  /** Drops my unsaved changes for the latest version's files. */
  async loadLatest() {
    if (!confirm("Discard your unsaved changes and load the latest version?")) return;
    let latest;
    try {
      latest = await api("GET", `/api/widgets/${this.slug}`);
    } catch (error) {
      toast(error.message, "bad");
      return;
    }
    this.version = latest.head_version;
    this.#hideConflict();
    this.failed = null;
    this.load(latest.files);
    this.refresh();
    toast(`Loaded version ${this.version}`);
  }
}
