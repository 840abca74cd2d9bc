// The ONNX importer: PyTorch-exported networks imported as frozen subgraphs compute what onnxruntime
// computes on the original file, differentiate correctly to their input, can swap MaxPool for
// AveragePool, and reject unknown ops by name. test/python/export_feature_net.py writes the networks.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import { Graph, Rng, Tensor, averagePool, conv2d, emitModel, importOnnx, relu } from '../graph/index.js';
import { createSession, floatTensor } from '../runtime/session.js';
import { gradCheck, randomInput } from './helpers/gradcheck.js';
import { repoRoot, tempDir } from './helpers/cli.js';

const { onnx } = onnxProto;

/** Runs the export once; throws (the tests fail) if python or torch is missing. */
function exportNets(): { features: Uint8Array; classifier: Uint8Array } {
  const out = tempDir('divsyn-import-');
  const script = path.join(repoRoot, 'test', 'python', 'export_feature_net.py');
  const r = spawnSync('/usr/bin/python3', [script, out], { encoding: 'utf8', timeout: 240_000 });
  if (r.error) throw new Error(`could not run /usr/bin/python3 ${script}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${script} exited with ${r.status ?? r.signal}:\n${r.stderr}`);
  const read = (f: string) => new Uint8Array(fs.readFileSync(path.join(out, f)));
  const nets = { features: read('features.onnx'), classifier: read('classifier.onnx') };
  fs.rmSync(out, { recursive: true, force: true });
  return nets;
}
let nets: ReturnType<typeof exportNets> | undefined;
const torchNets = () => (nets ??= exportNets());

async function run(bytes: Uint8Array, feeds: Record<string, [Float32Array, number[]]>): Promise<Record<string, Float32Array>> {
  const { session } = await createSession(bytes, { threads: 1 });
  const out = await session.run(Object.fromEntries(Object.entries(feeds).map(([k, [v, d]]) => [k, floatTensor(v, d)])));
  await session.release();
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
}

/** Runs the tensors of g (fed by its input 'x') in onnxruntime. */
function runGraph(g: Graph, outputs: [string, Tensor][], x: Float32Array, shape: number[]) {
  return run(emitModel(g, { outputs, params: 'initializers' }), { x: [x, shape] });
}

function maxRelErr(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return worst;
}

const randomImage = (shape: number[], seed: number) => new Rng(seed, 'image').fillUniform(new Float32Array(shape.reduce((p, d) => p * d, 1)));

test('imported torchvision-style features equal onnxruntime on the file, at a size other than the export', async (t) => {
  const { features } = torchNets();
  const shape = [2, 3, 20, 24]; // exported at 16x16 with dynamic N, H, W
  const image = randomImage(shape, 1);
  const g = new Graph();
  const { outputs, tensors } = importOnnx(g, features, g.input('x', shape));
  t.deepEqual([...outputs.keys()], ['relu1_2', 'pool1', 'feat']);
  t.deepEqual(outputs.get('feat')!.shape, [2, 16, 5, 6]);
  t.is(tensors.get('relu1_2'), outputs.get('relu1_2'));
  t.true(tensors.has('/features.1/Relu_output_0'), 'inner taps are named by node output names');
  const ours = await runGraph(g, [...outputs], image, shape);
  const ref = await run(features, { image: [image, shape] });
  for (const name of outputs.keys()) t.true(maxRelErr(ours[name], ref[name]) <= 1e-5, `${name}: ${maxRelErr(ours[name], ref[name])}`);
});

test('imported classifier (strided, dilated, grouped conv, BatchNorm, Concat, Gemm head) equals onnxruntime', async (t) => {
  const { classifier } = torchNets();
  const shape = [2, 3, 8, 8];
  const image = randomImage(shape, 2);
  const g = new Graph();
  const { outputs } = importOnnx(g, classifier, g.input('x', shape));
  const ours = await runGraph(g, [...outputs], image, shape);
  const ref = await run(classifier, { image: [image, shape] });
  t.true(maxRelErr(ours.logits, ref.logits) <= 1e-5, `logits: ${maxRelErr(ours.logits, ref.logits)}`);
});

