// Pyodide: loaded from the pinned npm package's files (served by the host from
// build/runtimes/), the app's modules written to its file system, then the start-up.

const HOME = "/home/pyodide/app";

export async function startPyodide(base, modules, startup) {
  const indexURL = new URL(base, location.href).href;
  const { loadPyodide } = await import(/* not bundled */ `${indexURL}pyodide.mjs`);
  const pyodide = await loadPyodide({ indexURL, fullStdLib: false });
  for (const [path, source] of Object.entries(modules)) {
    const file = `${HOME}/${path}`;
    pyodide.FS.mkdirTree(file.slice(0, file.lastIndexOf("/")));
    pyodide.FS.writeFile(file, source);
  }
  pyodide.runPython(
    `import sys\nsys.path.insert(0, ${JSON.stringify(HOME)})\n` +
      `from anvil import _start, _pyodide\n_start.start(_pyodide.Adapter(), ${JSON.stringify(startup)})\n`,
  );
}
