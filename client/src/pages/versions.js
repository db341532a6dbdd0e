// Versions: choose one to see how it differs from the current version; restore it.

import { api } from "../lib/api.js";
import { busy, flash, h, pageData, toast } from "../lib/dom.js";
import { ready } from "../lib/page.js";

const { widget, head_version: head } = pageData();
const list = document.querySelector(".version-list");
const title = document.getElementById("view-title");
const hint = document.querySelector(".view-hint");
const view = document.querySelector(".diff-view");
const restore = document.querySelector("[data-action=restore]");
let chosen = null;

function diffBlock(file) {
  const lines = file.diff
    .replace(/\n$/, "")
    .split("\n")
    .filter((line) => !line.startsWith("---") && !line.startsWith("+++"));
  const pre = h("pre", { class: "diff", tabindex: "0", "aria-label": `Changes in ${file.path}` });
  for (const line of lines) {
    const tone = line.startsWith("@@") ? "hunk" : line.startsWith("+") ? "add" : line.startsWith("-") ? "del" : "same";
    pre.append(h("span", { class: tone }, line));
  }
  const status = { added: "added since", removed: "removed since", changed: "changed since" }[file.status];
  return h(
    "section",
    { class: "diff-file" },
    h("h3", {}, file.path, h("span", { class: "muted small" }, `${status} v${chosen}`)),
    pre,
  );
}

async function choose(number) {
  chosen = number;
  for (const button of list.querySelectorAll("button[data-version]")) {
    button.setAttribute("aria-pressed", String(Number(button.dataset.version) === number));
  }
  restore.hidden = number === head;
  restore.textContent = `Restore version ${number}`;
  if (number === head) {
    title.textContent = `Version ${number} is the current version`;
    hint.textContent = "Choose an older version to see what changed since, and to restore it.";
    view.replaceChildren();
    return;
  }
  title.textContent = `Version ${number} compared with the current version (${head})`;
  hint.textContent = `Lines marked − are in version ${number}; lines marked + are in the current version.`;
  try {
    const diff = await api("GET", `/api/widgets/${widget.slug}/diff?old=${number}&new=${head}`);
    if (chosen !== number) return;
    const changed = diff.files.filter((file) => file.status !== "unchanged");
    view.replaceChildren(
      ...(changed.length
        ? changed.map(diffBlock)
        : [h("p", { class: "muted" }, `Version ${number} has the same files as the current version.`)]),
    );
  } catch (error) {
    view.replaceChildren(h("p", { class: "error", role: "alert" }, error.message));
  }
}

list.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-version]");
  if (button) choose(Number(button.dataset.version));
});

restore.addEventListener("click", () =>
  busy(restore, async () => {
    if (!confirm(`Restore version ${chosen}? Its files are saved as a new version; nothing is lost.`)) return;
    try {
      const saved = await api("POST", `/api/widgets/${widget.slug}/versions/${chosen}/restore`, { base_version: head });
      flash(`Restored version ${chosen} as version ${saved.version}`);
      location.assign(`/widgets/${widget.slug}`);
    } catch (error) {
      toast(error.message, "bad");
    }
  }),
);

const older = list.querySelector(`button[data-version="${head - 1}"]`);
if (older) choose(head - 1);
ready();
