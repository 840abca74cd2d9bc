// The builder's contract: shape errors name the op and both shapes; initialisers follow their laws and
// the seed; emission keeps only what the outputs need and writes each attribute as its kind.
import test from 'ava';
import onnxProto from 'onnx-proto';
import * as G from '../graph/index.js';
import { Graph, Rng } from '../graph/index.js';

const { onnx } = onnxProto;

test('a shape mismatch names the op and both shapes', (t) => {
  const g = new Graph();
  const x = g.input('x', [1, 3, 8, 8]);
  const w = g.input('w', [4, 2, 3, 3]);
  t.throws(() => G.conv2d(x, w), { message: /^Conv: .*\[1,3,8,8\].*\[4,2,3,3\]/ });
  t.throws(() => G.add(g.input('a', [2, 3]), g.input('b', [4, 3])), { message: /^Add: cannot broadcast \[2,3\] with \[4,3\]/ });
  t.throws(() => G.matMul(g.input('m', [2, 3]), g.input('n', [4, 5])), { message: /^MatMul: .*\[2,3\].*\[4,5\]/ });
});

test('a symbolic batch passes through inference ops', (t) => {
  const g = new Graph();
  const x = g.input('x', ['N', 3, 8, 8]);
  const y = G.conv2d(x, g.constant(new Float32Array(4 * 3 * 9), [4, 3, 3, 3]), undefined, { pad: 1, stride: 2 });
  t.deepEqual(y.shape, ['N', 4, 4, 4]);
});

test('initialisers: normal(0, 0.02), Kaiming, zeros, ones; seeded and per-parameter', (t) => {
  const n = 20000;
  const stats = (v: Float32Array) => {
    const m = v.reduce((a, b) => a + b, 0) / v.length;
    return { mean: m, std: Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length) };
  };
  const normal = stats(G.initialValue({ kind: 'normal', std: 0.02 }, n, new Rng(1)));
  t.true(Math.abs(normal.mean) < 0.001 && Math.abs(normal.std - 0.02) < 0.001);
  const kaiming = stats(G.initialValue({ kind: 'kaiming', fanIn: 50 }, n, new Rng(2)));
  t.true(Math.abs(kaiming.std - Math.sqrt(2 / 50)) < 0.005);
  t.true(G.initialValue({ kind: 'zeros' }, 5, new Rng(1)).every((v) => v === 0));
  t.true(G.initialValue({ kind: 'ones' }, 5, new Rng(1)).every((v) => v === 1));
  const g = new Graph();
  const a = g.param('a', [100], { kind: 'normal', std: 1 });
  const b = g.param('b', [100], { kind: 'normal', std: 1 });
  const v1 = G.initParams([a, b], 7);
  const v2 = G.initParams([b], 7);
  t.deepEqual(Array.from(v1.get('b')!), Array.from(v2.get('b')!), "a parameter's value does not depend on the others");
  t.notDeepEqual(Array.from(v1.get('a')!), Array.from(v1.get('b')!));
  t.notDeepEqual(Array.from(G.initParams([a], 8).get('a')!), Array.from(v1.get('a')!), 'another seed, other values');
});

test('asking for a parameter name again shares the weight; another shape is an error', (t) => {
  const g = new Graph();
  const p = g.param('w', [2, 2], { kind: 'zeros' });
  t.is(g.param('w', [2, 2], { kind: 'zeros' }), p);
  t.throws(() => g.param('w', [3], { kind: 'zeros' }), { message: /'w' exists with shape \[2,2\]/ });
});

/** A one-node graph whose op writes the given attributes on a LeakyRelu. */
function emitWithAttrs(attrs: Record<string, G.AttrValue>): Uint8Array {
  const g = new Graph();
  const x = g.input('x', [2]);
  const op: G.OpDef<{}> = { name: 'Attrs', infer: ([a]) => [{ dtype: 'float32', shape: a.shape }], emit: (e, i, o) => e.node('LeakyRelu', i, o, attrs) };
  return G.emitModel(g, { outputs: [['y', G.apply1(op, [x], {})]], params: 'inputs' });
}

test('the emitter rejects a fraction given for an integer attribute, naming the op and the attribute', (t) => {
  t.throws(() => emitWithAttrs({ alpha: 0.2 }), { message: /^LeakyRelu: attribute 'alpha' is an integer attribute, got 0\.2/ });
  t.throws(() => emitWithAttrs({ pads: [1, 0.5] }), { message: /^LeakyRelu: attribute 'pads' is an integer attribute, got 0\.5/ });
});

test('the emitter writes a marked float as FLOAT and plain numbers as INT / INTS', (t) => {
  const model = onnx.ModelProto.decode(emitWithAttrs({ alpha: { float: 0.2 }, axis: 3, perm: [1, 0], gains: { floats: [0.5, 1.5] } }));
  const byName = new Map(model.graph!.node![0].attribute!.map((a) => [a.name!, a]));
  const A = onnx.AttributeProto.AttributeType;
  t.is(byName.get('alpha')!.type, A.FLOAT);
  t.true(Math.abs(byName.get('alpha')!.f! - 0.2) < 1e-7);
  t.is(byName.get('axis')!.type, A.INT);
  t.is(Number(byName.get('axis')!.i), 3);
  t.is(byName.get('perm')!.type, A.INTS);
  t.deepEqual(byName.get('perm')!.ints!.map(Number), [1, 0]);
  t.is(byName.get('gains')!.type, A.FLOATS);
  t.deepEqual(byName.get('gains')!.floats, [0.5, 1.5]);
});
