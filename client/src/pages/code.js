// The widget's code page: the editor, saving (lib/saving.js: a version per save; conflicts
// compared, never overwritten), and beside it the run console (scripts and tasks) or "try it"
// (HTTP APIs), and the widget's packages (its requirements.txt, their install and lock).

import { api } from "../lib/api.js";
import { RunConsole } from "../lib/console.js";
import { askName, h, pageData, toast } from "../lib/dom.js";
import { Editor } from "../lib/editor.js";
import { FINISHED, follow } from "../lib/live.js";
import { Packages, FILE as REQUIREMENTS } from "../lib/packages.js";
import { ready } from "../lib/page.js";
import { Saving } from "../lib/saving.js";
import { TryIt } from "../lib/tryit.js";

const data = pageData();
const widget = data.widget;
const slug = widget.slug;
const canEdit = widget.can_edit;

const fileBar = document.querySelector(".files");
const runButton = document.querySelector("[data-action=run]");
const stopButton = document.querySelector("[data-action=stop]");

let saving = null; // set up below, once the editor is
let packages = null; // the packages panel (owners only), set up below
let tryIt = null; // "try it" (HTTP APIs), set up below

// -- the editor ---------------------------------------------------------------------------

const editor = new Editor(document.getElementById("editor"), {
  files: data.files,
  entry: widget.entry,
  readOnly: !canEdit,
  label: `Code of ${widget.title}`,
  styleNonce: data.style_nonce,
  onChange: () => refreshState(),
  keys: canEdit ? [{ key: "Mod-Enter", preventDefault: true, run: runFromKeyboard }] : [],
});

function refreshState() {
  if (!canEdit) return;
  showRequirementsUnsaved();
  saving?.refresh();
}

/** The packages panel says when requirements.txt has changes that a save would install. */
function showRequirementsUnsaved() {
  const path = REQUIREMENTS;
  packages?.setUnsaved(editor.paths.includes(path) ? editor.isDirty(path) : path in editor.saved);
}

// -- files --------------------------------------------------------------------------------

function showFiles() {
  const add = fileBar.querySelector("[data-action=add-file]");
  for (const button of [...fileBar.querySelectorAll("button.file[data-file], button.file-remove")]) button.remove();
  for (const path of editor.paths) {
    fileBar.insertBefore(h("button", { type: "button", class: "file", "data-file": path }, path), add);
    if (canEdit && path !== widget.entry) {
      const remove = h(
        "button",
        { type: "button", class: "file-remove quiet", "data-remove": path, title: `Remove ${path}` },
        "×",
      );
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
      if (!/^[A-Za-z0-9_][A-Za-z0-9_./-]*$/.test(path) || path.includes("..") || path.endsWith("/")) {
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

saving = new Saving({
  slug,
  version: widget.head_version,
  canEdit,
  files: () => editor.files(),
  isDirty: () => editor.isDirty(),
  tabs: () => [...fileBar.querySelectorAll("button.file[data-file]")].map((b) => [b, editor.isDirty(b.dataset.file)]),
  markSaved: (files) => {
    const requirementsChanged = (editor.saved[REQUIREMENTS] ?? "") !== (files[REQUIREMENTS] ?? "");
    editor.markSaved(files);
    showRequirementsUnsaved();
    if (requirementsChanged) packages?.load(REQUIREMENTS in files);
    tryIt?.showRoutes(); // the routes of the code as saved
  },
  load: (files) => {
    editor.load(files);
    showFiles();
    packages?.load(REQUIREMENTS in files);
    tryIt?.showRoutes();
  },
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

function watch(runId, number) {
  stopFollowing?.();
  currentRun = runId;
  runButton.disabled = true;
  stopButton.disabled = false;
  runConsole.start(runId, number);
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
    if (!(await saving.save())) return;
    editor.clearErrors();
    const started = await api("POST", `/api/widgets/${slug}/runs`);
    watch(started.id, started.number);
  } catch (error) {
    toast(error.message, "bad");
  } finally {
    if (!currentRun) runButton.disabled = false;
  }
}

/** Ctrl/Cmd-Enter: runs scripts and tasks (HTTP APIs have no Run button). */
function runFromKeyboard() {
  if (!runButton) return false;
  run();
  return true;
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
      watch(runId, record.number);
      return;
    }
    runConsole.start(runId, record.number);
    runConsole.replace(record);
    runConsole.done({ ...record, run: record.id });
  } catch {
    // the last run is only a convenience: an empty console is fine
  }
}

// -- HTTP APIs ----------------------------------------------------------------------------

const tryRoot = document.querySelector(".tryit");
if (tryRoot) {
  tryIt = new TryIt(tryRoot, {
    apiPath: data.api_path,
    source: () => editor.files()[widget.entry] ?? "",
    beforeSend: () => saving.save(),
    onSend: () => editor.clearErrors(),
    // the owner's failed request: its failing line marked (and shown, when asked)
    onError: ({ path, line }, show) => {
      if (!editor.markError(path, line)) return;
      markCurrent();
      if (show) editor.goTo(line);
    },
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
