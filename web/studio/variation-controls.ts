// The studio's variation controls: one noise slider per class present in the layout, "zero" and the sweep
// of one class's noise, and (latent, crn-multi) the code slider between codes A and B with new codes for
// either end. They hold what the next run packs (variation()) and say when a control moved.
import { GeneratorInfo, VariationScheme, interpolateCode } from '../index.js';
import { PageElements, el } from './page.js';

/** One sweep from -1 to 1 and back. */
const SWEEP_SECONDS = 3;

interface CodeState {
  a: Float32Array;
  b: Float32Array;
  t: number;
  names: [string, string];
}

export interface VariationHooks {
  /** What "new code" draws from: the studio's seed and the layout's stem. */
  drawing: () => { seed: number; stem: string };
  /** A control moved: paint the image again (`since`: when the input came). */
  changed: (since?: number) => void;
}

export class VariationControls {
  /** The per-class noise, one value per class of the model. */
  readonly noise: Float32Array;
  /** Length of the code that follows the noise in the packed vector (0: no code). */
  readonly codeDim: number;
  private code?: CodeState;
  private sweep?: { cls: number; start: number };
  private readonly knobs = new Map<number, { input: HTMLInputElement; output: HTMLOutputElement }>();

  /** @param codeDraws sample index of the first "new code" draw (each draw takes the next) */
  constructor(
    private readonly page: PageElements,
    private readonly info: GeneratorInfo,
    private readonly scheme: VariationScheme,
    private readonly hooks: VariationHooks,
    private codeDraws: number,
  ) {
    this.noise = new Float32Array(scheme.noise?.classes ?? 0);
    this.codeDim = scheme.dim - (scheme.noise?.classes ?? 0);
    if (this.codeDim) this.buildCode();
    if (!scheme.noise) page.knobs.hidden = true;
    page.zero.addEventListener('click', () => {
      this.stopSweep();
      this.noise.fill(0);
      this.sync();
      hooks.changed();
    });
    page.sweep.addEventListener('click', () => {
      if (this.sweep) this.stopSweep();
      else if (page.sweepClass.value !== '') {
        this.sweep = { cls: Number(page.sweepClass.value), start: performance.now() };
        page.sweep.textContent = 'Stop';
        hooks.changed();
      }
    });
  }

  /** The packed vector fed with the layout: noise, then the code at t between A and B. */
  variation(): Float32Array {
    const z = new Float32Array(this.scheme.dim);
    if (this.scheme.noise) z.set(this.noise, this.scheme.noise.offset);
    if (this.code) z.set(interpolateCode(this.code.a, this.code.b, this.code.t), this.scheme.dim - this.codeDim);
    return z;
  }

  /** A drawn sample's values into the controls: its noise, and its code as code A at t = 0. */
  pick(z: Float32Array, k: number): void {
    this.stopSweep();
    const { noise, dim } = this.scheme;
    if (noise) this.noise.set(z.subarray(noise.offset, noise.offset + noise.classes));
    if (this.code) {
      this.code.a = z.slice(dim - this.codeDim);
      this.code.t = 0;
      this.code.names[0] = `sample ${k}'s code`;
    }
    this.sync();
  }

  /** One slider per class present in these layout indices, labelled with its name and colour. */
  build(indices: Uint8Array): void {
    if (!this.scheme.noise) return;
    const present = this.info.classes.map((_, c) => indices.includes(c));
    const same = present.every((has, c) => has === this.knobs.has(c));
    if (same) return this.sync();
    const p = this.page;
    p.knobs.replaceChildren(el('legend', {}, 'Noise per class'));
    this.knobs.clear();
    const sweepWas = p.sweepClass.value;
    p.sweepClass.replaceChildren();
    this.info.classes.forEach((cls, c) => {
      if (!present[c]) return;
      const id = `knob-${c}`;
      const input = el('input', { type: 'range', id, min: '-1', max: '1', step: '0.01', value: '0' });
      const output = el('output', { for: id });
      input.style.accentColor = `rgb(${cls.color.join(',')})`;
      input.addEventListener('input', (e) => {
        this.stopSweep();
        this.noise[c] = Number(input.value);
        output.value = Number(input.value).toFixed(2);
        this.hooks.changed(e.timeStamp);
      });
      p.knobs.append(el('div', { class: 'knob' }, el('span', { class: 'swatch', style: `background: rgb(${cls.color.join(',')})` }), el('label', { for: id }, cls.name), input, output));
      this.knobs.set(c, { input, output });
      p.sweepClass.append(el('option', { value: String(c) }, cls.name));
    });
    if ([...p.sweepClass.options].some((o) => o.value === sweepWas)) p.sweepClass.value = sweepWas;
    this.sync();
  }

