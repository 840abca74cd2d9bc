// The per-sample noise and code vector (common/variation.ts): seeded draws pinned to their values, packing
// and unpacking into a generator file's inputs, sweep steps.
import test from 'ava';
import { newCodes, noiseAt, noiseScheme, packVariations, sampleNoise, trainingNoise, unpackVariations } from '../common/variation.js';

const first3 = (v: Float32Array) => [...v.subarray(0, 3)];

test('the seeded draws keep their values (samples.jsonl and resumed runs depend on them)', (t) => {
  t.deepEqual(first3(sampleNoise(7, 'stem', 3, 12)), [-0.219148934, -0.562037945, -0.893136263].map(Math.fround));
  t.deepEqual(first3(trainingNoise(7, 11, 4, 12)), [0.3554883, -0.00286399713, -0.899277627].map(Math.fround));
  t.deepEqual(first3(newCodes(7, 'stem', 3, 16)), [0.537647486, 0.199729949, 0.954331338].map(Math.fround));
  t.is(trainingNoise(7, 11, 4, 12).length, 48);
});

test('a noise scheme draws sampleNoise and its zero is G(l, 0)', (t) => {
  const s = noiseScheme(5);
  t.is(s.dim, 5);
  t.deepEqual(s.noise, { offset: 0, classes: 5 });
  t.is(s.codes, undefined);
  t.deepEqual(s.draw(1, 'a', 2), sampleNoise(1, 'a', 2, 5));
  t.deepEqual([...s.zero()], [0, 0, 0, 0, 0]);
});

test('packed vectors unpack into each input, sample by sample', (t) => {
  const inputs = [
    { name: 'noise', dim: 3 },
    { name: 'code', dim: 2 },
  ];
  const packed = packVariations([Float32Array.of(1, 2, 3, 4, 5), Float32Array.of(6, 7, 8, 9, 10)]);
  t.deepEqual([...packed], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  const parts = unpackVariations(packed, 2, inputs);
  t.deepEqual(
    parts.map((p) => ({ name: p.name, dim: p.dim, data: [...p.data] })),
    [
      { name: 'noise', dim: 3, data: [1, 2, 3, 6, 7, 8] },
      { name: 'code', dim: 2, data: [4, 5, 9, 10] },
    ],
  );
});

test("a sweep step is the zero sample with one class's noise set", (t) => {
  t.deepEqual([...noiseAt(noiseScheme(4), 2, -0.5)], [0, 0, -0.5, 0]);
  const codeOnly = { dim: 2, codes: 2, draw: () => new Float32Array(2), zero: () => new Float32Array(2) };
  t.throws(() => noiseAt(codeOnly, 0, 1), { message: /no per-class noise/ });
});
