// The studio's controller: the page's state (layout, seed and sample index; the noise and code live in
// its VariationControls), the runs that paint it (through one Coalescer, so the image follows the sliders
// without a queue of stale runs), and the handlers of the other controls.
import { GeneratorInfo, UserError, conditionFromFile, conditionPicture, dataError, layoutFromIndices, layoutFromPng, toRgba } from '../index.js';
import { Backend } from './backend.js';
import { attachBrush, paintDisc } from './brush.js';
import { commandLine, layoutToPng, rgbaToPng, sampleRecord, save } from './downloads.js';
import { PageElements, el } from './page.js';
import { Coalescer } from './scheduler.js';
import { VariationControls } from './variation-controls.js';

/** studio.json beside the page (api/studio.ts writes it). */
export interface SiteConfig {
  /** The model file's URL, relative to the page, and the name the page shows. */
  model: string;
  name: string;
  layouts: { stem: string; file: string; source: string }[];
}

/** window.studio: what tests and benchmarks read. */
export interface StudioStatus {
  ready: boolean;
  error?: string;
  backend: string;
  threads: number;
  /** Repaints of the image so far. */
  frames: number;
  /** No run in progress or waiting. */
  readonly idle: boolean;
  /** Per repaint: ms from the oldest input not yet shown to the frame showing it, and of the run alone. */
  timings: { latencyMs: number; runMs: number }[];
}

/** Samples in the row. */
const ROW = 6;

interface Current {
  stem: string;
  /** What the record's `layout` says: fixture:<stem>, the given file, or the file the page saves. */
  source: string;
  indices: Uint8Array;
  onehot: Float32Array;
  /** A model fed a normal map or landmarks: the file's bytes (what "Layout" downloads), and no indices. */
  file?: Uint8Array;
}

const nextFrame = () => new Promise<void>((resolve) => requestAnimationFrame(() => resolve()));
const stemOf = (file: string) => file.replace(/^.*[\\/]/, '').replace(/\.(png|pts|txt)$/i, '');

export class Studio {
  readonly status: StudioStatus;
  private readonly runs: Coalescer<'image' | 'samples'>;
  private readonly info: GeneratorInfo;
  private readonly h: number;
  private readonly w: number;
  private current!: Current;
  private readonly controls: VariationControls;
  private seed = 1;
  private k = 0;
  private pendingSince?: number;
  private shown?: { rgba: Uint8ClampedArray; z: Float32Array };
  private readonly uploads = new Map<string, Current>();

  constructor(
    private readonly page: PageElements,
    private readonly backend: Backend,
    private readonly config: SiteConfig,
    info: GeneratorInfo,
  ) {
    this.info = info;
    [this.h, this.w] = [info.height, info.width];
    const runs = new Coalescer<'image' | 'samples'>(['image', 'samples'], (e) => this.fail(e));
    this.runs = runs;
    this.status = {
      ready: false,
      backend: backend.label,
      threads: backend.threads,
      frames: 0,
      get idle() {
        return runs.idle;
      },
      timings: [],
    };
    // "new code" draws the codes of the sample indices after the row's
    this.controls = new VariationControls(page, info, backend.sampler.scheme, { drawing: () => ({ seed: this.seed, stem: this.current.stem }), changed: (since) => this.requestImage(since) }, ROW);
  }

  async start(): Promise<void> {
    const p = this.page;
    for (const l of this.config.layouts) p.layoutChoice.append(el('option', { value: `site:${l.file}` }, l.stem));
    this.info.classes.forEach((c, i) => p.brushClass.append(el('option', { value: String(i) }, c.name)));
    p.brushClass.value = String(Math.min(2, this.info.classes.length - 1));
    const condition = this.info.architecture.condition;
    // a normal map or landmarks: uploaded as a file, not painted
    if (condition) {
      p.brush.style.display = 'none';
      p.upload.accept = condition.kind === 'landmarks' ? '.pts,.txt,text/plain' : 'image/png';
      p.uploadLabel.textContent = condition.kind === 'landmarks' ? 'upload point file ' : 'upload normal map ';
      p.uploadLabel.append(p.upload);
    }
    this.wire();
    if (this.config.layouts.length) await this.chooseSiteLayout(this.config.layouts[0].file);
    else this.setLayout({ stem: 'blank', source: 'blank.png', indices: new Uint8Array(this.h * this.w), onehot: new Float32Array() });
    this.status.ready = true;
  }

