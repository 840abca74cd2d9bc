// Image similarity (metrics/similarity.ts): SSIM against scikit-image live, FSIM/FSIMc against an
// independent numpy implementation (test/python/fsim_reference.py), RMSE by hand, and `divsyn compare`.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { Rng } from '../graph/index.js';
import { Fft } from '../metrics/fft.js';
import { bestAndMean, fsimBoth, luma, planesFromInterleaved, planesFromPlanar, rmse, rmseRgb, similarity, similarityOfSamples, ssim } from '../metrics/similarity.js';
import { readRgb, writePng } from '../common/image.js';
import { divsyn, repoRoot, tempDir } from './helpers/cli.js';

/** A test photo: smooth colour gradients, a few flat shapes with hard edges, mild noise. */
function scene(width: number, height: number, seed: number): Uint8Array {
  const rng = new Rng(seed, 'scene');
  const out = new Uint8Array(width * height * 3);
  const shapes = Array.from({ length: 6 }, () => ({
    cx: rng.range(0, width),
    cy: rng.range(0, height),
    r: rng.range(6, Math.min(width, height) / 3),
    round: rng.uniform() < 0.5,
    color: [rng.int(256), rng.int(256), rng.int(256)],
  }));
  const phase = [rng.range(0, 6), rng.range(0, 6), rng.range(0, 6)];
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const o = 3 * (y * width + x);
      for (let c = 0; c < 3; c++) out[o + c] = 128 + 90 * Math.sin(phase[c] + (x * (c + 1)) / 37 + (y * (3 - c)) / 53);
      for (const s of shapes) {
        const dx = x - s.cx,
          dy = y - s.cy;
        if (s.round ? dx * dx + dy * dy < s.r * s.r : Math.abs(dx) < s.r && Math.abs(dy) < s.r / 2) for (let c = 0; c < 3; c++) out[o + c] = s.color[c];
      }
      for (let c = 0; c < 3; c++) out[o + c] = Math.max(0, Math.min(255, Math.round(out[o + c] + 4 * rng.normal())));
    }
  return out;
}

type Distortion = (rgb: Uint8Array, width: number, height: number) => Promise<Uint8Array>;

const raw = (rgb: Uint8Array, width: number, height: number) => sharp(Buffer.from(rgb), { raw: { width, height, channels: 3 } });
const blur: Distortion = async (rgb, w, h) => new Uint8Array(await raw(rgb, w, h).blur(1.2).raw().toBuffer());
const jpeg: Distortion = async (rgb, w, h) => (await readRgb(await raw(rgb, w, h).jpeg({ quality: 20 }).toBuffer())).data;
const noise: Distortion = async (rgb) => {
  const rng = new Rng(9, 'noise');
  return rgb.map((v) => Math.max(0, Math.min(255, Math.round(v + 14 * rng.normal()))));
};
// R and B swapped: luma changes little, chroma a lot (and I·Q similarities turn negative: FSIMc's real part)
const swapRB: Distortion = async (rgb) => rgb.map((_, i) => rgb[i - (i % 3) + 2 - (i % 3)]);

interface Case {
  name: string;
  width: number;
  height: number;
  a: Uint8Array;
  b: Uint8Array;
}

async function cases(): Promise<Case[]> {
  const spec: [string, number, number, Distortion][] = [
    ['128x128 blur', 128, 128, blur],
    ['128x128 noise', 128, 128, noise],
    ['97x131 jpeg (odd sizes)', 131, 97, jpeg],
    ['96x128 R/B swap', 128, 96, swapRB],
    ['400x420 jpeg (FSIM downsamples by 2)', 420, 400, jpeg],
  ];
  return Promise.all(
    spec.map(async ([name, width, height, d], i) => {
      const a = scene(width, height, i + 1);
      return { name, width, height, a, b: await d(a, width, height) };
    }),
  );
}

