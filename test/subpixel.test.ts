// The sub-pixel form of the stride-2 4x4 ConvTranspose (graph/ops/subpixel.ts), and convolutions of
// channel concatenations split into one per part (graph/ops/conv-parts.ts), compute what the
// ConvTranspose computes: one layer on odd shapes, and every model kind's inference graph (and the
// segmenter's) against the same graph built with ConvTranspose, within 1e-5, on a batch of three.
import test from 'ava';
import { Graph, Rng, convTranspose2d, emitModel, initParams, subpixelConvTranspose } from '../graph/index.js';
import { emitProgram, inferenceProgram, segmenterInferenceProgram } from '../graph/programs/index.js';
import { TransposedConvChoice, transposedConvForm } from '../graph/ops/subpixel.js';
import { TRAINING_FORM } from '../graph/models/layers.js';
import { variationInputs } from '../graph/families/index.js';
import { generatorValues, readGenerator } from '../runtime/model-file.js';
import { createSession, floatTensor, type Feeds } from '../runtime/session.js';
import { cmpFacades } from '../common/palettes.js';
import { INIT_CASES, initGenerators } from './helpers/generators.js';
import { tempDir } from './helpers/cli.js';

const TOLERANCE = 1e-5;

async function run(bytes: Uint8Array, feeds: Feeds, output: string): Promise<Float32Array> {
  const { session } = await createSession(bytes, { threads: 1 });
  const out = (await session.run(feeds))[output].data as Float32Array;
  await session.release();
  return out;
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`${a.length} values against ${b.length}`);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
}

for (const [name, x, cout, bias] of [
  ['2x5x3x4 to 3 channels, bias', [2, 5, 3, 4], 3, true],
  ['1x4x1x1 to 2 channels, no bias', [1, 4, 1, 1], 2, false],
  ['3x6x5x2 to 7 channels, bias', [3, 6, 5, 2], 7, true],
] as const) {
  test(`one layer, ${name}: the phase convolutions and the merged one equal the ConvTranspose`, async (t) => {
    const g = new Graph();
    const input = g.input('x', x);
    const rng = new Rng(7);
    const w = g.constant(rng.fillUniform(new Float32Array(x[1] * cout * 16), -1, 1), [x[1], cout, 4, 4]);
    const b = bias ? g.constant(rng.fillUniform(new Float32Array(cout), -1, 1), [cout]) : undefined;
    const plain = convTranspose2d(input, w, b, { stride: 2, pad: 1 });
    const phases = subpixelConvTranspose(input, w, b);
    const merged = subpixelConvTranspose(input, w, b, 'merged');
    t.deepEqual(phases.shape, plain.shape);
    t.deepEqual(merged.shape, plain.shape);
    const bytes = emitModel(g, {
      outputs: [
        ['plain', plain],
        ['phases', phases],
        ['merged', merged],
      ],
      params: 'initializers',
    });
    const feeds = { x: floatTensor(rng.fillUniform(new Float32Array(x.reduce<number>((p, d) => p * d, 1)), -1, 1), x) };
    const { session } = await createSession(bytes, { threads: 1 });
    const out = await session.run(feeds);
    await session.release();
    const [p, q, m] = [out.plain.data as Float32Array, out.phases.data as Float32Array, out.merged.data as Float32Array];
    t.true(
      p.some((v) => Math.abs(v) > 0.5),
      'values of the size of the weights',
    );
    t.true(maxDiff(p, q) < TOLERANCE, `phases: max |difference| ${maxDiff(p, q)}`);
    t.true(maxDiff(p, m) < TOLERANCE, `merged: max |difference| ${maxDiff(p, m)}`);
  });
}

test("'fastest' merges a 2x2 input's transposed convolution (onnxruntime-web's WebGPU Conv miscomputes its phase (1, 1)); 'subpixel' rewrites it in phases", (t) => {
  const g = new Graph();
  const w = g.input('w', [128, 64, 4, 4]);
  const [x1, x2, x4] = [1, 2, 4].map((s) => g.input(`x${s}`, [1, 128, s, s]));
  t.is(transposedConvForm('fastest', x2, w, 2, 1), 'merged');
  t.is(transposedConvForm('fastest', [x2, x2], w, 2, 1), 'merged', 'in parts');
  t.is(transposedConvForm('fastest', x1, w, 2, 1), 'phases');
  t.is(transposedConvForm('fastest', x4, w, 2, 1), 'phases');
  t.is(transposedConvForm('subpixel', x2, w, 2, 1), 'phases');
});

