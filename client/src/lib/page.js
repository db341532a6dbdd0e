// What every page does: log-out, local and relative times, copy buttons, the Fork button,
// the toast left by the previous page, and the "ready" mark (the Navigation Timing
// benchmark and the browser tests wait for it).

import { api } from "./api.js";
import { busy, flash, formError, isMac, pageData, showFlash, toast } from "./dom.js";
import { localizeTimes } from "./format.js";

async function copy(text) {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  const area = document.createElement("textarea"); // plain-HTTP origins have no clipboard API
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.append(area);
  area.select();
  const copied = document.execCommand("copy");
  area.remove();
  if (!copied) throw new Error("copy refused");
}

function setUp() {
  document.querySelector("[data-action=logout]")?.addEventListener("click", async (event) => {
    await busy(event.currentTarget, async () => {
      try {
        await api("POST", "/api/auth/logout");
        location.assign("/");
      } catch (error) {
        toast(error.message, "bad");
      }
    });
  });

  for (const button of document.querySelectorAll("[data-copy]")) {
    button.addEventListener("click", async () => {
      const source = document.querySelector(button.dataset.copy);
      try {
        await copy(source.textContent.trim());
        toast("Copied to the clipboard");
      } catch {
        toast("Could not copy; select the text and copy it yourself.", "bad");
      }
    });
  }

  setUpFork();

  if (isMac) for (const key of document.querySelectorAll("kbd[data-mod]")) key.textContent = "⌘";

  localizeTimes();
  setInterval(() => localizeTimes(), 30_000);
  showFlash();
}

/** The Fork button: a dialog to choose the copy's address (prefilled with a free one the
 * server suggests; addresses are global) and, for the owner, whether to copy the data. */
function setUpFork() {
  const fork = document.querySelector("[data-action=fork]");
  const dialog = document.querySelector("dialog.fork-dialog");
  if (!fork || !dialog) return;
  const { widget } = pageData();
  const form = dialog.querySelector("form");
  const field = form.elements.slug;
  const shown = dialog.querySelector("[data-slot=fork-slug]");
  const show = () => {
    shown.textContent = field.value.trim() || "…";
  };
  field.addEventListener("input", show);
  fork.addEventListener("click", () =>
    busy(fork, async () => {
      form.reset();
      formError(form, "");
      try {
        field.value = (await api("GET", `/api/widgets/${widget.slug}/fork`)).slug;
      } catch (error) {
        toast(error.message, "bad");
        return;
      }
      show();
      dialog.showModal();
      field.select();
    }),
  );
  dialog.querySelector("[data-action=cancel-fork]").addEventListener("click", () => dialog.close());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const slug = field.value.trim();
    if (!slug) {
      formError(form, "Choose an address for your copy.");
      field.focus();
      return;
    }
    const copyData = Boolean(form.elements.copy_data?.checked);
    await busy(form.querySelector("button[type=submit]"), async () => {
      try {
        const body = copyData ? { slug, copy_data: true } : { slug };
        const copyOf = await api("POST", `/api/widgets/${widget.slug}/fork`, body);
        flash(`Forked: "${copyOf.title}" is your own copy at ${copyOf.slug}${copyData ? ", with its data" : ""}`);
        location.assign(`/widgets/${copyOf.slug}`);
      } catch (error) {
        formError(form, error.message);
        field.focus();
      }
    });
  });
}

setUp();

/** Called by each page's script when it is usable. */
export function ready() {
  performance.mark("wb:ready");
  document.documentElement.dataset.ready = "true";
}
