// The widget's code page: the editor, saving (a version per save; conflicts shown, never
// overwritten), and beside it the run console (scripts and tasks) or "try it" (HTTP APIs),
// and the widget's packages (its requirements.txt, their install and lock).

import { api } from "../lib/api.js";
import { RunConsole } from "../lib/console.js";
import { askName, h, pageData, toast } from "../lib/dom.js";
import { Editor } from "../lib/editor.js";
import { FINISHED, follow } from "../lib/live.js";
import { FILE as REQUIREMENTS, Packages } from "../lib/packages.js";
import { ready } from "../lib/page.js";
import { TryIt } from "../lib/tryit.js";

const data = pageData();
const widget = data.widget;
const slug = widget.slug;
const canEdit = widget.can_edit;
let headVersion = widget.head_version;

const saveState = document.querySelector(".save-state");
const saveButton = document.querySelector("[data-action=save]");
const conflict = document.querySelector(".conflict");
const fileBar = document.querySelector(".files");
const runButton = document.querySelector("[data-action=run]");
const stopButton = document.querySelector("[data-action=stop]");
const baseTitle = document.title;

let saving = null;
let conflictShown = false;
let packages = null;  // the packages panel (owners only), set up below

// -- the editor ---------------------------------------------------------------------------

const editor = new Editor(document.getElementById("editor"), {
  files: data.files,
  entry: widget.entry,
  readOnly: !canEdit,
  label: `Code of ${widget.title}`,
  styleNonce: data.style_nonce,
  onChange: () => refreshState(),
  keys: canEdit
    ? [
        { key: "Mod-s", preventDefault: true, run: () => (save({ explicit: true }), true) },
        { key: "Mod-Enter", preventDefault: true, run: () => (runButton ? (run(), true) : false) },
      ]
    : [],
});

function refreshState() {
  if (!canEdit) return;
  const dirty = editor.isDirty();
  for (const button of fileBar.querySelectorAll("button.file[data-file]")) {
    const path = button.dataset.file;
    const changed = editor.isDirty(path);
    let mark = button.querySelector(".dirty");
    if (changed && !mark) button.append(h("span", { class: "dirty", "aria-label": "(unsaved)" }, "●"));
    if (!changed && mark) mark.remove();
  }
  document.title = dirty ? `● ${baseTitle}` : baseTitle;
  packages?.setUnsaved(editor.paths.includes(REQUIREMENTS) ? editor.isDirty(REQUIREMENTS) : REQUIREMENTS in editor.saved);
  if (saving || conflictShown) return;
  setSaveState(dirty ? "dirty" : "saved");
}

function setSaveState(state, text) {
  if (!saveState) return;
  const texts = {
    saved: `Saved · version ${headVersion}`,
    dirty: "Unsaved changes",
    saving: "Saving…",
    conflict: "Not saved: conflict",
    error: "Not saved",
  };
  saveState.dataset.state = state;
  saveState.querySelector(".text").textContent = text || texts[state];
}

// -- files --------------------------------------------------------------------------------

function showFiles() {
  const add = fileBar.querySelector("[data-action=add-file]");
  for (const button of [...fileBar.querySelectorAll("button.file[data-file], button.file-remove")]) button.remove();
  for (const path of editor.paths) {
    fileBar.insertBefore(h("button", { type: "button", class: "file", "data-file": path }, path), add);
    if (canEdit && path !== widget.entry) {
      const remove = h("button", { type: "button", class: "file-remove quiet", "data-remove": path, title: `Remove ${path}` }, "×");
      remove.setAttribute("aria-label", `Remove ${path}`);
      fileBar.insertBefore(remove, add);
    }
  }
  markCurrent();
  refreshState();
}

function markCurrent() {
  for (const button of fileBar.querySelectorAll("button.file[data-file]")) {
    if (button.dataset.file === editor.current) button.setAttribute("aria-current", "true");
    else button.removeAttribute("aria-current");
  }
}

fileBar.addEventListener("click", (event) => {
  const remove = event.target.closest("button[data-remove]");
  if (remove) {
    removeFile(remove.dataset.remove);
    return;
  }
  const button = event.target.closest("button.file[data-file]");
  if (!button) return;
  editor.open(button.dataset.file);
  markCurrent();
});

function removeFile(path) {
  if (!confirm(`Remove ${path}? The removal is saved with your next save.`)) return;
  editor.removeFile(path);
  showFiles();
}

