// Pyodide: loaded from the pinned npm package's files (served by the host from
// build/runtimes/), the app's modules written to its file system, then the start-up, entered
// through `runPythonAsync` so that the startup form's code can wait too (suspend.js).
// The interpreter comes from the build's snapshot, with the client `anvil` package imported.

import { startArguments } from "./page.js";
import * as suspend from "./suspend.js";

const HOME = "/home/pyodide/app";

/** Pyodide restored from the build's start-up snapshot (client/snapshot.mjs), fetched beside
 * the runtime's own files; started from scratch when there is none (a watching build). */
async function load(loadPyodide, indexURL) {
  const snapshot = fetch(`${indexURL}snapshot.bin`).then(async (response) => {
    if (!response.ok) throw new Error(`no start-up snapshot (HTTP ${response.status})`);
    return new Uint8Array(await response.arrayBuffer());
  });
  try {
    const { default: createModule } = await import(/* not bundled */ `${indexURL}pyodide.asm.mjs`);
    const bytes = await snapshot;
    const createPyodideModule = async (settings) => keepTrampoline(await createModule(settings), bytes);
    return await loadPyodide({ indexURL, fullStdLib: false, _loadSnapshot: bytes, createPyodideModule });
  } catch (error) {
    console.warn("Pyodide starts without its snapshot:", error?.message ?? error);
    return await loadPyodide({ indexURL, fullStdLib: false });
  }
}

/** CPython calls functions through a trampoline it makes when it starts, fit for the
 * browser's WebAssembly (one without JavaScript frames, which JSPI cannot suspend across).
 * The snapshot was made in Node.js, whose trampoline differs: before Pyodide copies the
 * snapshot into memory, put this browser's trampoline into it (the same word of
 * `_PyRuntime` that CPython's start-up has just written). */
function keepTrampoline(module, bytes) {
  const memory = new DataView(module.HEAP8.buffer);
  const offset = memory.getInt32(module.__PyEM_EMSCRIPTEN_TRAMPOLINE_OFFSET, true);
  const address = module.__PyRuntime + offset;
  const header = new DataView(bytes.buffer, bytes.byteOffset).getUint32(4, true);
  new DataView(bytes.buffer, bytes.byteOffset).setInt32(header + address, memory.getInt32(address, true), true);
  return module;
}

/** Python code: the import system forgets what it listed of the app's folders (in the
 * snapshot, from before the app's files were written). Only those: `importlib.invalidate_caches()`
 * would also have the standard library's zip importer read its archive's directory again, in
 * Python, which took 0.3 s of a warm start-up and 0.8 s of a cold one on a loaded machine. */
const FORGET_LISTINGS =
  `[finder.invalidate_caches() for path, finder in list(sys.path_importer_cache.items())\n` +
  ` if path.startswith(${JSON.stringify(HOME)}) and hasattr(finder, "invalidate_caches")]\n`;

export async function startPyodide(base, modules, startup) {
  globalThis.wbSuspend = Object.freeze({ ...suspend });
  const indexURL = new URL(base, location.href).href;
  const { loadPyodide } = await import(/* not bundled */ `${indexURL}pyodide.mjs`);
  const pyodide = await load(loadPyodide, indexURL);
  performance.mark("wb-runtime-loaded");
  for (const [path, source] of Object.entries(modules)) {
    const file = `${HOME}/${path}`;
    pyodide.FS.mkdirTree(file.slice(0, file.lastIndexOf("/")));
    pyodide.FS.writeFile(file, source);
  }
  await pyodide.runPythonAsync(
    `import sys\n${FORGET_LISTINGS}sys.path.insert(0, ${JSON.stringify(HOME)})\n` +
      `from anvil import _start, _pyodide\n_start.start(_pyodide.Adapter(), ${startArguments(startup)})\n`,
  );
}
