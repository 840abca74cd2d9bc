// Driving the knob studio in Debian's Chromium through playwright-core: the launch flags, a browser and a
// server for a script's lifetime, waiting on the page's status (window.studio) and reading its canvas.
// Used by test/studio.test.ts and bench/.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Browser, Page, chromium } from 'playwright-core';
import { serveStudio, studioSite } from '../../api/studio.js';
import type { StudioStatus } from '../../web/studio/studio.js';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
/** Chromium's software WebGPU adapter (SwiftShader's Vulkan), for the WebGPU path without a GPU. */
export const WEBGPU_ARGS = ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader', '--enable-features=Vulkan'];

export function launchChromium(o: { webgpu?: boolean } = {}): Promise<Browser> {
  const args = o.webgpu ? [...CHROMIUM_ARGS.filter((a) => a !== '--disable-gpu'), ...WEBGPU_ARGS] : CHROMIUM_ARGS;
  return chromium.launch({ executablePath: CHROMIUM, args });
}

/** Headless Chromium and a temporary folder while body runs; both closed and removed after, whatever happens. */
export async function inChromium<T>(prefix: string, body: (browser: Browser, dir: string) => Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  try {
    const browser = await launchChromium();
    try {
      return await body(browser, dir);
    } finally {
      await browser.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** `divsyn studio`'s server of model (on a free port) while body runs with its address. */
export async function servingStudio<T>(model: string, body: (url: string) => Promise<T>): Promise<T> {
  const server = await serveStudio(await studioSite({ model, onWarning: () => undefined }), { port: 0 });
  try {
    return await body(server.url);
  } finally {
    await server.close();
  }
}

export interface OpenedPage {
  page: Page;
  /** Console errors and uncaught exceptions so far. */
  errors: string[];
  /** Every URL the page has requested. */
  requests: string[];
}

/** Opens the studio at url and waits until it has painted its first image (or failed). */
export async function openStudio(browser: Browser, url: string, o: { viewport?: { width: number; height: number } } = {}): Promise<OpenedPage> {
  const page = await browser.newPage({ acceptDownloads: true, ...(o.viewport ? { viewport: o.viewport } : {}) });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await page.waitForFunction(
    () => {
      const s = (window as unknown as { studio?: StudioStatus }).studio;
      return s && (s.error || (s.ready && s.idle && s.frames > 0));
    },
    null,
    { timeout: 120_000 },
  );
  return { page, errors, requests };
}

export const studioStatus = (page: Page) => page.evaluate(() => JSON.parse(JSON.stringify((window as unknown as { studio: StudioStatus }).studio)) as StudioStatus & { idle: boolean });

/** Runs `action` and waits until the page has repainted the image and has nothing left to run. */
export async function settled(page: Page, action: () => Promise<unknown>): Promise<void> {
  const before = (await studioStatus(page)).frames;
  await action();
  await page.waitForFunction(
    (n) => {
      const s = (window as unknown as { studio: StudioStatus }).studio;
      return s.frames > n && s.idle;
    },
    before,
    { timeout: 120_000 },
  );
}

/** The image canvas's RGBA bytes. */
export const canvasPixels = (page: Page) =>
  page.evaluate(() => {
    const c = document.querySelector<HTMLCanvasElement>('canvas#image')!;
    return Array.from(c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data);
  });

export const slider = (page: Page, name: string) => page.getByRole('slider', { name, exact: true });
export const setSlider = (page: Page, name: string, v: number) => settled(page, () => slider(page, name).fill(String(v)));
