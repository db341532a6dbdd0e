// Versions: each with the files it changed (lines added and removed) and its message; choose
// one to see how it differs from the current version, or compare any two; restore one after
// confirming in the page.

import { api } from "../lib/api.js";
import { busy, flash, h, pageData, toast } from "../lib/dom.js";
import { ready } from "../lib/page.js";

const { widget, head_version: head } = pageData();
const list = document.querySelector(".version-list");
const title = document.getElementById("view-title");
const hint = document.querySelector(".view-hint");
const view = document.querySelector(".diff-view");
const restore = document.querySelector("[data-action=restore]");
const confirmBox = document.querySelector(".restore-confirm");
const confirmButton = confirmBox.querySelector("[data-action=confirm-restore]");
const compareForm = document.querySelector("[data-form=compare]");
let chosen = null; // the version to restore (the one compared with the current one)
let shown = null; // the pair the view shows, "old:new"

function diffBlock(file, from, to) {
  const lines = file.diff
    .replace(/\n$/, "")
    .split("\n")
    .filter((line) => !line.startsWith("---") && !line.startsWith("+++"));
  const pre = h("pre", { class: "diff", tabindex: "0", "aria-label": `Changes in ${file.path}` });
  for (const line of lines) {
    const tone = line.startsWith("@@") ? "hunk" : line.startsWith("+") ? "add" : line.startsWith("-") ? "del" : "same";
    pre.append(h("span", { class: tone }, line));
  }
  const status = {
    added: `only in v${to}`,
    removed: `only in v${from}`,
    changed: `changed from v${from} to v${to}`,
  }[file.status];
  return h("section", { class: "diff-file" }, h("h3", {}, file.path, h("span", { class: "muted small" }, status)), pre);
}

/** Shows how version `to` differs from version `from`, file by file. */
async function compare(from, to) {
  const pair = `${from}:${to}`;
  shown = pair;
  if (compareForm) {
    compareForm.elements.old.value = String(from);
    compareForm.elements.new.value = String(to);
  }
  if (from === to) {
    title.textContent = from === head ? `Version ${from} is the current version` : `Version ${from}`;
    hint.textContent = "Choose an older version to see what changed since, or pick two different versions to compare.";
    view.replaceChildren();
    return;
  }
  title.textContent =
    to === head
      ? `Version ${from} compared with the current version (${head})`
      : `Version ${from} compared with version ${to}`;
  hint.textContent = `Lines marked − are in version ${from}; lines marked + are in version ${to}.`;
  try {
    const diff = await api("GET", `/api/widgets/${widget.slug}/diff?old=${from}&new=${to}`);
    if (shown !== pair) return;
    const changed = diff.files.filter((file) => file.status !== "unchanged");
    view.replaceChildren(
      ...(changed.length
        ? changed.map((file) => diffBlock(file, from, to))
        : [h("p", { class: "muted" }, `Versions ${from} and ${to} have the same files.`)]),
    );
  } catch (error) {
    view.replaceChildren(h("p", { class: "error", role: "alert" }, error.message));
  }
}

/** A version from the list: compared with the current one, and offered for restoring. */
function choose(number) {
  chosen = number;
  hideConfirm();
  for (const button of list.querySelectorAll("button[data-version]")) {
    button.setAttribute("aria-pressed", String(Number(button.dataset.version) === number));
  }
  restore.hidden = number === head || !widget.can_edit; // a reviewer only reads
  restore.textContent = `Restore version ${number}`;
  compare(number, head);
}

list.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-version]");
  if (button) choose(Number(button.dataset.version));
});

compareForm?.addEventListener("submit", (event) => {
  event.preventDefault();
  const from = Number(compareForm.elements.old.value);
  const to = Number(compareForm.elements.new.value);
  // the restore button stays with the version chosen in the list, if the pair still has it
  if (to !== head || from !== chosen) {
    chosen = null;
    restore.hidden = true;
    hideConfirm();
    for (const button of list.querySelectorAll("button[data-version]")) button.setAttribute("aria-pressed", "false");
  }
  compare(from, to);
});

// -- restoring: confirmed in the page ------------------------------------------------------

function hideConfirm() {
  confirmBox.hidden = true;
  restore.removeAttribute("aria-expanded");
}

restore.addEventListener("click", () => {
  if (chosen === null) return;
  confirmBox.querySelector("p").textContent =
    `Restore version ${chosen}? Its files are saved as a new version (${head + 1}); nothing is lost.`;
  confirmButton.textContent = `Yes, restore version ${chosen}`;
  confirmBox.hidden = false;
  restore.setAttribute("aria-expanded", "true");
  confirmButton.focus();
});

confirmBox.querySelector("[data-action=cancel-restore]").addEventListener("click", () => {
  hideConfirm();
  restore.focus();
});

confirmBox.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  hideConfirm();
  restore.focus();
});

confirmButton.addEventListener("click", () =>
  busy(confirmButton, async () => {
    const number = chosen;
    try {
      const saved = await api("POST", `/api/widgets/${widget.slug}/versions/${number}/restore`, { base_version: head });
      flash(`Restored version ${number} as version ${saved.version}`);
      location.assign(`/widgets/${widget.slug}`);
    } catch (error) {
      toast(error.message, "bad");
    }
  }),
);

const older = list.querySelector(`button[data-version="${head - 1}"]`);
if (older) choose(head - 1);
ready();
