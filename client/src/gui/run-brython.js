// Brython: its script and standard library from the pinned npm package (served by the host
// from build/runtimes/), the app's modules as a virtual file system, then the start-up.

import { loadScript, startArguments } from "./page.js";

export async function startBrython(base, modules, startup) {
  await loadScript(`${base}brython.min.js`);
  await loadScript(`${base}brython_stdlib.js`);
  const B = globalThis.__BRYTHON__;
  const vfs = {};
  for (const [path, source] of Object.entries(modules)) {
    let name = path.slice(0, -".py".length).replaceAll("/", ".");
    const isPackage = name.endsWith(".__init__");
    if (isPackage) name = name.slice(0, -".__init__".length);
    vfs[name] = isPackage ? [".py", source, [], 1] : [".py", source, []];
  }
  B.use_VFS = true;
  B.update_VFS(vfs);
  globalThis.brython({ debug: 1, indexeddb: false });
  B.runPythonSource(
    `from anvil import _start, _brython\n_start.start(_brython.Adapter(), ${startArguments(startup)})\n`,
    { id: "__wb_start__" },
  );
}