const CHOICES: { transposedConv: TransposedConvChoice; splitConcats?: boolean }[] = [
  { transposedConv: 'subpixel', splitConcats: false },
  { transposedConv: 'merged', splitConcats: false },
  { transposedConv: 'fastest', splitConcats: false },
  { transposedConv: 'subpixel' },
  { transposedConv: 'merged' },
  { transposedConv: 'fastest' },
];
const choiceName = (c: (typeof CHOICES)[number]) => `${c.transposedConv}${c.splitConcats === false ? ', joined' : ', split'}`;

test('every model kind: the inference graph with phase convolutions gives the ConvTranspose graph’s images', async (t) => {
  const files = initGenerators(tempDir('divsyn-subpixel-'));
  t.deepEqual(Object.keys(files), Object.keys(INIT_CASES));
  for (const [kind, file] of Object.entries(files)) {
    const f = readGenerator(file, { weights: true });
    const values = generatorValues(f.initializers);
    const { spec } = f;
    const rng = new Rng(11);
    const n = 3;
    const layout = new Float32Array(n * spec.classes.length * spec.height * spec.width);
    for (let i = 0; i < n * spec.height * spec.width; i++) {
      const [b, p] = [Math.floor(i / (spec.height * spec.width)), i % (spec.height * spec.width)];
      layout[(b * spec.classes.length + rng.int(spec.classes.length)) * spec.height * spec.width + p] = 1;
    }
    const feeds: Feeds = { layout: floatTensor(layout, [n, spec.classes.length, spec.height, spec.width]) };
    for (const v of variationInputs(spec)) feeds[v.name] = floatTensor(rng.fillUniform(new Float32Array(n * v.dim), -1, 1), [n, v.dim]);
    const plainBytes = emitProgram(inferenceProgram(spec, TRAINING_FORM), { paramValues: values });
    const plain = await run(plainBytes, feeds, 'image');
    for (const choice of CHOICES) {
      const bytes = emitProgram(inferenceProgram(spec, choice), { paramValues: values });
      const hasConvTranspose = Buffer.from(plainBytes).includes('ConvTranspose');
      // pix2pix alone has transposed convolutions; the other kinds' graphs must not change at all
      if (!hasConvTranspose) t.deepEqual(bytes, plainBytes, `${kind}: no ConvTranspose, the same bytes`);
      else {
        t.notDeepEqual(bytes, plainBytes, `${kind} ${choiceName(choice)}: rewritten`);
        const d = maxDiff(plain, await run(bytes, feeds, 'image'));
        t.true(d < TOLERANCE, `${kind} ${choiceName(choice)}: max |difference| ${d}`);
      }
    }
    if (kind === 'pix2pix') t.true(Buffer.from(plainBytes).includes('ConvTranspose'), 'pix2pix has transposed convolutions');
  }
});

test('the segmenter: phase convolutions give the ConvTranspose graph’s class scores', async (t) => {
  const spec = { classes: cmpFacades(), size: 32, width: 8 };
  const plainProgram = segmenterInferenceProgram(spec, TRAINING_FORM);
  const values = initParams(plainProgram.graph.params, 5);
  const rng = new Rng(2);
  const feeds = { image: floatTensor(rng.fillUniform(new Float32Array(2 * 3 * 32 * 32)), [2, 3, 32, 32]) };
  const plain = await run(emitProgram(plainProgram, { paramValues: values }), feeds, 'scores');
  for (const choice of CHOICES) {
    const d = maxDiff(plain, await run(emitProgram(segmenterInferenceProgram(spec, choice), { paramValues: values }), feeds, 'scores'));
    t.true(d < TOLERANCE, `${choiceName(choice)}: max |difference| ${d}`);
  }
});