function python(script: string, input: unknown): unknown {
  const r = spawnSync('/usr/bin/python3', [path.join(repoRoot, 'test', 'python', script)], { input: JSON.stringify(input), encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`${script} failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const planes = (c: Case, which: 'a' | 'b') => planesFromInterleaved(c[which], c.width, c.height);

test('FFT of any length (radix 2, mixed radix, Bluestein) equals the direct DFT', (t) => {
  for (const n of [1, 2, 3, 5, 8, 12, 97, 128, 210, 300, 523, 1001]) {
    const rng = new Rng(n, 'fft');
    const re = Float64Array.from({ length: n }, () => rng.normal()),
      im = Float64Array.from({ length: n }, () => rng.normal());
    const fr = re.slice(),
      fi = im.slice();
    new Fft(n).transform(fr, fi);
    let worst = 0;
    for (let k = 0; k < n; k++) {
      let sr = 0,
        si = 0;
      for (let j = 0; j < n; j++) {
        const a = (-2 * Math.PI * ((j * k) % n)) / n;
        sr += re[j] * Math.cos(a) - im[j] * Math.sin(a);
        si += re[j] * Math.sin(a) + im[j] * Math.cos(a);
      }
      worst = Math.max(worst, Math.abs(sr - fr[k]), Math.abs(si - fi[k]));
    }
    new Fft(n).transform(fr, fi, true);
    for (let k = 0; k < n; k++) worst = Math.max(worst, Math.abs(fr[k] / n - re[k]), Math.abs(fi[k] / n - im[k]));
    t.true(worst < 1e-10, `n=${n}: ${worst}`);
  }
});

test('RMSE by hand', (t) => {
  // two pixels: the first differs by (3, 4, 0), the second not at all: sqrt((9 + 16) / 6)
  const a = Uint8Array.of(0, 0, 0, 10, 20, 30),
    b = Uint8Array.of(3, 4, 0, 10, 20, 30);
  t.is(rmse(a, b), Math.sqrt(25 / 6));
  t.is(rmseRgb(planesFromInterleaved(a, 2, 1), planesFromInterleaved(b, 2, 1)), Math.sqrt(25 / 6));
  // planar [0, 1] input is put on the 0..255 scale
  const chw = Float32Array.of(0, 10 / 255, 0, 20 / 255, 0, 30 / 255),
    chw2 = Float32Array.of(3 / 255, 10 / 255, 4 / 255, 20 / 255, 0, 30 / 255);
  t.true(Math.abs(rmseRgb(planesFromPlanar(chw, 2, 1), planesFromPlanar(chw2, 2, 1)) - Math.sqrt(25 / 6)) < 1e-5);
  t.throws(() => rmse([1], [1, 2]));
});

test("SSIM equals scikit-image's structural_similarity (Wang et al. settings) to 1e-4", async (t) => {
  const all = await cases();
  const dir = tempDir();
  const input = all.map((c, i) => {
    const files = (['a', 'b'] as const).map((k) => {
      const f = path.join(dir, `${i}${k}.f64`);
      fs.writeFileSync(f, Buffer.from(luma(planes(c, k)).buffer)); // the very luma floats SSIM sees
      return f;
    });
    return { a: files[0], b: files[1], width: c.width, height: c.height };
  });
  const expected = python('ssim_reference.py', input) as number[];
  for (const [i, c] of all.entries()) {
    const ours = ssim(luma(planes(c, 'a')), luma(planes(c, 'b')), c.width, c.height);
    const d = Math.abs(ours - expected[i]);
    t.log(`${c.name}: ssim ${ours.toFixed(6)}, skimage ${expected[i].toFixed(6)}, |diff| ${d.toExponential(2)}`);
    t.true(d < 1e-4, c.name);
  }
  t.true(
    expected.every((v) => v < 0.99),
    'the distortions are visible to SSIM',
  );
  const c = all[0];
  t.is(ssim(luma(planes(c, 'a')), luma(planes(c, 'a')), c.width, c.height), 1);
});

test('FSIM and FSIMc match an independent numpy implementation to 1e-3; identical images give 1', async (t) => {
  const all = await cases();
  const dir = tempDir();
  const input = all.map((c, i) => {
    const [a, b] = (['a', 'b'] as const).map((k) => path.join(dir, `${i}${k}.rgb`));
    fs.writeFileSync(a, c.a);
    fs.writeFileSync(b, c.b);
    return { a, b, width: c.width, height: c.height };
  });
  const expected = python('fsim_reference.py', input) as { fsim: number; fsimc: number }[];
  for (const [i, c] of all.entries()) {
    const ours = fsimBoth(planes(c, 'a'), planes(c, 'b'));
    const d = Math.max(Math.abs(ours.fsim - expected[i].fsim), Math.abs(ours.fsimc - expected[i].fsimc));
    t.log(`${c.name}: fsim ${ours.fsim.toFixed(6)} / ${expected[i].fsim.toFixed(6)}, fsimc ${ours.fsimc.toFixed(6)} / ${expected[i].fsimc.toFixed(6)}, max |diff| ${d.toExponential(2)}`);
    t.true(d < 1e-3, c.name);
    t.true(ours.fsim < 1 && ours.fsimc <= ours.fsim + 1e-12, `${c.name}: a distortion lowers FSIM, FSIMc no higher`);
    const same = fsimBoth(planes(c, 'a'), planes(c, 'a'));
    t.deepEqual(same, { fsim: 1, fsimc: 1 }, `${c.name}: identical images`);
  }
  const swap = all.findIndex((c) => c.name.includes('swap'));
  t.true(expected[swap].fsim - expected[swap].fsimc > 0.01, 'a chroma change shows in FSIMc, not FSIM');
});

test('FSIM of a 256x256 image pair takes well under a second', async (t) => {
  const a = planesFromInterleaved(scene(256, 256, 7), 256, 256);
  const b = planesFromInterleaved(await noise(scene(256, 256, 7), 256, 256), 256, 256);
  fsimBoth(a, b); // first call builds the filters for this size
  const t0 = performance.now();
  fsimBoth(a, b);
  const ms = performance.now() - t0;
  t.log(`fsim 256x256: ${ms.toFixed(0)} ms`);
  t.true(ms < 1000, `${ms} ms`);
});

test('best-of-n and mean-of-n over samples of one reference', (t) => {
  t.deepEqual(bestAndMean([0.5, 1, 0.75], true), { best: 1, mean: 0.75 });
  t.deepEqual(bestAndMean([3, 1, 2], false), { best: 1, mean: 2 });
  const ref = planesFromInterleaved(scene(48, 40, 3), 48, 40);
  const samples = [ref, planesFromInterleaved(scene(48, 40, 4), 48, 40)];
  const r = similarityOfSamples(ref, samples);
  const second = similarity(ref, samples[1]);
  t.is(r.rmse.best, 0);
  t.is(r.ssim.best, 1);
  t.is(r.fsim.best, 1);
  t.true(Math.abs(r.fsimc.mean - (1 + second.fsimc) / 2) < 1e-15);
  t.true(Math.abs(r.rmse.mean - second.rmse / 2) < 1e-12);
});

test('divsyn compare: one JSON object, exit 1 for different sizes or a missing file', async (t) => {
  const dir = tempDir();
  const c = (await cases())[2];
  const [a, b] = [path.join(dir, 'a.png'), path.join(dir, 'b.png')];
  await writePng(a, { data: c.a, width: c.width, height: c.height, channels: 3 });
  await writePng(b, { data: c.b, width: c.width, height: c.height, channels: 3 });
  const r = divsyn('compare', a, b);
  t.is(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  t.deepEqual(Object.keys(out), ['rmse', 'ssim', 'fsim', 'fsimc']);
  const expected = similarity(planes(c, 'a'), planes(c, 'b')); // PNG is lossless: the same pixels
  for (const k of ['rmse', 'ssim', 'fsim', 'fsimc'] as const) t.true(Math.abs(out[k] - expected[k]) < 1e-12, `${k}: ${out[k]} vs ${expected[k]}`);
  t.true(out.rmse > 0 && out.ssim < 1 && out.fsim < 1);

  t.deepEqual(JSON.parse(divsyn('compare', a, a).stdout), { rmse: 0, ssim: 1, fsim: 1, fsimc: 1 });

  const small = path.join(dir, 'small.png');
  await writePng(small, { data: scene(40, 30, 1), width: 40, height: 30, channels: 3 });
  const sized = divsyn('compare', a, small);
  t.is(sized.status, 1);
  t.regex(sized.stderr, /97x131/);
  t.regex(sized.stderr, /30x40/);
  t.false(sized.stderr.includes('    at '), 'no stack trace');

  const missing = path.join(dir, 'nope.png');
  const m = divsyn('compare', a, missing);
  t.is(m.status, 1);
  t.true(m.stderr.includes(missing), m.stderr);

  t.is(divsyn('compare', a).status, 2);
});