  // ---- state to runs -------------------------------------------------------------------------------

  private requestImage(since = performance.now()): void {
    this.pendingSince = Math.min(this.pendingSince ?? since, since);
    this.runs.request('image', () => this.paintImage());
  }

  private requestSamples(): void {
    this.runs.request('samples', () => this.paintSamples());
  }

  private async paintImage(): Promise<void> {
    const since = this.pendingSince ?? performance.now();
    this.pendingSince = undefined;
    this.controls.advanceSweep();
    const started = performance.now();
    const z = this.controls.variation();
    const images = await this.backend.sampler.generate([this.current.onehot], [z]);
    const rgba = toRgba(images, this.h, this.w, 0);
    const runMs = performance.now() - started;
    this.page.image.getContext('2d')!.putImageData(new ImageData(rgba, this.w, this.h), 0, 0);
    this.shown = { rgba, z };
    this.page.command.textContent = this.command();
    await nextFrame();
    this.status.frames++;
    this.status.timings.push({ latencyMs: performance.now() - since, runMs });
    if (this.status.timings.length > 1000) this.status.timings.shift();
    if (this.controls.sweeping) this.requestImage();
  }

  private async paintSamples(): Promise<void> {
    const { sampler } = this.backend;
    const { images } = await sampler.sample(this.current.onehot, { seed: this.seed, stem: this.current.stem, count: ROW });
    const row = this.page.samples;
    row.replaceChildren();
    for (let k = 0; k < ROW; k++) {
      const c = el('canvas', { width: String(this.w), height: String(this.h) });
      c.getContext('2d')!.putImageData(new ImageData(toRgba(images, this.h, this.w, k), this.w, this.h), 0, 0);
      const b = el('button', { type: 'button', 'aria-label': `sample ${k}`, title: `sample ${k} of seed ${this.seed}` }, c);
      b.classList.toggle('chosen', k === this.k);
      b.addEventListener('click', () => this.pickSample(k));
      row.append(b);
    }
  }

  // ---- controls ------------------------------------------------------------------------------------

  private wire(): void {
    const p = this.page;
    p.layoutChoice.addEventListener('change', () => {
      const v = p.layoutChoice.value;
      if (v.startsWith('site:')) void this.chooseSiteLayout(v.slice(5)).catch((e) => this.fail(e));
      else if (this.uploads.has(v)) this.setLayout(this.uploads.get(v)!);
    });
    p.upload.addEventListener('change', () => void this.upload().catch((e) => this.fail(e)));
    p.seed.addEventListener('change', () => {
      this.seed = Math.max(0, Math.floor(Number(p.seed.value) || 0));
      p.seed.value = String(this.seed);
      this.pickSample(0);
    });
    p.randomise.addEventListener('click', () => {
      this.seed = Math.floor(Math.random() * 1_000_000);
      p.seed.value = String(this.seed);
      this.pickSample(0);
    });
    p.downloadImage.addEventListener('click', () => this.shown && save(`${this.current.stem}_${this.k}.png`, rgbaToPng(this.shown.rgba, this.w, this.h), 'image/png'));
    p.downloadNoise.addEventListener('click', () => this.shown && save(`${this.current.stem}_${this.k}.json`, JSON.stringify(this.record()) + '\n', 'application/json'));
    p.downloadLayout.addEventListener('click', () =>
      this.current.file
        ? save(this.current.source.replace(/^.*[\\/]/, ''), this.current.file, 'application/octet-stream')
        : save(`${this.current.stem}.png`, layoutToPng(this.current.indices, this.info.classes, this.w, this.h), 'image/png'),
    );
    if (!this.info.architecture.condition)
      attachBrush({
        canvas: p.layout,
        width: this.w,
        height: this.h,
        brush: () => ({ cls: Number(p.brushClass.value), radius: Math.max(0.5, Number(p.brushSize.value) || 1) }),
        paint: (x, y, cls, radius) => {
          if (!this.current.stem.endsWith('_painted')) {
            const stem = `${this.current.stem}_painted`;
            this.current = { ...this.current, stem, source: `${stem}.png`, indices: this.current.indices.slice() };
          }
          return paintDisc(this.current.indices, this.w, this.h, x, y, cls, radius);
        },
        changed: () => {
          this.current.onehot = layoutFromIndices(this.info, this.current.indices).onehot;
          this.drawLayout();
          this.requestImage();
        },
        ended: () => {
          this.controls.build(this.current.indices);
          this.requestSamples();
        },
      });
  }

