// The app page's one script: reads what the host put in the page (#wb-boot: the runtime, where
// its files are, the startup form, the app's client files), starts Brython or Pyodide with the
// app's modules, and shows a notice if anything fails before the app's own code runs.

import { appModules } from "./modules.js";
import { markReady, showError } from "./page.js";
import { startBrython } from "./run-brython.js";
import { startPyodide } from "./run-pyodide.js";

async function boot() {
  const boot = JSON.parse(document.getElementById("wb-boot").textContent);
  globalThis.wbReady = markReady;
  const modules = appModules(boot.files);
  const start = boot.runtime === "pyodide" ? startPyodide : startBrython;
  try {
    await start(boot.runtime_base, modules, boot.startup_form);
  } catch (error) {
    console.error("The app could not start:", error);
    showError(`The app could not start: ${error?.message ?? error}`);
    markReady();
  }
}

boot();
