// The knob studio as a site: one list of files (the page, its bundle, onnxruntime-web's WASM files, the
// model, the layouts and studio.json), served on 127.0.0.1 with the cross-origin isolation headers that
// multithreaded WASM needs (`divsyn studio`), or written to a folder for any static host (`divsyn
// export-web`), where the page runs on one WASM thread unless the host sends those headers too.
import fs from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import path from 'node:path';
import { dataError, outputError } from '../common/errors.js';
import { prepareOutputDir, syncDir, writeError, writeFileAtomic } from '../common/files.js';
import { GeneratorInfo, generatorInfo } from '../common/generator-info.js';
import { checkOutputDir } from '../common/output-paths.js';
import { readGenerator } from '../runtime/model-file.js';
import { forceOption } from './common.js';
import { OptionsInput, ParsedOptions, int, need, parsedOptions, str } from './options.js';
import { ORT_FILES, bundleEntry, ortFile, studioBundle } from './studio-bundle.js';
import { siteLayouts } from './studio-layouts.js';

/** One file of the site: its path in the site, and its bytes or the file holding them. */
export interface SiteFile {
  path: string;
  bytes?: Uint8Array;
  file?: string;
}

export interface StudioSite {
  info: GeneratorInfo;
  files: SiteFile[];
  layouts: number;
}

const siteOptions = {
  model: str({ help: 'generator file', meta: 'FILE.onnx' }),
  layouts: str({
    help: 'a label map or a folder of them (default: the fixture test layouts for CMP Facades models, else a few generated ones); a model fed a normal map or landmarks: .png normal maps or .pts/.txt point files (default: the bundled heads or faces)',
    meta: 'PATH',
  }),
};
/** `divsyn studio`'s options. */
export const studioOptions = { ...siteOptions, port: int({ min: 0, max: 65535, default: 8600, help: 'port on 127.0.0.1 (0: a free one; the address is printed)', meta: 'P' }) };
/** `divsyn export-web`'s options. */
export const exportWebOptions = { ...siteOptions, out: str({ help: 'output folder', meta: 'SITE' }), ...forceOption('write into a non-empty SITE') };

export interface StudioOptions {
  /** The generator file. */
  model: string;
  /** A label map or a folder of them; default: the fixture's test layouts (CMP Facades models) or a few generated ones. */
  layouts?: string;
  onWarning?: (message: string) => void;
}

/** Headers that make a page cross-origin isolated (SharedArrayBuffer, so WASM threads). */
export const ISOLATION_HEADERS = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cross-Origin-Resource-Policy': 'same-origin' };

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.txt': 'text/plain; charset=utf-8',
  '.onnx': 'application/octet-stream',
};

const MODEL_PATH = 'generator.onnx';

const escapeHtml = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

