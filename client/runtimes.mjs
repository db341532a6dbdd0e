// The Python runtimes GUI apps run on, from their npm packages (pinned in package.json and
// package-lock.json): their files are copied into build/runtimes/<package>-<version>/ with
// gzip twins, and named in build/manifest.json ("runtimes"), where the host finds them.
// plotly.js comes the same way: an app's page loads it only when a Plot is drawn.
// Nothing of them is kept in the repository.

import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { constants, gzipSync } from "node:zlib";

export const RUNTIMES = {
  brython: { files: ["brython.min.js", "brython_stdlib.js"] },
  pyodide: {
    files: ["pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json"],
  },
  "plotly.js-dist-min": { files: ["plotly.min.js"] },
};

const COMPRESSIBLE = /\.(js|mjs|wasm|json)$/;

/** Copy each runtime's files into `out`/runtimes/; returns the manifest's "runtimes". */
export function copyRuntimes(here, out) {
  const found = {};
  for (const [name, { files }] of Object.entries(RUNTIMES)) {
    const source = join(here, "node_modules", name);
    const { version } = JSON.parse(readFileSync(join(source, "package.json"), "utf8"));
    const base = `runtimes/${name}-${version}/`;
    mkdirSync(join(out, base), { recursive: true });
    for (const file of files) {
      copyFileSync(join(source, file), join(out, base, file));
      if (COMPRESSIBLE.test(file)) {
        const data = readFileSync(join(source, file));
        writeFileSync(join(out, base, `${file}.gz`), gzipSync(data, { level: constants.Z_BEST_COMPRESSION }));
      }
    }
    found[name] = { version, base, files };
  }
  return found;
}