  /** A layout PNG's bytes, or a condition file's (a normal map PNG, a point file) for a model fed one. */
  private read(bytes: Uint8Array, stem: string, source: string): Current & { warning?: string } {
    if (this.info.architecture.condition) return { stem, source, indices: new Uint8Array(0), onehot: conditionFromFile(this.info, bytes, source), file: bytes };
    const layout = layoutFromPng(this.info, bytes, source);
    return { stem, source, indices: layout.indices, onehot: layout.onehot, ...(layout.warning ? { warning: layout.warning } : {}) };
  }

  private async chooseSiteLayout(file: string): Promise<void> {
    const entry = this.config.layouts.find((l) => l.file === file)!;
    const bytes = new Uint8Array(await (await fetch(file)).arrayBuffer());
    // the site's layouts were read by divsyn studio, which printed their warnings
    this.setLayout(this.read(bytes, entry.stem, entry.source));
    this.page.layoutChoice.value = `site:${file}`;
  }

  /** An uploaded PNG: a layout when it reads as one, else a message, and the page goes on with the layout it had. */
  private async upload(): Promise<void> {
    const file = this.page.upload.files?.[0];
    if (!file) return;
    this.page.upload.value = '';
    try {
      const { warning, ...current } = this.read(new Uint8Array(await file.arrayBuffer()), stemOf(file.name), file.name);
      if (warning) throw dataError(`${warning}. The layout is unchanged.`);
      const key = `upload:${file.name}`;
      this.uploads.set(key, current);
      if (![...this.page.layoutChoice.options].some((o) => o.value === key)) this.page.layoutChoice.append(el('option', { value: key }, `uploaded: ${file.name}`));
      this.page.layoutChoice.value = key;
      this.setLayout(current);
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      this.page.message.textContent = e.message;
    }
  }

  private setLayout(c: Current): void {
    this.controls.stopSweep();
    this.current = { ...c, onehot: c.onehot.length ? c.onehot : layoutFromIndices(this.info, c.indices).onehot };
    this.page.message.textContent = '';
    this.drawLayout();
    this.controls.build(this.current.indices);
    this.requestImage();
    this.requestSamples();
  }

  private drawLayout(): void {
    const rgba = new Uint8ClampedArray(4 * this.h * this.w).fill(255);
    const c = this.info.architecture.condition;
    if (c) {
      // a normal map in its colours, heat maps as their maximum
      const rgb = conditionPicture(c.kind, this.current.onehot, c.channels, this.w, this.h);
      for (let p = 0; p < this.h * this.w; p++) rgba.set(rgb.subarray(3 * p, 3 * p + 3), 4 * p);
    } else this.current.indices.forEach((k, p) => rgba.set(this.info.classes[k].color, 4 * p));
    this.page.layout.getContext('2d')!.putImageData(new ImageData(rgba, this.w, this.h), 0, 0);
  }

  /** Sample k of the seed: its noise (and code, as code A) into the knobs. */
  private pickSample(k: number): void {
    this.k = k;
    this.controls.pick(this.backend.sampler.scheme.draw(this.seed, this.current.stem, k), k);
    this.requestImage();
    this.requestSamples();
  }

  // ---- records, errors ----------------------------------------------------------------------------

  /** The shown image's samples.jsonl line. */
  private record() {
    const { scheme } = this.backend.sampler;
    const z = this.shown!.z;
    return sampleRecord({
      file: `${this.current.stem}_${this.k}.png`,
      layout: this.current.source,
      seed: this.seed,
      k: this.k,
      classes: this.info.classes,
      noise: scheme.noise ? z.subarray(scheme.noise.offset, scheme.noise.offset + scheme.noise.classes) : undefined,
      code: this.controls.codeDim ? z.subarray(scheme.dim - this.controls.codeDim) : undefined,
    });
  }

  private command(): string {
    if (this.controls.codeDim) return "this model takes a code, which divsyn sample's options cannot set: feed the noise JSON's code to the ONNX file (examples/)";
    return commandLine(this.config.name, this.current.file ? this.current.source.replace(/^.*[\\/]/, '') : `${this.current.stem}.png`, this.record());
  }

  private fail(e: unknown): void {
    const message = e instanceof UserError ? e.message : `${(e as Error).message ?? e}`;
    this.page.message.textContent = message;
    this.status.error = message;
    if (!(e instanceof UserError)) console.error(e);
  }
}