function indexHtml(name: string): string {
  // the empty icon keeps the browser from asking for /favicon.ico (a 404 in the console)
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>divsyn studio: ${escapeHtml(name)}</title>
<link rel="icon" href="data:,">
<script type="module" src="${bundleEntry}"></script>
</head>
<body></body>
</html>
`;
}

/** Static hosts that read a _headers file (Netlify, Cloudflare Pages) send the isolation headers too. */
const headersFile = () =>
  `/*\n${Object.entries(ISOLATION_HEADERS)
    .map(([k, v]) => `  ${k}: ${v}`)
    .join('\n')}\n`;

function listFiles(dir: string, under = ''): string[] {
  return fs.readdirSync(path.join(dir, under), { withFileTypes: true }).flatMap((e) => {
    const rel = path.posix.join(under, e.name);
    return e.isDirectory() ? listFiles(dir, rel) : e.name.endsWith('.js') ? [rel] : [];
  });
}

/** The studio's files for a model: everything the page loads, and nothing from elsewhere. */
export async function studioSite(o: StudioOptions): Promise<StudioSite> {
  // readGenerator checks that the file is a generator (kind, interface, parameters) before the page gets it
  const generator = readGenerator(o.model);
  const info = generatorInfo(generator, o.model);
  const bundle = await studioBundle();
  const ort = ORT_FILES.map((name) => ({ path: `ort/${name}`, file: ortFile(name) }));
  const layouts = await siteLayouts({ classes: info.classes, condition: info.architecture.condition, height: info.height, width: info.width, layouts: o.layouts, onWarning: o.onWarning });
  const name = path.basename(o.model);
  const config = { model: MODEL_PATH, name, layouts: layouts.map((l) => ({ stem: l.stem, file: `layouts/${l.stem}${l.ext}`, source: l.source })) };
  const seen = new Set<string>();
  for (const l of layouts) {
    if (seen.has(l.stem)) throw dataError(`layouts '${o.layouts}': two files named '${l.stem}' (the page names layouts by stem)`);
    seen.add(l.stem);
  }
  const text = (s: string) => new TextEncoder().encode(s);
  return {
    info,
    layouts: layouts.length,
    files: [
      { path: 'index.html', bytes: text(indexHtml(name)) },
      { path: 'studio.json', bytes: text(JSON.stringify(config, null, 1)) },
      { path: '_headers', bytes: text(headersFile()) },
      { path: MODEL_PATH, file: o.model },
      ...listFiles(bundle).map((f) => ({ path: f, file: path.join(bundle, f) })),
      ...ort,
      ...layouts.map((l, i) => ({ path: config.layouts[i].file, bytes: l.png })),
    ],
  };
}

export interface StudioServer {
  url: string;
  close(): Promise<void>;
}

/** Serves the site on host:port (port 0: a free one), with the isolation headers; GET and HEAD only. */
export async function serveStudio(site: StudioSite, o: { port: number; host?: string }): Promise<StudioServer> {
  const host = o.host ?? '127.0.0.1';
  const byPath = new Map(site.files.map((f) => [`/${f.path}`, f]));
  const server = http.createServer((req, res) => {
    let urlPath: string;
    try {
      urlPath = decodeURIComponent(new URL(req.url ?? '/', 'http://host').pathname);
    } catch {
      res.writeHead(400, { 'Content-Type': 'text/plain', ...ISOLATION_HEADERS }).end('bad request path\n');
      return;
    }
    const f = byPath.get(urlPath === '/' ? '/index.html' : urlPath);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    if (!f) {
      res.writeHead(404, { 'Content-Type': 'text/plain', ...ISOLATION_HEADERS }).end('not found\n');
      return;
    }
    const headers = { 'Content-Type': TYPES[path.extname(f.path)] ?? 'application/octet-stream', 'Cache-Control': 'no-cache', ...ISOLATION_HEADERS };
    if (f.bytes) {
      res.writeHead(200, { ...headers, 'Content-Length': f.bytes.length });
      res.end(req.method === 'HEAD' ? undefined : f.bytes);
      return;
    }
    fs.stat(f.file!, (e, st) => {
      if (e) {
        res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`cannot read ${f.path}\n`);
        return;
      }
      res.writeHead(200, { ...headers, 'Content-Length': st.size });
      if (req.method === 'HEAD') res.end();
      else fs.createReadStream(f.file!).pipe(res);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(outputError(`cannot serve on ${host}:${o.port}: ${e.code === 'EADDRINUSE' ? 'the port is in use' : e.message}`)));
    server.listen(o.port, host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Writes the site into `out` (absent or empty unless force), each file atomically; returns the file count and bytes. */
export function exportStudio(site: StudioSite, out: string, force: boolean): { files: number; bytes: number } {
  prepareOutputDir(out, force);
  let bytes = 0;
  const dirs = new Set<string>();
  for (const f of site.files) {
    const target = path.join(out, ...f.path.split('/'));
    let data: Uint8Array;
    try {
      data = f.bytes ?? fs.readFileSync(f.file!);
    } catch (e) {
      throw dataError(`cannot read '${f.file}': ${(e as Error).message}`);
    }
    try {
      writeFileAtomic(target, data, { syncDir: false });
    } catch (e) {
      throw writeError(target, e);
    }
    dirs.add(path.dirname(target));
    bytes += data.length;
  }
  for (const d of dirs) syncDir(d);
  return { files: site.files.length, bytes };
}

/** startStudio()'s options: the `divsyn studio` flags; model is required. */
export type StartStudioOptions = OptionsInput<typeof studioOptions>;

/** `divsyn studio`: the model's site served on 127.0.0.1 until the returned server is closed. */
export async function startStudio(options: StartStudioOptions | ParsedOptions<typeof studioOptions>): Promise<{ site: StudioSite; server: StudioServer }> {
  const { values: o } = parsedOptions(studioOptions, options);
  const site = await studioSite({ model: need(o, 'model'), layouts: o.layouts });
  return { site, server: await serveStudio(site, { port: o.port }) };
}

/** exportWeb()'s options: the `divsyn export-web` flags; model and out are required. */
export type ExportWebOptions = OptionsInput<typeof exportWebOptions>;

/** `divsyn export-web`: the model's site written to a folder; its absolute path, file count and bytes. */
export async function exportWeb(options: ExportWebOptions | ParsedOptions<typeof exportWebOptions>): Promise<{ site: StudioSite; out: string; files: number; bytes: number }> {
  const { values: o } = parsedOptions(exportWebOptions, options);
  const out = need(o, 'out');
  checkOutputDir(out);
  const site = await studioSite({ model: need(o, 'model'), layouts: o.layouts });
  return { site, out: path.resolve(out), ...exportStudio(site, out, o.force) };
}
