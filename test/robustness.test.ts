// Failures that must end with an error rather than a hang, a crash or bad state: a PNG that cannot be
// written during sampling, an inference worker that dies, a train step whose loss diverges, an
// execution provider that returns outputs of its own instead of filling the given buffers.
import { noiseScheme } from '../common/variation.js';
import test from 'ava';
import { convStackModel } from './helpers/models.js';
import fs from 'node:fs';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { fixtureLayout } from '../fixtures/facades.js';
import * as G from '../graph/index.js';
import { Graph } from '../graph/index.js';
import type { IoSpec } from '../graph/programs/index.js';
import { UserError } from '../common/errors.js';
import { SessionPool } from '../runtime/pool.js';
import { sampleLayouts } from '../runtime/sampler.js';
import { floatTensor, ort } from '../runtime/session.js';
import { StepRunner } from '../runtime/step-runner.js';
import { writePng, indicesToColors } from '../common/image.js';
import { cmpFacades } from '../common/palettes.js';
import { divsyn, tempDir } from './helpers/cli.js';

/** Rejects if `p` has not settled after `ms`, so that a regression fails instead of hanging. */
function within<T>(p: Promise<T>, ms = 20_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms)));
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

// ---- sampling: a PNG that cannot be written --------------------------------------------------------

/** A generator as sampleLayouts runs it: layout [N, 3, 4, 4] and noise [N, 3] to image [N, 3, 4, 4]. */
function tinyGenerator(dir: string): string {
  const g = new Graph();
  const layout = g.input('layout', ['N', 3, 4, 4]);
  const noise = g.input('noise', ['N', 3]);
  const file = path.join(dir, 'g.onnx');
  fs.writeFileSync(file, G.emitModel(g, { outputs: [['image', G.sigmoid(G.add(layout, G.sum(noise)))]], params: 'initializers' }));
  return file;
}

test('a PNG that cannot be written rejects sampling with one error naming the file', async (t) => {
  const dir = tempDir();
  const model = tinyGenerator(dir);
  const out = path.join(dir, 'out');
  fs.mkdirSync(path.join(out, 'a_1.png'), { recursive: true }); // a directory where a sample goes
  const items = ['a', 'b', 'c'].map((stem) => ({ stem, source: stem, onehot: new Float32Array(3 * 16).fill(0.5) }));
  const run = sampleLayouts(items, items.length, {
    model,
    classes: ['x', 'y', 'z'],
    height: 4,
    width: 4,
    out,
    count: 3,
    seed: 1,
    scheme: noiseScheme(3),
    inputs: [{ name: 'noise', dim: 3 }],
    fixed: new Map(),
    grid: { columns: 8, max: 256 },
    batch: 1,
    ep: 'cpu',
    threads: 1,
  });
  const e = await t.throwsAsync(within(run));
  t.true(e instanceof UserError, e?.message);
  t.regex(e.message, /could not write '.*a_1\.png'/);
  t.false(fs.existsSync(path.join(out, 'samples.jsonl')), 'samples.jsonl is made from the ledger once every image is written');
  // the ledger stays for --resume: its header and only whole lines, none for the image that failed
  const ledger = fs.readFileSync(path.join(out, 'samples.ledger.jsonl'), 'utf8');
  t.true(ledger.endsWith('\n'));
  const entries = ledger
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => JSON.parse(l) as { file: string });
  t.false(entries.some((e) => e.file === 'a_1.png'));
  t.deepEqual(
    fs.readdirSync(out).filter((f) => f.endsWith('.tmp')),
    [],
  );
});

test('divsyn sample: a PNG that cannot be written is one line on stderr and exit status 1', async (t) => {
  const dir = tempDir();
  const model = path.join(dir, 'g.onnx');
  t.is(divsyn('init', '--model', 'pix2pix', '--palette', 'cmp-facades', '--size', '32', '--width', '4', '--out', model).status, 0);
  const layouts = path.join(dir, 'layouts');
  fs.mkdirSync(layouts);
  await writePng(path.join(layouts, 'l.png'), { data: indicesToColors(fixtureLayout('test', 0, 32), cmpFacades()), width: 32, height: 32, channels: 3 });
  const out = path.join(dir, 'out');
  fs.mkdirSync(path.join(out, 'l_0.png'), { recursive: true });
  const r = divsyn('sample', '--model', model, '--layouts', layouts, '--count', '2', '--out', out, '--force');
  t.is(r.status, 1, r.stderr);
  const errors = r.stderr
    .trim()
    .split('\n')
    .filter((l) => !/^images \d/.test(l)); // progress lines aside
  t.is(errors.length, 1, r.stderr);
  t.regex(errors[0], /^divsyn: could not write '.*l_0\.png'/);
});

// ---- the worker pool: a worker that dies -----------------------------------------------------------

const workersOf = (pool: SessionPool) => (pool as unknown as { slots: { worker: Worker }[] }).slots.map((s) => s.worker);
const feed = () => ({ x: { data: new Float32Array(2 * 64).fill(0.1), dims: [1, 2, 8, 8] } });

