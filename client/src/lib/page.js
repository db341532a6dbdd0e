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

/** The Fork button: others fork at once; the owner first chooses whether to copy the data. */
function setUpFork() {
  const fork = document.querySelector("[data-action=fork]");
  if (!fork) return;
  const send = async (body) => {
    const { widget } = pageData();
    const copyOf = await api("POST", `/api/widgets/${widget.slug}/fork`, body);
    flash(`Forked: "${copyOf.title}" is your own copy${body.copy_data ? ", with its data" : ""}`);
    location.assign(`/widgets/${copyOf.slug}`);
  };
  const dialog = document.querySelector("dialog.fork-dialog");
  if (!fork.dataset.ask || !dialog) {
    fork.addEventListener("click", () =>
      busy(fork, async () => {
        try {
          await send({});
        } catch (error) {
          toast(error.message, "bad");
        }
      }),
    );
    return;
  }
  const form = dialog.querySelector("form");
  fork.addEventListener("click", () => {
    form.reset();
    formError(form, "");
    dialog.showModal();
  });
  dialog.querySelector("[data-action=cancel-fork]").addEventListener("click", () => dialog.close());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    await busy(form.querySelector("button[type=submit]"), async () => {
      try {
        await send({ copy_data: form.elements.copy_data.checked });
      } catch (error) {
        formError(form, error.message);
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
