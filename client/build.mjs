// Bundles the IDE's scripts and styles from src/ into build/ with esbuild.
//
//   node build.mjs            minified, content-hashed files and build/manifest.json, and
//                             Pyodide's start-up snapshot (snapshot.mjs)
//   node build.mjs --watch    rebuild on every change (for `just client-watch`)
//
// Every page loads one entry (src/pages/*.js) and the stylesheet (src/app.css); code they
// share goes into hashed chunks. build/manifest.json maps each entry's name to its file and
// the chunks it imports, so the host can name them in the page (and preload the chunks).
// Each file also gets a gzip twin (.gz), which the host sends to browsers that accept it.

import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { constants, gzipSync } from "node:zlib";
import * as esbuild from "esbuild";
import { copyRuntimes } from "./runtimes.mjs";
import { makePyodideSnapshot } from "./snapshot.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const src = join(here, "src");
const watch = process.argv.includes("--watch");
const built = join(here, "build");
// a one-off build is made beside build/ and swapped in whole at the end, so a server (or a
// test) reading build/ meanwhile never finds it half made; watching rebuilds in place
const out = watch ? built : join(here, `build.next-${process.pid}`);

const pages = readdirSync(join(src, "pages"))
  .filter((name) => name.endsWith(".js"))
  .map((name) => join(src, "pages", name));

// GUI apps' page: its loader and styles; the designer's styles (see src/gui/, runtimes.mjs)
const gui = [join(src, "gui", "boot.js"), join(src, "gui", "gui.css"), join(src, "gui", "designer.css")];

const options = {
  entryPoints: [...pages, join(src, "app.css"), ...gui],
  outdir: out,
  outbase: src,
  bundle: true,
  splitting: true,
  format: "esm",
  target: ["chrome109", "firefox115", "safari16"],
  minify: true,
  sourcemap: "linked",
  entryNames: "[dir]/[name]-[hash]",
  chunkNames: "chunks/[name]-[hash]",
  assetNames: "assets/[name]-[hash]",
  metafile: true,
  legalComments: "linked",
  logLevel: "warning",
  loader: { ".py": "text" },
};

/** The manifest: {"pages/code.js": {"file": "pages/code-HASH.js", "imports": [...]}, ...} */
function manifest(metafile) {
  const entries = {};
  for (const [file, output] of Object.entries(metafile.outputs)) {
    if (!output.entryPoint) continue;
    const name = relative(src, join(here, output.entryPoint)).split("\\").join("/");
    const imports = output.imports
      .filter((item) => item.kind === "import-statement")
      .map((item) => relative(out, join(here, item.path)).split("\\").join("/"));
    entries[name] = { file: relative(out, join(here, file)).split("\\").join("/"), imports };
  }
  return entries;
}

function compress(metafile) {
  for (const file of Object.keys(metafile.outputs)) {
    if (!/\.(js|css)$/.test(file)) continue;
    const data = readFileSync(join(here, file));
    writeFileSync(join(here, `${file}.gz`), gzipSync(data, { level: constants.Z_BEST_COMPRESSION }));
  }
}

let runtimes = {};

function finish(result) {
  compress(result.metafile);
  const entries = manifest(result.metafile);
  const text = `${JSON.stringify({ entries, runtimes }, null, 2)}\n`;
  const version = createHash("sha256").update(text).digest("hex").slice(0, 12);
  writeFileSync(join(out, "manifest.json"), text);
  const files = Object.keys(result.metafile.outputs).filter((f) => !f.endsWith(".map"));
  const bytes = files.reduce((sum, f) => sum + readFileSync(join(here, f)).length, 0);
  console.log(
    `client: built ${files.length} files (${(bytes / 1024).toFixed(0)} KiB) in ${basename(built)}/, manifest ${version}`,
  );
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
runtimes = copyRuntimes(here, out);
// Pyodide's start-up snapshot holds the client package as built now: not in watch mode, where
// the package changes under it (pages then start Pyodide without one, see run-pyodide.js)
const snapshot = watch ? null : makePyodideSnapshot(here, out, runtimes.pyodide.base);
if (snapshot) runtimes.pyodide.files.push(snapshot);

if (watch) {
  const context = await esbuild.context({
    ...options,
    plugins: [{ name: "manifest", setup: (build) => build.onEnd((r) => r.errors.length || finish(r)) }],
  });
  await context.watch();
  console.log("client: watching src/ for changes (Ctrl-C to stop)");
} else {
  finish(await esbuild.build(options));
  const old = join(here, `build.old-${process.pid}`);
  rmSync(old, { recursive: true, force: true });
  try {
    renameSync(built, old);
  } catch (error) {
    if (error.code !== "ENOENT") throw error;
  }
  renameSync(out, built);
  rmSync(old, { recursive: true, force: true });
}
