// The measures (docs/formats.md#measures) on hand-computed cases and on generators built to pass or
// fail them.
import test from 'ava';
import { Generate, linkingRatio, meanPairwiseL1, measureGenerator } from '../metrics/measures.js';
import { noiseScheme } from '../common/variation.js';

test('mean pairwise L1 of three constant images', (t) => {
  const imgs = Float32Array.from([0, 0, 0.5, 0.5, 1, 1]); // three 2-value images: 0, 0.5, 1
  // pairs: 0.5, 1, 0.5 -> mean 2/3
  t.true(Math.abs(meanPairwiseL1(imgs, 3) - 2 / 3) < 1e-7);
});

test('linking ratio: change inside over change outside, capped', (t) => {
  // 4 pixels, class mask on the first two; RGB planes
  const mask = Float32Array.from([1, 1, 0, 0]);
  const a = new Float32Array(12);
  const b = new Float32Array(12);
  // inside pixels change by 0.3 in every channel, outside by 0.1 in one channel (mean over RGB 0.1/3)
  for (const c of [0, 1, 2]) for (const p of [0, 1]) b[c * 4 + p] = 0.3;
  b[2] = 0.1;
  t.true(Math.abs(linkingRatio(a, b, mask) - 0.3 / (0.1 / 3 / 2)) < 1e-4);
  b[2] = 0;
  t.is(linkingRatio(a, b, mask), 100, 'nothing changes outside: capped at 100');
});

const C = 3;
const H = 4;
const W = 5;
const HW = H * W;
// class 0 on the top row, class 1 on the next two rows, class 2 on the last: all within 5-95 %
const layout = new Float32Array(C * HW);
for (let p = 0; p < HW; p++) layout[(p < W ? 0 : p < 3 * W ? 1 : 2) * HW + p] = 1;
const photo = new Float32Array(3 * HW).fill(0.5);

const classOf = (l: Float32Array, base: number, p: number) => [0, 1, 2].find((c) => l[base + c * HW + p] > 0.5)!;

/** Paints each pixel with 0.5 + 0.4 · n^class: each class's knob moves only its own segment. */
const linked: Generate = async (l, noise, n) => {
  const out = new Float32Array(n * 3 * HW);
  for (let i = 0; i < n; i++) for (let p = 0; p < HW; p++) for (let ch = 0; ch < 3; ch++) out[i * 3 * HW + ch * HW + p] = 0.5 + 0.4 * noise[i * C + classOf(l, i * C * HW, p)];
  return out;
};
/** Ignores its noise: a constant 0.25 image. */
const deaf: Generate = async (_l, _noise, n) => new Float32Array(n * 3 * HW).fill(0.25);

test('a generator that ignores its noise has zero diversity and linking 1; a linked one scores high', async (t) => {
  const items = [{ layout, photo }];
  const d = await measureGenerator(deaf, items, noiseScheme(C), { count: 4, seed: 1 });
  t.is(d.diversity, 0);
  t.is(d.linking, 1);
  t.true(Math.abs(d.l1_truth - 0.25) < 1e-7);
  const g = await measureGenerator(linked, items, noiseScheme(C), { count: 4, seed: 1 });
  t.true(g.diversity > 0.1, `diversity ${g.diversity}`);
  t.is(g.linking, 100);
  t.true(Math.abs(g.l1_truth - 0) < 1e-7, 'zero noise gives 0.5 everywhere, the photo');
  t.is(g.linkedClasses, 3);
});