fileBar.querySelector("[data-action=add-file]")?.addEventListener("click", (event) => {
  askName(event.currentTarget, {
    label: "New file name",
    placeholder: "helpers.py",
    problem: (path) => {
      if (!/^[A-Za-z0-9_][A-Za-z0-9_.\/-]*$/.test(path) || path.includes("..") || path.endsWith("/")) {
        return "A file name is letters, digits, _, -, . and / (for folders), e.g. helpers.py";
      }
      return editor.paths.includes(path) ? `${path} exists already` : "";
    },
    done: (path) => {
      editor.addFile(path, "");
      showFiles();
      editor.focus();
    },
  });
});

// -- saving -------------------------------------------------------------------------------

/** Saves every file as a new version; resolves to true when saved (or nothing to save).
 * `explicit`: the person asked to save (Ctrl-S, the Save button), so say so even when
 * nothing changed. */
function save({ base, explicit = false } = {}) {
  if (!canEdit) return Promise.resolve(false);
  if (saving) return saving;
  if (conflictShown && base === undefined) {
    conflict.querySelector("[data-action=compare]").focus();
    return Promise.resolve(false);
  }
  if (!editor.isDirty() && base === undefined) {
    if (explicit) setSaveState("saved", `Saved · version ${headVersion} · nothing changed`);
    return Promise.resolve(true);
  }
  const files = editor.files();
  setSaveState("saving");
  saveButton?.setAttribute("aria-busy", "true");
  saving = (async () => {
    try {
      const saved = await api("POST", `/api/widgets/${slug}/versions`, {
        base_version: base ?? headVersion,
        files,
        message: "",
      });
      headVersion = saved.version;
      const requirementsChanged = (editor.saved[REQUIREMENTS] ?? "") !== (files[REQUIREMENTS] ?? "");
      editor.markSaved(files);
      if (requirementsChanged) packages?.load(REQUIREMENTS in files);
      hideConflict();
      setSaveState(editor.isDirty() ? "dirty" : "saved");
      return true;
    } catch (error) {
      if (error.code === "version_conflict") {
        showConflict(error);
      } else {
        setSaveState("error", `Not saved: ${error.message}`);
        toast(error.message, "bad");
      }
      return false;
    } finally {
      saving = null;
      saveButton?.removeAttribute("aria-busy");
      refreshState();
    }
  })();
  return saving;
}

saveButton?.addEventListener("click", () => save({ explicit: true }));

function showConflict(error) {
  conflictShown = true;
  const latest = error.details.head_version;
  conflict.dataset.latest = latest;
  conflict.querySelector(".text").textContent =
    `Not saved: version ${latest} was saved elsewhere after the version you are editing (${headVersion}). ` +
    "Nothing was overwritten. Compare the two, then keep yours as a new version or load the latest.";
  conflict.querySelector(".diff").hidden = true;
  conflict.querySelector("[data-action=save-anyway]").textContent = `Save mine as version ${latest + 1}`;
  conflict.querySelector("[data-action=load-latest]").textContent = `Discard mine, load version ${latest}`;
  conflict.hidden = false;
  setSaveState("conflict");
  conflict.querySelector("[data-action=compare]").focus();
}

function hideConflict() {
  conflictShown = false;
  conflict.hidden = true;
}

conflict?.querySelector("[data-action=compare]").addEventListener("click", async () => {
  const [latest, { diffLines }] = await Promise.all([api("GET", `/api/widgets/${slug}`), import("diff")]);
  const mine = editor.files();
  const view = conflict.querySelector(".diff");
  view.replaceChildren();
  const paths = [...new Set([...Object.keys(latest.files), ...Object.keys(mine)])].sort();
  for (const path of paths) {
    const theirs = latest.files[path] ?? "";
    const ours = mine[path] ?? "";
    if (theirs === ours) continue;
    view.append(h("span", { class: "hunk" }, `${path}: − version ${latest.head_version}, + yours`));
    for (const part of diffLines(theirs, ours)) {
      const tone = part.added ? "add" : part.removed ? "del" : "same";
      const sign = part.added ? "+" : part.removed ? "-" : " ";
      for (const line of part.value.replace(/\n$/, "").split("\n")) view.append(h("span", { class: tone }, `${sign} ${line}`));
    }
  }
  if (!view.childElementCount) view.append(h("span", { class: "same" }, "Your text is the same as the latest version's."));
  view.hidden = false;
  view.focus();
});

conflict?.querySelector("[data-action=save-anyway]").addEventListener("click", async () => {
  const latest = Number(conflict.dataset.latest);
  hideConflict();
  if (await save({ base: latest })) toast(`Saved your text as version ${headVersion}`);
});