test('import stops at the requested tap and checks the fed shape', (t) => {
  const { features, classifier } = torchNets();
  const g = new Graph();
  const { outputs, tensors } = importOnnx(g, features, g.input('x', [1, 3, 8, 8]), { outputs: ['pool1'] });
  t.deepEqual([...outputs.keys()], ['pool1']);
  t.false(tensors.has('feat'));
  t.false(
    g.nodes.some((n) => n.op.name === 'AveragePool'),
    'nodes past pool1 are not mapped',
  );
  const h = new Graph();
  t.throws(() => importOnnx(h, classifier, h.input('x', [2, 3, 9, 9])), { message: /input 'image' has shape \[2,3,8,8\], fed \[2,3,9,9\]/ });
  t.throws(() => importOnnx(h, features, h.input('y', [1, 3, 8, 8]), { outputs: ['nope'] }), { message: /no value named 'nope'/ });
});

test('gradients to the input through imported taps match finite differences', async (t) => {
  const { features, classifier } = torchNets();
  // A small step: with larger ones, perturbations cross ReLU/LeakyReLU kinks. The logits (a global
  // output) have small gradients next to their sum, so their check catches a lost or misrouted
  // gradient but not a few percent off; the spatial taps before them check tightly.
  for (const [bytes, tap, shape] of [
    [features, 'feat', [1, 3, 8, 8]],
    [classifier, '/Concat_output_0', [2, 3, 8, 8]],
    [classifier, 'logits', [2, 3, 8, 8]],
  ] as const) {
    const g = new Graph();
    const x = randomInput(g, 'x', [...shape], new Rng(3, tap), 0, 1);
    const tapTensor = importOnnx(g, bytes, x.tensor, { outputs: [tap] }).outputs.get(tap)!;
    const r = await gradCheck(g, tapTensor, [x], { eps: 1e-3 });
    t.log(`${tap}: worst normalised error ${r.worst.toExponential(2)} over ${r.checked} directions`);
    t.true(r.worst < 0.02, `${tap}: worst normalised error ${r.worst.toFixed(4)}\n${r.report.slice(0, 8).join('\n')}`);
  }
});

// ---- tiny models built here with onnx-proto --------------------------------------------------

interface TinyNode {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs?: Record<string, number[]>;
}

function tinyModel(nodes: TinyNode[], inits: Record<string, [Float32Array, number[]]>, inputShape: number[], outputs: string[]): Uint8Array {
  const info = (name: string, dims?: number[]) => ({
    name,
    type: { tensorType: { elemType: 1, shape: dims && { dim: dims.map((d) => ({ dimValue: d })) } } },
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'tiny',
      node: nodes.map((n, i) => ({
        opType: n.op,
        name: `${n.op.toLowerCase()}_${i}`,
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attrs ?? {}).map(([name, ints]) => ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints })),
      })),
      initializer: Object.entries(inits).map(([name, [v, dims]]) => ({ name, dims, dataType: 1, rawData: new Uint8Array(v.buffer) })),
      input: [info('x', inputShape)],
      output: outputs.map((o) => info(o)),
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

