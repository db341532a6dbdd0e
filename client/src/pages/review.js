// A student's work, as a teacher reviews it: a line's number opens a comment form under
// the line; comments are deleted in place; the overall note is saved, and the feedback
// released (the note saved first) or taken back, through `review_api.py`.

import { api } from "../lib/api.js";
import { busy, flash, formError, h, pageData, toast } from "../lib/dom.js";
import { ready } from "../lib/page.js";

const { feedback_path: base, version } = pageData();
const noteForm = document.querySelector("[data-form=note]");

function commentItem(comment) {
  return h(
    "li",
    { class: "comment", "data-comment": String(comment.id) },
    h("p", {}, comment.body),
    h(
      "p",
      { class: "meta" },
      `${comment.author || "someone"} · ${comment.released ? "released" : "draft"} `,
      h("button", { type: "button", class: "small quiet", "data-action": "delete-comment" }, "Delete"),
    ),
  );
}

function openForm(item) {
  const open = item.querySelector("form.comment-form");
  if (open) {
    open.elements.body.focus();
    return;
  }
  const path = item.closest("[data-path]").dataset.path;
  const line = Number(item.dataset.line);
  const id = `comment-${path.replace(/\W/g, "-")}-${line}`;
  const form = h(
    "form",
    { class: "comment-form stack", novalidate: "" },
    h(
      "div",
      { class: "field" },
      h("label", { for: id }, `Comment on line ${line}`),
      h("textarea", { id, name: "body", rows: "3", maxlength: "5000" }),
    ),
    h("p", { class: "error", role: "alert", hidden: "" }),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", class: "primary" }, "Add comment"),
      h("button", { type: "button", "data-action": "cancel-comment" }, "Cancel"),
    ),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = form.elements.body.value.trim();
    if (!text) {
      formError(form, "Write the comment first.");
      return;
    }
    await busy(form.querySelector("button[type=submit]"), async () => {
      try {
        const made = await api("POST", `${base}/comments`, { version, path, line, body: text });
        item.querySelector(".line-comments").append(commentItem(made));
        form.remove();
        markUnreleased();
        toast("Comment added (a draft until you release the feedback)");
      } catch (error) {
        formError(form, error.message);
      }
    });
  });
  form.querySelector("[data-action=cancel-comment]").addEventListener("click", () => form.remove());
  item.querySelector(".line-comments").after(form);
  form.elements.body.focus();
}

function markUnreleased() {
  const status = document.querySelector(".feedback-status");
  if (status && !status.textContent.includes("not released")) {
    status.textContent = status.textContent.startsWith("Released")
      ? "Released; changes since are not released yet."
      : status.textContent;
  }
}

document.addEventListener("click", async (event) => {
  const number = event.target.closest("button.line-no");
  if (number) {
    openForm(number.closest("li[data-line]"));
    return;
  }
  const remove = event.target.closest("[data-action=delete-comment]");
  if (remove) {
    const item = remove.closest("[data-comment]");
    await busy(remove, async () => {
      try {
        await api("DELETE", `${base}/comments/${item.dataset.comment}`);
        item.remove();
        toast("Comment deleted");
      } catch (error) {
        toast(error.message, "bad");
      }
    });
  }
});

async function saveNote() {
  await api("PUT", `${base}/note`, { note: noteForm.elements.note.value });
}

noteForm?.addEventListener("submit", async (event) => {
  event.preventDefault();
  formError(noteForm, "");
  await busy(noteForm.querySelector("button[type=submit]"), async () => {
    try {
      await saveNote();
      markUnreleased();
      toast("Note saved (a draft until you release the feedback)");
    } catch (error) {
      formError(noteForm, error.message);
    }
  });
});

for (const [action, released, done] of [
  ["release", true, "Feedback released: the student can read it"],
  ["withdraw", false, "Feedback taken back: the student no longer sees it"],
]) {
  const button = noteForm?.querySelector(`[data-action=${action}]`);
  button?.addEventListener("click", async () => {
    formError(noteForm, "");
    await busy(button, async () => {
      try {
        if (released) await saveNote();
        await api("POST", `${base}/release`, { released });
        flash(done);
        location.reload();
      } catch (error) {
        formError(noteForm, error.message);
      }
    });
  });
}

ready();