conflict?.querySelector("[data-action=load-latest]").addEventListener("click", async () => {
  if (!confirm("Discard your unsaved changes and load the latest version?")) return;
  const latest = await api("GET", `/api/widgets/${slug}`);
  headVersion = latest.head_version;
  hideConflict();
  editor.load(latest.files);
  showFiles();
  packages?.load(REQUIREMENTS in latest.files);
  toast(`Loaded version ${headVersion}`);
});

window.addEventListener("beforeunload", (event) => {
  if (canEdit && editor.isDirty()) event.preventDefault();
});

// -- running ------------------------------------------------------------------------------

const consoleRoot = document.querySelector(".console");
const runConsole = consoleRoot
  ? new RunConsole(consoleRoot, {
      slug,
      onError: ({ path, line }) => editor.markError(path, line),
    })
  : null;
let stopFollowing = null;
let currentRun = null;

function watch(runId) {
  stopFollowing?.();
  currentRun = runId;
  runButton.disabled = true;
  stopButton.disabled = false;
  runConsole.start(runId);
  stopFollowing = follow(runId, {
    status: (status) => runConsole.status(status),
    output: (stream, text) => runConsole.write(stream, text),
    replace: (record) => runConsole.replace(record),
    done: (summary) => {
      runConsole.done(summary);
      runButton.disabled = false;
      stopButton.disabled = true;
      currentRun = null;
    },
    failed: (error) => {
      toast(error.message, "bad");
      runButton.disabled = false;
      stopButton.disabled = true;
    },
  });
}

async function run() {
  if (!runButton || runButton.disabled) return;
  runButton.disabled = true;
  try {
    if (!(await save())) return;
    editor.clearErrors();
    const started = await api("POST", `/api/widgets/${slug}/runs`);
    watch(started.id);
  } catch (error) {
    toast(error.message, "bad");
  } finally {
    if (!currentRun) runButton.disabled = false;
  }
}

runButton?.addEventListener("click", run);
stopButton?.addEventListener("click", async () => {
  if (!currentRun) return;
  stopButton.disabled = true;
  try {
    await api("POST", `/api/runs/${currentRun}/cancel`);
  } catch (error) {
    toast(error.message, "bad");
    stopButton.disabled = false;
  }
});

consoleRoot?.querySelector("[data-action=goto-error]")?.addEventListener("click", () => {
  const at = runConsole.errorAt;
  if (!at) return;
  editor.markError(at.path, at.line);
  markCurrent();
  editor.goTo(at.line);
});

/** The last run, as it was (or live, if it is still going). */
async function showLastRun(runId) {
  try {
    const record = await api("GET", `/api/runs/${runId}`);
    if (!FINISHED.has(record.status)) {
      watch(runId);
      return;
    }
    runConsole.start(runId);
    runConsole.replace(record);
    runConsole.done({ ...record, run: record.id });
  } catch {
    // the last run is only a convenience: an empty console is fine
  }
}

// -- HTTP APIs ----------------------------------------------------------------------------

const tryRoot = document.querySelector(".tryit");
if (tryRoot) {
  new TryIt(tryRoot, {
    apiPath: data.api_path,
    source: () => editor.files()[widget.entry] ?? "",
    beforeSend: () => save(),
  });
}

// -- packages -----------------------------------------------------------------------------

const packagesRoot = canEdit ? document.querySelector(".packages") : null;
packages = packagesRoot
  ? new Packages(packagesRoot, {
      slug,
      onEdit: () => {
        if (!editor.paths.includes(REQUIREMENTS)) {
          editor.addFile(REQUIREMENTS, "# One package from the package index per line, e.g. attrs>=23\n");
          showFiles();
        }
        editor.open(REQUIREMENTS);
        markCurrent();
        editor.goTo(Infinity);
      },
    })
  : null;

// -- start --------------------------------------------------------------------------------

/** `#line=main.py:3` (from a run's page) marks that line. */
function followHash() {
  const match = /^#line=(.+):(\d+)$/.exec(decodeURIComponent(location.hash));
  if (match && editor.markError(match[1], Number(match[2]))) {
    markCurrent();
    editor.goTo(Number(match[2]));
  }
}

if (canEdit) showFiles();
packages?.load(REQUIREMENTS in data.files);
refreshState();
followHash();
if (runConsole && data.last_run) showLastRun(data.last_run);
ready();
