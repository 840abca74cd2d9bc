// Latent drop-out codes on the host: the dropout mask, training and new codes, interpolation.
import test from 'ava';
import { channelMask, trainingCodes } from '../train/codes.js';
import { interpolateCodes, newCodes } from '../common/variation.js';

const rows = (codes: Float32Array, dim: number) => Array.from({ length: codes.length / dim }, (_, i) => [...codes.subarray(i * dim, (i + 1) * dim)]);

test('channel mask: kept iff z > r, scaled by 1/(1-r)', (t) => {
  t.deepEqual([...channelMask(Float32Array.of(0.2, 0.7, 0.5, 0.51))], [0, 2, 0, 2], 'z = r is dropped');
  const m = channelMask(Float32Array.of(0.2, 0.3, 0.25, 1), 0.25);
  t.is(m[0], 0);
  t.true(Math.abs(m[1] - 4 / 3) < 1e-6);
  t.is(m[2], 0);
  t.true(Math.abs(m[3] - 4 / 3) < 1e-6);
  t.deepEqual([...channelMask(Float32Array.of(0, 1))], [0, 2], 'binary codes: 0 drops, 1 keeps');
});

test('training codes: a function of the seed', (t) => {
  for (const kind of ['binary', 'uniform'] as const) {
    const a = trainingCodes(7, 8, 16, kind);
    t.is(a.length, 8 * 16);
    t.deepEqual(trainingCodes(7, 8, 16, kind), a, `${kind}: same seed, same codes`);
    t.notDeepEqual(trainingCodes(8, 8, 16, kind), a, `${kind}: another seed, other codes`);
  }
});

test('binary codes: 0/1, distinct, never all dropped', (t) => {
  // 4 channels: exactly 15 codes keep a channel, so 15 distinct ones must be all of them
  const all = rows(trainingCodes(3, 15, 4, 'binary'), 4);
  t.true(all.every((c) => c.every((v) => v === 0 || v === 1)));
  t.true(
    all.every((c) => c.some((v) => v === 1)),
    'no all-zero code',
  );
  const keys = new Set(all.map((c) => c.join('')));
  t.is(keys.size, 15);
  // more codes than exist: duplicates allowed, still none all-zero (and no endless redraw)
  const crowded = rows(trainingCodes(3, 10, 2, 'binary'), 2);
  t.is(crowded.length, 10);
  t.true(crowded.every((c) => c.some((v) => v === 1)));
  // a longer code: distinct as well
  t.is(new Set(rows(trainingCodes(5, 64, 8, 'binary'), 8).map((c) => c.join(''))).size, 64);
});

test('uniform codes: in [0, 1), some entry above r', (t) => {
  const codes = trainingCodes(2, 50, 3, 'uniform');
  t.true(codes.every((v) => v >= 0 && v < 1));
  t.true(rows(codes, 3).every((c) => c.some((v) => v > 0.5)));
  // one channel: every code must keep it, so every entry is above r
  t.true(trainingCodes(2, 50, 1, 'uniform').every((v) => v > 0.5));
  t.true(
    trainingCodes(2, 50, 1, 'uniform', 0.9).every((v) => v > 0.9),
    'r is honoured',
  );
});

test('new codes: depend on (seed, stem, k) only', (t) => {
  const a = newCodes(1, 'x', 3, 32);
  t.is(a.length, 32);
  t.true(a.every((v) => v >= 0 && v < 1));
  t.deepEqual(newCodes(1, 'x', 3, 32), a);
  t.notDeepEqual(newCodes(1, 'x', 4, 32), a);
  t.notDeepEqual(newCodes(1, 'y', 3, 32), a);
  t.notDeepEqual(newCodes(2, 'x', 3, 32), a);
});

test('interpolation: endpoints are the codes, eq. 3 in between', (t) => {
  const a = Float32Array.of(0.1, 0.9, 0.3333);
  const b = Float32Array.of(0.7, 0.2, 0.77);
  const strip = interpolateCodes(a, b, 5);
  t.is(strip.length, 5);
  t.deepEqual(strip[0], a);
  t.deepEqual(strip[4], b);
  // alpha = 1/4: 3/4 a + 1/4 b
  strip[1].forEach((v, c) => t.true(Math.abs(v - (0.75 * a[c] + 0.25 * b[c])) < 1e-6));
  strip[2].forEach((v, c) => t.true(Math.abs(v - (a[c] + b[c]) / 2) < 1e-6));
  t.deepEqual(interpolateCodes(a, b, 2), [a, b]);
  t.throws(() => interpolateCodes(a, b, 1));
  t.throws(() => interpolateCodes(a, Float32Array.of(1), 3));
});
