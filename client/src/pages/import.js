// Import an Anvil app (or a widget's folder) from a git URL the server clones or a zip
// sent as a form's file; the report of everything the import found is shown with a link to
// the new widget.
import { ApiError, csrfToken } from "../lib/api.js";
import { busy, formError, h, pageData } from "../lib/dom.js";
import { ready } from "../lib/page.js";

const KINDS = { gui: "an app", http: "an HTTP API", scheduled: "a scheduled task", script: "a script" };
const LABELS = { error: "Problem", warning: "Warning", info: "Done" };
const TONES = { error: "bad", warning: "warn", info: "ok" };

const { max_bytes: maxBytes } = pageData();
const form = document.querySelector("[data-form=import]");
const result = document.querySelector(".import-result");

/** POST the zip or the git URL (multipart/form-data, as a form sends files); the answer,
 * or ApiError in the API's one shape. */
async function upload(source, fields) {
  const body = new FormData();
  if (source.gitUrl) body.append("git_url", source.gitUrl);
  else body.append("file", source.file, source.file.name);
  body.append("visibility", fields.visibility);
  if (fields.title) body.append("title", fields.title);
  let response;
  try {
    response = await fetch("/api/imports", {
      method: "POST",
      headers: { accept: "application/json", "x-csrf-token": csrfToken() },
      body,
      credentials: "same-origin",
    });
  } catch {
    throw new ApiError(0, "offline", "Widgetbox cannot be reached. Check your connection and try again.");
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = data?.error;
    if (error) throw new ApiError(response.status, error.code, error.message, error.details || {});
    throw new ApiError(response.status, "error", `The server answered ${response.status}.`);
  }
  return data;
}

function place(line) {
  return [line.file, line.where].filter(Boolean).join(": ");
}

function count(lines, level) {
  return lines.filter((line) => line.level === level).length;
}

function plural(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function showReport(title, summary, lines, link) {
  result.querySelector("h2").textContent = title;
  const text = result.querySelector(".import-summary");
  text.replaceChildren(summary, link ? " " : "", link || "");
  result
    .querySelector(".import-report")
    .replaceChildren(
      ...lines.map((line) =>
        h(
          "li",
          { class: `import-line ${line.level}` },
          h("span", { class: `badge ${TONES[line.level]}` }, LABELS[line.level]),
          " ",
          place(line) ? h("code", {}, place(line)) : "",
          place(line) ? " " : "",
          line.message,
        ),
      ),
    );
  result.hidden = false;
  result.focus();
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const file = form.elements.file.files[0];
  const gitUrl = form.elements.git_url.value.trim();
  const fields = Object.fromEntries(new FormData(form));
  if (gitUrl && file) {
    formError(form, "Give a git URL or choose a zip, not both.");
    form.elements.git_url.focus();
    return;
  }
  if (!gitUrl && !file) {
    formError(form, "Give the git URL of the app, or choose the zip file of its folder.");
    form.elements.git_url.focus();
    return;
  }
  if (gitUrl && !/^https?:\/\//i.test(gitUrl)) {
    formError(form, "A git URL starts with https:// (or http://).");
    form.elements.git_url.focus();
    return;
  }
  if (file && file.size > maxBytes) {
    formError(form, `The zip is larger than ${Math.round(maxBytes / 1048576)} MB.`);
    form.elements.file.focus();
    return;
  }
  formError(form, "");
  result.hidden = true;
  await busy(form.querySelector("button[type=submit]"), async () => {
    try {
      const done = await upload({ file, gitUrl }, { title: fields.title.trim(), visibility: fields.visibility });
      const { widget, report } = done;
      const warnings = count(report, "warning");
      const summary = `"${widget.title}" is now ${KINDS[widget.kind] || "a widget"}, with ${plural(warnings, "warning")}.`;
      showReport(
        "Imported",
        summary,
        report,
        h("a", { href: done.url, class: "button primary small" }, `Open ${widget.title}`),
      );
      form.reset();
    } catch (error) {
      const lines =
        error.details?.report ||
        error.details?.problems?.map((p) => ({ level: "error", ...p, message: p.problem })) ||
        [];
      if (lines.length) {
        showReport(
          "Nothing was imported",
          `${plural(count(lines, "error"), "problem")} stopped the import; fix them and try again.`,
          lines,
          null,
        );
      } else {
        formError(form, error.message);
      }
    }
  });
});

ready();