  private sync(): void {
    for (const [c, { input, output }] of this.knobs) {
      input.value = String(this.noise[c]);
      output.value = this.noise[c].toFixed(2);
    }
    if (this.code) this.syncCode();
  }

  private buildCode(): void {
    const { scheme } = this;
    const codeOf = (k: number) => scheme.zero(k).slice(scheme.dim - this.codeDim);
    const b = Math.min(1, (scheme.codes ?? 1) - 1);
    this.code = { a: codeOf(0), b: codeOf(b), t: 0, names: ['training code 0', `training code ${b}`] };
    if (this.info.kind === 'crn-multi') this.code.names = ['image 0', `image ${b}`];
    const input = el('input', { type: 'range', id: 'code-slider', min: '0', max: '1', step: '0.01', value: '0' });
    const output = el('output', { for: 'code-slider', id: 'code-value' });
    const ends = el('div', { class: 'row muted', id: 'code-ends' });
    const newCode = (end: 0 | 1) => {
      const j = this.codeDraws++;
      const { seed, stem } = this.hooks.drawing();
      this.code![end === 0 ? 'a' : 'b'] = scheme.draw(seed, stem, j).slice(scheme.dim - this.codeDim);
      this.code!.names[end] = `sample ${j}'s code`;
      this.syncCode();
      this.hooks.changed();
    };
    const newA = el('button', { type: 'button', id: 'code-new-a' }, 'new code A');
    const newB = el('button', { type: 'button', id: 'code-new-b' }, 'new code B');
    newA.addEventListener('click', () => newCode(0));
    newB.addEventListener('click', () => newCode(1));
    input.addEventListener('input', (e) => {
      this.code!.t = Number(input.value);
      output.value = this.code!.t.toFixed(2);
      this.hooks.changed(e.timeStamp);
    });
    this.page.code.hidden = false;
    this.page.code.append(
      el('legend', {}, 'Code'),
      el('div', { class: 'knob' }, el('span'), el('label', { for: 'code-slider' }, 'code'), input, output),
      ends,
      el('div', { class: 'row' }, newA, newB),
    );
    this.syncCode();
  }

  private syncCode(): void {
    const c = this.code!;
    const input = this.page.code.querySelector<HTMLInputElement>('#code-slider')!;
    input.value = String(c.t);
    this.page.code.querySelector<HTMLOutputElement>('#code-value')!.value = c.t.toFixed(2);
    this.page.code.querySelector('#code-ends')!.textContent = `A: ${c.names[0]}; B: ${c.names[1]}`;
  }

  get sweeping(): boolean {
    return this.sweep !== undefined;
  }

  /** The swept class's value for this frame: a triangle wave over -1..1. */
  advanceSweep(): void {
    if (!this.sweep) return;
    const { cls, start } = this.sweep;
    const phase = ((performance.now() - start) / 1000 / SWEEP_SECONDS) % 1;
    this.noise[cls] = Math.fround(phase < 0.5 ? -1 + 4 * phase : 3 - 4 * phase);
    const knob = this.knobs.get(cls);
    if (knob) {
      knob.input.value = String(this.noise[cls]);
      knob.output.value = this.noise[cls].toFixed(2);
    }
  }

  stopSweep(): void {
    if (!this.sweep) return;
    this.sweep = undefined;
    this.page.sweep.textContent = 'Sweep';
  }
}
