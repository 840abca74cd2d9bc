// The knob studio's entry (bundled by api/studio-bundle.ts): reads studio.json and the model beside the
// page, opens onnxruntime-web (backend.ts), builds the page and hands it to the controller. Status for
// tests and benchmarks is on window.studio (studio.ts StudioStatus).
import { UserError, modelError, readGeneratorInfo } from '../index.js';
import { openBackend } from './backend.js';
import { buildPage } from './page.js';
import { SiteConfig, Studio, StudioStatus } from './studio.js';

declare global {
  interface Window {
    studio?: StudioStatus;
  }
}

async function fetchOk(url: string): Promise<Response> {
  const r = await fetch(url);
  if (!r.ok) throw modelError(`cannot load '${url}': HTTP ${r.status}`);
  return r;
}

async function boot(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const config = (await (await fetchOk('studio.json')).json()) as SiteConfig;
  const bytes = new Uint8Array(await (await fetchOk(config.model)).arrayBuffer());
  const info = readGeneratorInfo(bytes, config.name);
  const page = buildPage(document.body, info.height, info.width);
  page.title.textContent = `${config.name}: ${info.kind}, ${info.height}x${info.width}, ${info.classes.length} classes`;
  const backend = await openBackend(bytes, { backend: params.get('backend'), threads: params.get('threads') }, config.name);
  page.backend.textContent = `running on ${backend.label}`;
  const studio = new Studio(page, backend, config, info);
  window.studio = studio.status;
  await studio.start();
}

boot().catch((e: unknown) => {
  const message = e instanceof UserError ? e.message : `the studio failed to start: ${(e as Error).message ?? e}`;
  window.studio = { ready: false, error: message, backend: '', threads: 0, frames: 0, idle: true, timings: [] };
  const p = document.getElementById('message') ?? document.body.appendChild(document.createElement('p'));
  p.textContent = message;
  console.error(message);
});
