// Pyodide's start-up, made once at build time: a memory snapshot of the interpreter after
// it has started and imported the client `anvil` package (every module but the app's own
// `anvil/_app_data.py`), written beside the runtime as `snapshot.bin`, gzipped only.
// An app's page restores it instead of starting Python and compiling the package again
// (src/gui/run-pyodide.js): on this machine the runtime is ready in about a third of the
// time. The snapshot holds no secrets and nothing of any app; `random` is seeded again per
// page (anvil/_start.py). Made with Pyodide's own `_makeSnapshot` / `makeMemorySnapshot`,
// from the same pinned package the pages load, so the two always match.
//
// The snapshot keeps what the interpreter learnt when it started, including whether
// WebAssembly can switch stacks (JSPI), which client Python needs to wait (suspend.js): so it
// is made in a Node.js child with JSPI turned on (the flag's name depends on Node's version).
// Where no Node flag gives JSPI, no snapshot is made and pages start Pyodide from scratch.

import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { constants, gzipSync } from "node:zlib";
import * as esbuild from "esbuild";

export const SNAPSHOT = "snapshot.bin";
const HOME = "/home/pyodide/app"; // where run-pyodide.js writes the app's modules
const APP_OWN = "anvil/_app_data.py";
const IMPORTS = [
  "anvil",
  "anvil.server",
  "anvil.js",
  "anvil.tables",
  "anvil.users",
  "anvil.tz",
  "plotly.graph_objects",
];

/** The modules every app gets ({path: source}), as the page's loader makes them. */
async function packageModules(here) {
  const built = await esbuild.build({
    entryPoints: [join(here, "src", "gui", "modules.js")],
    bundle: true,
    write: false,
    format: "esm",
    platform: "node",
    loader: { ".py": "text" },
    logLevel: "warning",
  });
  const code = built.outputFiles[0].text;
  const { appModules } = await import(`data:text/javascript;base64,${Buffer.from(code).toString("base64")}`);
  return appModules({}, "client_code");
}

/** Make the snapshot in this process (run as the child below, with JSPI on). */
async function makeHere(here, file) {
  const modules = await packageModules(here);
  const { loadPyodide } = await import(join(here, "node_modules", "pyodide", "pyodide.mjs"));
  const pyodide = await loadPyodide({ _makeSnapshot: true, fullStdLib: false });
  if (!(await pyodide.runPythonAsync("from pyodide.ffi import can_run_sync\ncan_run_sync()"))) {
    process.exit(3); // no JSPI here: a snapshot made now could never wait
  }
  for (const [path, source] of Object.entries(modules)) {
    if (path === APP_OWN) continue;
    const target = `${HOME}/${path}`;
    pyodide.FS.mkdirTree(target.slice(0, target.lastIndexOf("/")));
    pyodide.FS.writeFile(target, source);
  }
  pyodide.runPython(
    `import sys\nsys.path.insert(0, ${JSON.stringify(HOME)})\n` +
      IMPORTS.map((name) => `import ${name}\n`).join("") +
      `assert "anvil._app_data" not in sys.modules\n`,
  );
  // only gzipped (6 of 31 MB): every browser takes gzip, and the host sends it so (web/assets.py)
  const snapshot = pyodide.makeMemorySnapshot();
  writeFileSync(`${file}.gz`, gzipSync(snapshot, { level: constants.Z_BEST_COMPRESSION }));
}

const JSPI_FLAGS = [
  [],
  ["--experimental-wasm-jspi"],
  ["--experimental-wasm-stack-switching", "--experimental-wasm-gc"],
];

/** Write `runtimes/pyodide-<version>/snapshot.bin` (and .gz) under `out`: the file's name,
 * or null (with a warning) when this Node.js cannot run WebAssembly with JSPI. */
export function makePyodideSnapshot(here, out, base) {
  const file = join(out, base, SNAPSHOT);
  for (const flags of JSPI_FLAGS) {
    const child = spawnSync(process.execPath, [...flags, fileURLToPath(import.meta.url), here, file], {
      stdio: ["ignore", "inherit", "pipe"],
      encoding: "utf8",
    });
    if (child.status === 0) return SNAPSHOT;
    if (child.status !== 3 && !/bad option/.test(child.stderr)) {
      throw new Error(`Pyodide's start-up snapshot failed:\n${child.stderr}`);
    }
  }
  console.warn("client: no Pyodide start-up snapshot: this Node.js has no JSPI (pages start Pyodide slower)");
  return null;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await makeHere(process.argv[2], process.argv[3]);
}