test('a worker that exits rejects its pending calls; with no worker left, later calls fail at once', async (t) => {
  const pool = new SessionPool(convStackModel(200), { workers: 1, threads: 1 });
  await pool.providers();
  workersOf(pool)[0].postMessage({ exit: 3 }); // runs posted after this are never answered
  const calls = [pool.run(feed()), pool.run(feed())];
  for (const call of calls) t.regex((await t.throwsAsync(within(call))).message, /inference worker 0 exited \(code 3\)/);
  t.regex((await t.throwsAsync(within(pool.run(feed()), 1000))).message, /inference worker 0 exited/);
  await pool.close();
});

test('a worker that crashes rejects its pending calls; the other workers take later calls', async (t) => {
  const pool = new SessionPool(convStackModel(200), { workers: 2, threads: 1 });
  await pool.providers();
  workersOf(pool)[0].postMessage({ crash: 'out of memory' }); // an uncaught exception in the worker
  const call = pool.run(feed()); // the least busy worker: the first
  t.regex((await t.throwsAsync(within(call))).message, /inference worker 0 crashed: out of memory/);
  const later = await within(Promise.all([pool.run(feed()), pool.run(feed())]));
  t.is(later.length, 2);
  await pool.close();
  await t.throwsAsync(pool.run(feed()), { message: /closed/ });
});

test('closing the pool lets the calls already made finish', async (t) => {
  const pool = new SessionPool(convStackModel(200), { workers: 1, threads: 1 });
  const call = pool.run(feed()); // before the session has even loaded
  await within(pool.close());
  t.deepEqual((await call).y.dims, [1, 2, 8, 8]);
});

// ---- StepRunner: diverged steps and outputs not written into the given buffers ----------------------

/** A train step by hand: loss = sum(w * x), w <- w - lr * x. */
async function tinyStep(w: number[]): Promise<StepRunner> {
  const g = new Graph();
  const pw = g.input('param.w', [2]);
  const x = g.input('x', [2]);
  const lr = g.input('lr', []);
  const model = G.emitModel(g, {
    outputs: [
      ['new.param.w', G.sub(pw, G.mul(lr, x))],
      ['loss.l', G.sum(G.mul(pw, x))],
    ],
    params: 'inputs',
    inputs: [pw, x, lr],
  });
  const manifest: { inputs: IoSpec[]; outputs: IoSpec[] } = {
    inputs: [
      { name: 'param.w', shape: [2], role: 'param' },
      { name: 'x', shape: [2], role: 'data' },
      { name: 'lr', shape: [], role: 'lr' },
    ],
    // the updated parameter first, as in the real train step: it must not move when the loss diverges
    outputs: [
      { name: 'new.param.w', shape: [2], role: 'param', feeds: 'param.w' },
      { name: 'loss.l', shape: [], role: 'loss' },
    ],
  };
  return StepRunner.create(model, manifest, new Map([['param.w', Float32Array.from(w)]]), { threads: 1 });
}

const x = (...v: number[]) => ({ x: floatTensor(Float32Array.from(v), [2]) });

test('a diverged train step throws and leaves the last good parameters current', async (t) => {
  const runner = await tinyStep([1, 2]);
  t.is((await runner.step(x(1, 1), 0.5)).losses.l, 3);
  t.deepEqual(Array.from(runner.value('param.w')), [0.5, 1.5]);
  await t.throwsAsync(runner.step(x(NaN, 1), 0.5), { message: /loss l is NaN: training diverged/ });
  t.deepEqual(Array.from(runner.value('param.w')), [0.5, 1.5]);
  await t.throwsAsync(runner.step(x(Infinity, 1), 0.5), { message: /loss l is Infinity/ });
  t.deepEqual(Array.from(runner.value('param.w')), [0.5, 1.5]);
  t.is((await runner.step(x(2, 0), 0.25)).losses.l, 1);
  t.deepEqual(Array.from(runner.value('param.w')), [0, 1.5]);
});

test('outputs that an execution provider returns instead of writing into the given buffers are kept', async (t) => {
  const runner = await tinyStep([1, 2]);
  const session = runner.session.session;
  const run = session.run.bind(session);
  // as an execution provider that ignores pre-allocated outputs: fresh tensors, the given ones untouched
  (session as unknown as { run: (feeds: ort.InferenceSession.FeedsType) => Promise<ort.InferenceSession.ReturnType> }).run = (feeds) => run(feeds);
  for (let k = 0; k < 3; k++) await runner.step(x(1, -1), 0.5);
  t.deepEqual(Array.from(runner.value('param.w')), [-0.5, 3.5]);
  const plain = await tinyStep([1, 2]);
  for (let k = 0; k < 3; k++) await plain.step(x(1, -1), 0.5);
  t.deepEqual(Array.from(plain.value('param.w')), [-0.5, 3.5]);
});
