// The app page's one script: reads what the host put in the page (#wb-boot: the runtime, where
// its files are, the startup form, the app's client files), starts Brython or Pyodide with the
// app's modules, and shows a notice if anything fails before the app's own code runs.
//
// The designer's live preview is the same page in preview mode: it holds no files, and runs
// those that Widgetbox's own design page (one of `ide_origins`, its parent frame) posts to it.

import { version as plotlyVersion } from "plotly.js-dist-min/package.json";
import { setApp, setAssets, setOwnColors, setPackageName } from "./app-info.js";
import { base64, bytesToList, listToBytes, objectUrl } from "./bytes.js";
import { control, draw, place, release, update, youtubeCommand } from "./draw.js";
import { appModules } from "./modules.js";
import { markReady, showError } from "./page.js";
import { startBrython } from "./run-brython.js";
import { startPyodide } from "./run-pyodide.js";
import { applyColors } from "./theme.js";

function packageName(files) {
  try {
    return JSON.parse(files["app.json"] || "{}").package_name || "client_code";
  } catch {
    return "client_code";
  }
}

/** What `_start.start` opens: {form: "Form1", module: "Startup" | null, load: what a route's
 * `FormResponse` asked for | null}. */
async function start(runtime, base, files, startup) {
  globalThis.wbPlotlyUrl = plotlyUrl(base);
  setPackageName(packageName(files));
  const modules = appModules(files, packageName(files));
  const run = runtime === "pyodide" ? startPyodide : startBrython;
  try {
    await run(base, modules, startup);
  } catch (error) {
    console.error("The app could not start:", error);
    showError(`The app could not start: ${error?.message ?? error}`);
    markReady();
  }
}

function isFiles(files) {
  return (
    files !== null &&
    typeof files === "object" &&
    Object.entries(files).every(([path, text]) => typeof path === "string" && typeof text === "string")
  );
}

function preview(boot) {
  if (window.parent === window) {
    showError("This is the designer's preview: open it from the app's page in Widgetbox.");
    markReady();
    return;
  }
  let started = false;
  window.addEventListener("message", (event) => {
    const data = event.data;
    if (started || event.source !== window.parent || !boot.ide_origins.includes(event.origin)) return;
    if (data?.type !== "wb-preview-run" || !isFiles(data.files)) return;
    const base = boot.runtime_bases[data.runtime];
    if (!base || typeof data.startup_form !== "string") return;
    const module = typeof data.startup_module === "string" ? data.startup_module : null;
    started = true;
    // the theme's colours as the designer has them (the preview links no app's own)
    if (Array.isArray(data.theme_colors)) {
      const colors = data.theme_colors.filter((c) => typeof c?.name === "string" && typeof c?.color === "string");
      applyColors(document.documentElement, colors);
      setOwnColors(colors);
    }
    // the designer's environment, as Anvil's designer says; the id is the one the design page names
    const id = typeof data.app_id === "string" ? data.app_id : null;
    setApp({ id, branch: "master", environment: { name: "Designer", tags: ["debug"] } });
    setAssets(data.theme_assets);
    globalThis.wbReady = () => {
      markReady();
      window.parent.postMessage({ type: "wb-preview-ready" }, event.origin);
    };
    start(data.runtime, base, data.files, { form: data.startup_form, module });
  });
  // nothing secret in it: it only says the preview can take the files now
  window.parent.postMessage({ type: "wb-preview-waiting" }, "*");
}

// what `anvil.js` needs from JavaScript itself (anvil/js.py): `new`, `import()`, promises
globalThis.wbJs = Object.freeze({
  construct: (cls, args) => new cls(...args),
  importModule: (url) => import(/* not bundled */ url),
  isPromise: (value) => value instanceof Promise || typeof value?.then === "function",
  // what must happen during an event itself: Pyodide runs Python handlers a moment later
  stopAt: (element, type) => element.addEventListener(type, (event) => event.stopPropagation()),
});

/** Properties from Python: an object (Brython hands a dict over as one), or its JSON text
 * (Pyodide: one string crosses into JavaScript, where `to_js` converts a dict entry by entry;
 * for a component's properties the text and its parsing take under half the time). */
const plain = (props) => (typeof props === "string" ? JSON.parse(props) : props);

// the components' drawing, shared with the designer: the Python components call it (anvil/_platform.py)
globalThis.wbDraw = Object.freeze({
  draw: (type, props) => draw(type, plain(props)),
  update: (element, type, name, props) => update(element, type, name, plain(props)),
  place: (container, type, child, layout, before, hidden, invisible) =>
    place(container, type, child, plain(layout), before, hidden, invisible),
  control,
  release,
  youtubeCommand,
  base64,
  bytesToList,
  listToBytes,
  objectUrl,
});

/** plotly.js, loaded by the first Plot drawn: build/runtimes/ beside the Python runtimes. */
function plotlyUrl(runtimeBase) {
  return new URL(`../plotly.js-dist-min-${plotlyVersion}/plotly.min.js`, new URL(runtimeBase, location.href)).href;
}

const boot = JSON.parse(document.getElementById("wb-boot").textContent);
globalThis.wbReady = markReady;
if (boot.preview) preview(boot);
else {
  setApp(boot.app);
  start(boot.runtime, boot.runtime_base, boot.files, {
    form: boot.startup_form,
    module: boot.startup_module ?? null,
    load: boot.load ?? null,
  });
}
