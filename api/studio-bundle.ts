// The knob studio's browser bundle: web/studio/main.ts (compiled to dist/web/studio/) bundled by esbuild
// into dist/studio-page/, with each onnxruntime-web build (WASM, WebGPU) in a chunk of its own, loaded
// only when the page picks it. `make build` makes it; `divsyn studio` and `export-web` remake it when it
// is missing or older than a file it was made from. onnxruntime-web's .wasm and glue files are not in
// the bundle: the site serves them from ort/ (studio.ts), copied from node_modules.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { usageError } from '../common/errors.js';

/** dist/, where this module runs from. */
const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const entry = path.join(dist, 'web', 'studio', 'main.js');
export const bundleDir = path.join(dist, 'studio-page');
/** The page's script (chunks sit in chunks/ beside it). */
export const bundleEntry = 'studio.js';
/** esbuild's list of the files the bundle was made from (paths relative to the working folder of the build, stored absolute here). */
const inputsFile = path.join(bundleDir, 'inputs.json');

/** The onnxruntime-web files the site serves from ort/: each build's Emscripten glue and its .wasm. */
export const ORT_FILES = ['ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm', 'ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm'];

const require = createRequire(import.meta.url);

/** Where onnxruntime-web's file `name` is installed (a UserError when the package is missing). */
export function ortFile(name: string): string {
  try {
    return require.resolve(`onnxruntime-web/${name}`);
  } catch {
    throw usageError(`the studio needs the package onnxruntime-web (its ${name}): install it beside divsyn (npm install onnxruntime-web@~1.30)`);
  }
}

function stale(): boolean {
  let inputs: string[];
  let built: number;
  try {
    inputs = JSON.parse(fs.readFileSync(inputsFile, 'utf8'));
    built = fs.statSync(inputsFile).mtimeMs;
    fs.statSync(path.join(bundleDir, bundleEntry));
  } catch {
    return true;
  }
  return inputs.some((f) => {
    try {
      return fs.statSync(f).mtimeMs > built;
    } catch {
      return true;
    }
  });
}

/** Bundles the page into dist/studio-page/ (built beside it, then moved in place: a concurrent reader sees the old bundle or the new one). */
export async function buildStudioBundle(): Promise<void> {
  if (!fs.existsSync(entry)) throw usageError(`the studio page is not compiled ('${entry}' is missing): run \`make build\``);
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch {
    throw usageError('the studio page is not built and esbuild (a development dependency) is not installed: run `make build` in a divsyn checkout');
  }
  const tmp = `${bundleDir}.${process.pid}.tmp`;
  fs.rmSync(tmp, { recursive: true, force: true });
  const r = await esbuild.build({
    entryPoints: { studio: entry },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    // the builds that load their glue (.mjs) and .wasm from ort.env.wasm.wasmPaths instead of inlining the glue: worker threads start from the glue's own URL
    conditions: ['onnxruntime-web-use-extern-wasm'],
    outdir: tmp,
    chunkNames: 'chunks/[name]-[hash]',
    minify: true,
    metafile: true,
    logLevel: 'silent',
  });
  const inputs = Object.keys(r.metafile.inputs).map((f) => path.resolve(f));
  fs.writeFileSync(path.join(tmp, path.basename(inputsFile)), JSON.stringify(inputs));
  fs.rmSync(bundleDir, { recursive: true, force: true });
  try {
    fs.renameSync(tmp, bundleDir);
  } catch (e) {
    // another process put its bundle (of the same files) in place first
    fs.rmSync(tmp, { recursive: true, force: true });
    if (!fs.existsSync(path.join(bundleDir, bundleEntry))) throw e;
  }
}

/** The bundle folder, rebuilt first when it is missing or stale. */
export async function studioBundle(): Promise<string> {
  if (stale()) await buildStudioBundle();
  return bundleDir;
}
