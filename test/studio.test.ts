// The knob studio in real headless Chromium (Debian's, driven by playwright-core): `divsyn studio` serving
// a short-trained 64 px fixture model, and `divsyn export-web`'s folder on a plain static server (no
// isolation headers, so one WASM thread). The page loads without console errors; its sliders move the
// image, coalesced; the linking measured from its canvas is metrics' linking; its downloads make the same
// image through `divsyn sample --noise`; an off-palette upload is refused with a message; with a WebGPU
// adapter (Chromium's SwiftShader, in software) it runs on WebGPU.
import test from 'ava';
import { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import path from 'node:path';
import { Browser } from 'playwright-core';
import { encode } from 'fast-png';
import { readRgb } from '../common/image.js';
import { readGeneratorInfo, specOf } from '../common/generator-info.js';
import { variationScheme } from '../common/variation.js';
import { linkingRatio, measureGenerator } from '../metrics/measures.js';
import { openSampler } from '../runtime/open-sampler.js';
import { openDataset } from '../train/datasets.js';
import { oneHot, writeIndexPng } from '../train/labels.js';
import { Coalescer } from '../web/studio/scheduler.js';
import { divsynAsync, startStudio, tempDir } from './helpers/cli.js';
import { canvasPixels, launchChromium, openStudio, setSlider, settled, slider, studioStatus as status } from './helpers/studio-page.js';
import type { StudioStatus } from '../web/studio/studio.js';

const S = 64;
const dir = tempDir('divsyn-studio-');
const model = path.join(dir, 'run', 'generator.onnx');
/** A short training: enough for the noise to be linked to its class, as the linking check needs. */
const trained = divsynAsync(['train', '--model', 'pix2pix', '--data', 'fixture', '--size', String(S), '--width', '8', '--steps', '300', '--threads', '1', '--out', path.join(dir, 'run')]).then((r) => {
  if (r.status !== 0) throw new Error(`divsyn train: ${r.stderr}`);
});

let studio: ChildProcess | undefined;
/** `divsyn studio --port 0`, as a user starts it: the address it prints. */
const studioUrl = trained.then(() => {
  const started = startStudio(model);
  studio = started.child;
  return started.url;
});

let staticServer: http.Server | undefined;
/** export-web's folder behind a plain static file server: no COOP/COEP headers. */
const siteUrl = trained.then(async () => {
  const site = path.join(dir, 'site');
  const r = await divsynAsync(['export-web', '--model', model, '--out', site]);
  if (r.status !== 0) throw new Error(`divsyn export-web: ${r.stderr}`);
  staticServer = http.createServer((req, res) => {
    const file = path.join(site, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).replace(/\/$/, '/index.html'));
    if (!file.startsWith(site) || !fs.existsSync(file)) return void res.writeHead(404).end();
    const type = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' }[path.extname(file)];
    res.writeHead(200, type ? { 'Content-Type': type } : {});
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => staticServer!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(staticServer.address() as AddressInfo).port}/`;
});

const browser: Promise<Browser> = launchChromium();
const open = (url: string, using?: Browser) => browser.then((b) => openStudio(using ?? b, url));

/** RGBA bytes as planar RGB in [0, 1], [3, H, W]. */
function planar(rgba: number[]): Float32Array {
  const hw = rgba.length / 4;
  const out = new Float32Array(3 * hw);
  for (let p = 0; p < hw; p++) for (let c = 0; c < 3; c++) out[c * hw + p] = rgba[4 * p + c] / 255;
  return out;
}

const largestDifference = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
};

/** The page's first layout: fixture test layout 0, one-hot. */
async function firstLayout(): Promise<{ stem: string; indices: Uint8Array }> {
  const info = readGeneratorInfo(fs.readFileSync(model));
  const s = await openDataset({ data: 'fixture', classes: info.classes, split: 'test' }).load(0, { width: S, height: S });
  return { stem: s.stem, indices: s.layout };
}

test('the coalescer runs the latest request of a slot once the run in progress ends, never the ones in between', async (t) => {
  const ran: string[] = [];
  let release: () => void = () => undefined;
  const runs = new Coalescer<'image' | 'samples'>(['image', 'samples'], (e) => t.fail(String(e)));
  const job =
    (name: string, wait = false) =>
    () =>
      new Promise<void>((resolve) => {
        ran.push(name);
        if (wait) release = resolve;
        else resolve();
      });
  runs.request('image', job('first', true));
  for (let i = 0; i < 10; i++) runs.request('image', job(`stale ${i}`));
  runs.request('samples', job('samples'));
  runs.request('image', job('latest'));
  t.false(runs.idle);
  release();
  await new Promise((r) => setTimeout(r, 10));
  t.deepEqual(ran, ['first', 'latest', 'samples']);
  t.true(runs.idle);
});

test.serial('divsyn studio: the page loads the 64 px model without console errors, on WASM with threads, one slider per class present', async (t) => {
  const { page, errors } = await open(await studioUrl);
  const s = await status(page);
  t.is(s.error, undefined);
  t.regex((await page.locator('#backend').textContent()) ?? '', /^running on WASM, \d+ threads?$/);
  t.true(await page.evaluate(() => crossOriginIsolated), 'divsyn studio sends the isolation headers');
  const { indices } = await firstLayout();
  const info = readGeneratorInfo(fs.readFileSync(model));
  const present = info.classes.filter((_, c) => indices.includes(c)).map((c) => c.name);
  t.true(present.length >= 4);
  t.deepEqual(await page.locator('#knobs input[type=range]').evaluateAll((inputs) => inputs.map((i) => (i as HTMLInputElement).labels![0].textContent)), present);
  const pixels = await canvasPixels(page);
  t.true(Math.max(...pixels.filter((_, i) => i % 4 === 0)) - Math.min(...pixels.filter((_, i) => i % 4 === 0)) > 20, 'the image is not flat');
  t.deepEqual(errors, []);
  await page.close();
});

test.serial('divsyn studio answers a request path that is not valid percent-encoding with 400, and keeps serving', async (t) => {
  const url = await studioUrl;
  t.is((await fetch(`${url}%E0`)).status, 400);
  const page = await fetch(url);
  t.is(page.status, 200);
  t.regex(await page.text(), /<title>divsyn studio: /);
});

test.serial("moving one slider changes the canvas, coalesced; the linking measured from the canvas is metrics' linking within 2%", async (t) => {
  const { page, errors } = await open(await studioUrl);
  const zero = await canvasPixels(page);
  await setSlider(page, 'facade', 0.8);
  const moved = await canvasPixels(page);
  t.true(largestDifference(zero, moved) > 10, 'the facade knob changes the image');

  // 30 values set at once, as a fast drag does: the page runs the one in progress and the latest, not 30
  const before = (await status(page)).frames;
  await settled(page, () =>
    page.evaluate(() => {
      const input = document.querySelector<HTMLInputElement>('#knobs input[type=range]')!;
      for (let i = 0; i < 30; i++) {
        input.value = String(-1 + i / 20);
        input.dispatchEvent(new Event('input'));
      }
    }),
  );
  const frames = (await status(page)).frames - before;
  t.true(frames <= 2, `${frames} repaints for 30 slider events`);
  const afterDrag = await canvasPixels(page);
  const first = (await page.locator('#knobs input[type=range]').first().getAttribute('id'))!;
  await settled(page, () => page.locator(`#${first}`).fill('0'));
  await settled(page, () => page.locator(`#${first}`).fill('0.45'));
  t.deepEqual(afterDrag, await canvasPixels(page), 'the image shows the last value');

  // linking as metrics/measures.ts measures it (classes covering 5-95% of the layout, noise -1 then +1,
  // the others 0), once from the page's canvas and once on onnxruntime-node's float images
  await settled(page, () => page.locator('#zero').click());
  t.deepEqual(await canvasPixels(page), zero, '"All zero" gives back the first image');
  t.is(await slider(page, 'facade').inputValue(), '0');
  const bytes = fs.readFileSync(model);
  const info = readGeneratorInfo(bytes);
  const { indices } = await firstLayout();
  const onehot = oneHot(indices, info.classes.length);
  const hw = S * S;
  const linked = info.classes.map((_, c) => c).filter((c) => indices.filter((k) => k === c).length >= 0.05 * hw && indices.filter((k) => k === c).length <= 0.95 * hw);
  let fromCanvas = 0;
  for (const c of linked) {
    await setSlider(page, info.classes[c].name, -1);
    const low = planar(await canvasPixels(page));
    await setSlider(page, info.classes[c].name, 1);
    const high = planar(await canvasPixels(page));
    await setSlider(page, info.classes[c].name, 0);
    fromCanvas += linkingRatio(low, high, onehot.subarray(c * hw, (c + 1) * hw));
  }
  fromCanvas /= linked.length;
  const spec = specOf(info);
  const runner = await openSampler(bytes, { threads: 1 });
  const measured = await measureGenerator((l, v, n) => runner.generatePacked(l, v, n), [{ layout: onehot, photo: new Float32Array(3 * hw) }], variationScheme(spec), { count: 2, seed: 1 });
  await runner.release();
  t.is(measured.linkedClasses, linked.length);
  t.log(`linking: ${fromCanvas.toFixed(4)} from the canvas, ${measured.linking!.toFixed(4)} from metrics, over ${linked.length} classes`);
  t.true(measured.linking! > 1.2, 'the trained noise is linked to its class');
  t.true(Math.abs(fromCanvas - measured.linking!) <= 0.02 * measured.linking!);
  t.deepEqual(errors, []);
  await page.close();
});

test.serial("the sweep moves its class's knob frame after frame until stopped, and stops when a knob is moved", async (t) => {
  const { page, errors } = await open(await studioUrl);
  await page.locator('#sweep-class').selectOption({ label: 'facade' });
  const before = (await status(page)).frames;
  await page.locator('#sweep').click();
  t.is(await page.locator('#sweep').textContent(), 'Stop');
  const values = new Set<string>();
  await page.waitForFunction((n) => (window as unknown as { studio: StudioStatus }).studio.frames >= n + 4, before);
  for (let i = 0; i < 3; i++) {
    values.add(await slider(page, 'facade').inputValue());
    await page.waitForTimeout(150);
  }
  t.true(values.size >= 2, `the facade knob showed ${[...values].join(', ')} while sweeping`);
  await page.locator('#sweep').click();
  t.is(await page.locator('#sweep').textContent(), 'Sweep');
  await page.waitForFunction(() => (window as unknown as { studio: StudioStatus }).studio.idle);
  const stopped = (await status(page)).frames;
  await page.waitForTimeout(300);
  t.is((await status(page)).frames, stopped, 'no repaint after the sweep stopped');
  await page.locator('#sweep').click();
  await setSlider(page, 'window', 0.5);
  t.is(await page.locator('#sweep').textContent(), 'Sweep', 'moving a knob stops the sweep');
  t.deepEqual(errors, []);
  await page.close();
});

test.serial('the downloaded PNG and noise JSON, passed to divsyn sample --noise, give an image within 1 level of the canvas', async (t) => {
  const { page, errors } = await open(await studioUrl);
  await settled(page, () =>
    page
      .locator('#seed')
      .fill('7')
      // leaving the field fires the browser's own change event (a dispatched one would leave it for
      // the next click, which would then pick sample 0 again)
      .then(() => page.locator('#seed').blur()),
  );
  await settled(page, () => page.getByRole('button', { name: 'sample 2', exact: true }).click());
  await page.locator('#samples button.chosen[aria-label="sample 2"]').waitFor();
  await setSlider(page, 'window', 0.5);
  const canvas = await canvasPixels(page);
  const saved: Record<string, string> = {};
  for (const [button, key] of [
    ['#download-image', 'image'],
    ['#download-noise', 'noise'],
    ['#download-layout', 'layout'],
  ]) {
    const download = page.waitForEvent('download');
    await page.locator(button).click();
    const d = await download;
    saved[key] = path.join(dir, 'downloads', d.suggestedFilename());
    await d.saveAs(saved[key]);
  }
  const { stem } = await firstLayout();
  t.is(path.basename(saved.image), `${stem}_2.png`);
  t.is(path.basename(saved.layout), `${stem}.png`);
  const record = JSON.parse(fs.readFileSync(saved.noise, 'utf8'));
  t.like(record, { file: `${stem}_2.png`, layout: `fixture:${stem}`, seed: 7, k: 2 });
  t.is(record.noise.window, 0.5);
  t.is(Object.keys(record.noise).length, 12);
  // the downloaded image holds the canvas's bytes
  const image = await readRgb(saved.image);
  t.deepEqual(
    Array.from(image.data),
    canvas.filter((_, i) => i % 4 !== 3),
  );
  const noise = Object.entries(record.noise as Record<string, number>)
    .map(([name, v]) => `${name}=${v}`)
    .join(',');
  const out = path.join(dir, 'resampled');
  const r = await divsynAsync(['sample', '--model', model, '--layouts', saved.layout, '--noise', noise, '--seed', '7', '--count', '1', '--threads', '1', '--out', out]);
  t.is(r.status, 0, r.stderr);
  const again = await readRgb(path.join(out, `${stem}_0.png`));
  const worst = largestDifference(again.data, image.data);
  t.log(`largest difference ${worst} levels`);
  t.true(worst <= 1);
  // the command the page shows is that one
  t.regex((await page.locator('#command').textContent()) ?? '', new RegExp(`^divsyn sample --model generator.onnx --layouts ${stem}.png --seed 7 --count 1 --noise background=`));
  t.deepEqual(errors, []);
  await page.close();
});

test.serial('an off-palette upload shows a message and the page goes on; an index PNG upload becomes the layout', async (t) => {
  const { page, errors } = await open(await studioUrl);
  const noisy = path.join(dir, 'photo.png');
  let seed = 1;
  const data = Uint8Array.from({ length: 3 * S * S }, () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
  fs.writeFileSync(noisy, encode({ width: S, height: S, data, channels: 3, depth: 8 }));
  const layoutBefore = await page.locator('#layout-choice').inputValue();
  await page.locator('#upload').setInputFiles(noisy);
  await page.waitForFunction(() => document.querySelector('#message')!.textContent !== '');
  t.regex((await page.locator('#message').textContent()) ?? '', /photo\.png.*only \d+(\.\d)?% of its pixels are on the palette.*The layout is unchanged/);
  t.is(await page.locator('#layout-choice').inputValue(), layoutBefore);
  const before = await canvasPixels(page);
  await setSlider(page, 'facade', -0.6);
  t.true(largestDifference(before, await canvasPixels(page)) > 10, 'the page still follows its sliders');

  const indexFile = path.join(dir, 'drawn.png');
  const info = readGeneratorInfo(fs.readFileSync(model));
  const other = await openDataset({ data: 'fixture', classes: info.classes, split: 'test' }).load(3, { width: S, height: S });
  await writeIndexPng(indexFile, other.layout, S, S, info.classes);
  const shown = await canvasPixels(page);
  await settled(page, () => page.locator('#upload').setInputFiles(indexFile));
  t.is(await page.locator('#message').textContent(), '');
  t.is(await page.locator('#layout-choice').inputValue(), 'upload:drawn.png');
  t.true(largestDifference(shown, await canvasPixels(page)) > 10, 'the uploaded layout is drawn');
  t.deepEqual(errors, []);
  await page.close();
});

test.serial("export-web's folder on a plain static server works the same, on one WASM thread", async (t) => {
  const [served, exported] = await Promise.all([open(await studioUrl), open(await siteUrl)]);
  t.regex((await exported.page.locator('#backend').textContent()) ?? '', /^running on WASM, 1 thread \(the page is not cross-origin isolated\)$/);
  for (const { page } of [served, exported]) {
    await settled(page, () => page.getByRole('button', { name: 'sample 4', exact: true }).click());
    await setSlider(page, 'facade', 0.3);
  }
  const a = await canvasPixels(served.page);
  const b = await canvasPixels(exported.page);
  t.true(largestDifference(a, b) <= 1, `the two pages' images differ by ${largestDifference(a, b)} levels`);
  t.deepEqual([...served.errors, ...exported.errors], []);
  // everything came from the folder: the model, the layouts, onnxruntime-web's glue and .wasm
  const site = await siteUrl;
  t.deepEqual(
    exported.requests.filter((u) => !u.startsWith(site) && !/^(data|blob):/.test(u)),
    [],
  );
  t.true(exported.requests.includes(`${site}ort/ort-wasm-simd-threaded.wasm`));
  await Promise.all([served.page.close(), exported.page.close()]);
});

// Both backends compute in float32, so a pixel may land one level apart only where its value sits on a
// rounding boundary. More means a miscomputed kernel: onnxruntime-web's WebGPU Conv on a 2x2 input with a
// 2x2 kernel, which graph/ops/subpixel.ts avoids (docs/design.md, Numerics).
test.serial('with a WebGPU adapter (SwiftShader, in software) the page runs on WebGPU and paints what WASM paints, within 1 level (float32 rounding)', async (t) => {
  const gpuBrowser = await launchChromium({ webgpu: true });
  try {
    const wasm = await open(await studioUrl);
    const gpu = await open(await studioUrl, gpuBrowser);
    const offered = await gpu.page.evaluate(async () => Boolean(await (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu?.requestAdapter()));
    t.true(offered, "this Chromium offers no WebGPU adapter, not even SwiftShader's: the WebGPU path is untested");
    t.is((await gpu.page.locator('#backend').textContent()) ?? '', 'running on WebGPU');
    for (const { page } of [wasm, gpu]) await setSlider(page, 'facade', 0.3);
    const worst = largestDifference(await canvasPixels(wasm.page), await canvasPixels(gpu.page));
    t.log(`largest difference from WASM: ${worst} levels`);
    t.true(worst <= 1, `${worst} levels apart`);
    t.deepEqual([...wasm.errors, ...gpu.errors], []);
    await Promise.all([wasm.page.close(), gpu.page.close()]);
  } finally {
    await gpuBrowser.close();
  }
});

test.after.always(async () => {
  await (await browser.catch(() => undefined))?.close();
  studio?.kill('SIGTERM');
  staticServer?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});