test('maxPoolAsAverage turns MaxPool into AveragePool of the same geometry', async (t) => {
  const rng = new Rng(4, 'weights');
  const w = rng.fillUniform(new Float32Array(4 * 3 * 3 * 3), -0.5, 0.5);
  const b = rng.fillUniform(new Float32Array(4), -0.1, 0.1);
  const pool = { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] };
  const bytes = tinyModel(
    [
      { op: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['c'], attrs: { pads: [1, 1, 1, 1] } },
      { op: 'Relu', inputs: ['c'], outputs: ['r'] },
      { op: 'MaxPool', inputs: ['r'], outputs: ['y'], attrs: pool },
    ],
    { w: [w, [4, 3, 3, 3]], b: [b, [4]] },
    [1, 3, 9, 9],
    ['y'],
  );
  const shape = [1, 3, 9, 9];
  const image = randomImage(shape, 5);
  const imported = (maxPoolAsAverage: boolean) => {
    const g = new Graph();
    const y = importOnnx(g, bytes, g.input('x', shape), { maxPoolAsAverage }).outputs.get('y')!;
    return { g, y };
  };
  const asAvg = imported(true);
  t.true(asAvg.g.nodes.some((n) => n.op.name === 'AveragePool'));
  t.false(asAvg.g.nodes.some((n) => n.op.name === 'MaxPool'));

  const h = new Graph();
  const x = h.input('x', shape);
  const byHand = averagePool(relu(conv2d(x, h.constant(w, [4, 3, 3, 3]), h.constant(b, [4]), { pad: 1 })), 3, { stride: 2, pad: 1 });
  const want = (await runGraph(h, [['y', byHand]], image, shape)).y;
  t.true(maxRelErr((await runGraph(asAvg.g, [['y', asAvg.y]], image, shape)).y, want) <= 1e-6);

  const asMax = imported(false);
  const maxOut = (await runGraph(asMax.g, [['y', asMax.y]], image, shape)).y;
  t.true(maxRelErr(maxOut, want) > 1e-3, 'without the option MaxPool stays a max');
  t.true(maxRelErr(maxOut, (await run(bytes, { x: [image, shape] })).y) <= 1e-6);
});

test('imports given one constants map share a graph constant per initializer', async (t) => {
  const rng = new Rng(6, 'weights');
  const w = rng.fillUniform(new Float32Array(4 * 3 * 3 * 3), -0.5, 0.5);
  const b = rng.fillUniform(new Float32Array(4), -0.1, 0.1);
  const bytes = tinyModel(
    [
      { op: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['c'], attrs: { pads: [1, 1, 1, 1] } },
      { op: 'Relu', inputs: ['c'], outputs: ['y'] },
    ],
    { w: [w, [4, 3, 3, 3]], b: [b, [4]] },
    [1, 3, 6, 6],
    ['y'],
  );
  const shape = [1, 3, 6, 6];
  const convInputs = (g: Graph) => g.nodes.filter((n) => n.op.name === 'Conv').map((n) => n.inputs.slice(1).map((i) => i.id));
  const g = new Graph();
  const x = g.input('x', shape);
  const constants = new Map<string, Tensor>();
  const y1 = importOnnx(g, bytes, x, { constants }).outputs.get('y')!;
  const y2 = importOnnx(g, bytes, relu(x), { constants }).outputs.get('y')!;
  t.deepEqual([...constants.keys()].sort(), ['b', 'w']);
  const [first, second] = convInputs(g);
  t.deepEqual(second, first, "the second import reads the first one's weight and bias");
  const image = randomImage(shape, 7).map((v) => v - 0.5);
  const out = await runGraph(
    g,
    [
      ['y1', y1],
      ['y2', y2],
    ],
    image,
    shape,
  );
  const ref = (await run(bytes, { x: [image.map((v) => Math.max(0, v)), shape] })).y;
  t.true(maxRelErr(out.y2, ref) <= 1e-6);
  t.true(maxRelErr(out.y1, (await run(bytes, { x: [image, shape] })).y) <= 1e-6);
  // without a map, each import has its own; a map from another graph is refused
  const h = new Graph();
  importOnnx(h, bytes, h.input('x', shape));
  importOnnx(h, bytes, h.input('z', shape));
  const [a, c] = convInputs(h);
  t.notDeepEqual(a, c);
  t.throws(() => importOnnx(h, bytes, h.input('v', shape), { constants }), { message: /shared constant for initializer '(w|b)'.*another graph/ });
});

test('an unsupported op is named in the error, unless the requested outputs do not need it', (t) => {
  const bytes = tinyModel(
    [
      { op: 'Relu', inputs: ['x'], outputs: ['a'] },
      { op: 'Einsum', inputs: ['a', 'a'], outputs: ['b'] },
    ],
    {},
    [2, 2],
    ['b'],
  );
  const g = new Graph();
  const x = g.input('x', [2, 2]);
  t.throws(() => importOnnx(g, bytes, x), { message: /node 'einsum_1' \(Einsum\): unsupported op 'Einsum'/ });
  t.deepEqual(importOnnx(g, bytes, x, { outputs: ['a'] }).outputs.get('a')!.shape, [2, 2]);
});
