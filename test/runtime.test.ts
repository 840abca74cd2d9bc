// runtime/: execution-provider fallback, the worker-thread pool, pre-allocated outputs.
import test from 'ava';
import { convStackModel } from './helpers/models.js';
import { SessionPool } from '../runtime/pool.js';
import { createSession, defaultSpinning, floatTensor } from '../runtime/session.js';

test('--ep auto falls back to a provider that loads and says which', async (t) => {
  let told: string | undefined;
  const s = await createSession(convStackModel(), { ep: 'auto', onProvider: (ep) => (told = ep) });
  t.is(told, s.ep);
  t.true(['cpu', 'cuda', 'webgpu'].includes(s.ep));
});

test('an explicitly requested provider runs like the CPU where it loads, is an error naming it where not, and auto agrees', async (t) => {
  const model = convStackModel(4);
  const cuda = await createSession(model, { ep: 'cuda' }).then(
    (s) => s,
    (e: Error) => e,
  );
  let autoFallbacks: string[] = [];
  const auto = await createSession(model, { ep: 'auto', onProvider: (_ep, fallbacks) => (autoFallbacks = [...fallbacks]) });
  if (cuda instanceof Error) {
    t.regex(cuda.message, /^execution provider 'cuda' is not available: \S/);
    t.not(auto.ep, 'cuda');
    t.regex(autoFallbacks[0] ?? '', /^cuda: /);
  } else {
    t.is(cuda.ep, 'cuda');
    t.is(auto.ep, 'cuda');
    t.deepEqual(autoFallbacks, []);
    const cpu = await createSession(model, { ep: 'cpu' });
    const x = floatTensor(
      Float32Array.from({ length: 2 * 64 }, (_, i) => Math.cos(i)),
      [1, 2, 8, 8],
    );
    const onCuda = (await cuda.session.run({ x })).y.data as Float32Array;
    const onCpu = (await cpu.session.run({ x })).y.data as Float32Array;
    t.is(onCuda.length, onCpu.length);
    const worst = onCpu.reduce((m, v, i) => Math.max(m, Math.abs(v - onCuda[i])), 0);
    // loose enough for TF32 convolutions (10 mantissa bits), which onnxruntime's CUDA provider may use
    t.true(worst < 1e-2, `CUDA and CPU outputs differ by up to ${worst}`);
  }
});

test('the worker pool gives the same results as a session, concurrently, without blocking the event loop', async (t) => {
  const model = convStackModel(3000); // tens of milliseconds per run
  const { session } = await createSession(model, { threads: 1 });
  const inputs = [0, 1, 2, 3].map((k) => Float32Array.from({ length: 2 * 64 }, (_, i) => Math.cos(i * (k + 1))));
  const expected = await Promise.all(inputs.map(async (x) => (await session.run({ x: floatTensor(x, [1, 2, 8, 8]) })).y.data as Float32Array));
  const pool = new SessionPool(model, { workers: 2, threads: 1 });
  t.deepEqual(await pool.providers(), ['cpu', 'cpu']);
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  const got = await Promise.all(inputs.map((x) => pool.run({ x: { data: x, dims: [1, 2, 8, 8] } })));
  clearInterval(timer);
  got.forEach((r, k) => t.deepEqual(Array.from(r.y.data), Array.from(expected[k])));
  t.true(ticks > 0, 'timers fire while the workers compute');
  await pool.close();
});

test('a pool run copies the feeds by default; handOver moves whole buffers to the worker and copies views, with the same results', async (t) => {
  const model = convStackModel(2);
  const pool = new SessionPool(model, { workers: 1, threads: 1 });
  const x = () => Float32Array.from({ length: 2 * 64 }, (_, i) => Math.sin(i));
  const kept = x();
  const copied = await pool.run({ x: { data: kept, dims: [1, 2, 8, 8] } });
  t.is(kept.length, 128, 'the caller keeps its array');
  const moved = x();
  const handedOver = await pool.run({ x: { data: moved, dims: [1, 2, 8, 8] } }, { handOver: true });
  t.is(moved.length, 0, 'the buffer went to the worker');
  t.deepEqual(Array.from(handedOver.y.data), Array.from(copied.y.data));
  // a view into a larger buffer is copied: handing its buffer over would take the rest of it along
  const larger = new Float32Array(256);
  larger.set(x(), 64);
  const view = larger.subarray(64, 192);
  const fromView = await pool.run({ x: { data: view, dims: [1, 2, 8, 8] } }, { handOver: true });
  t.is(larger.length, 256);
  t.deepEqual(Array.from(fromView.y.data), Array.from(copied.y.data));
  // feeds that cannot be sent reject that call, and the pool goes on
  const unsendable = { x: { data: x(), dims: [1, 2, 8, 8], note: () => 0 } as unknown as { data: Float32Array; dims: number[] } };
  await t.throwsAsync(pool.run(unsendable), { message: /^the feeds cannot be sent to an inference worker: .*could not be cloned/ });
  t.deepEqual(Array.from((await pool.run({ x: { data: x(), dims: [1, 2, 8, 8] } })).y.data), Array.from(copied.y.data));
  await pool.close();
});

test('pre-allocated outputs receive the results', async (t) => {
  const { session } = await createSession(convStackModel(), { threads: 1 });
  const x = floatTensor(
    Float32Array.from({ length: 128 }, (_, i) => i / 128),
    [1, 2, 8, 8],
  );
  const target = floatTensor(new Float32Array(128), [1, 2, 8, 8]);
  await session.run({ x }, { y: target });
  const fresh = await session.run({ x });
  t.true(
    (target.data as Float32Array).some((v) => v !== 0),
    'written into the given buffer',
  );
  t.deepEqual(Array.from(target.data as Float32Array), Array.from(fresh.y.data as Float32Array));
});

// Spinning changes how idle threads wait, never what a run computes; off unless DIVSYN_SPINNING=1.
test('sessions run alike with spinning on and off; the default is off unless DIVSYN_SPINNING=1', async (t) => {
  const x = floatTensor(
    Float32Array.from({ length: 128 }, (_, i) => Math.sin(i)),
    [1, 2, 8, 8],
  );
  const outputs = [];
  for (const spinning of [true, false]) {
    const { session } = await createSession(convStackModel(), { threads: 2, spinning });
    outputs.push(Array.from((await session.run({ x })).y.data as Float32Array));
    await session.release();
  }
  t.deepEqual(outputs[0], outputs[1]);
  const before = process.env.DIVSYN_SPINNING;
  try {
    delete process.env.DIVSYN_SPINNING;
    t.false(defaultSpinning());
    process.env.DIVSYN_SPINNING = '1';
    t.true(defaultSpinning());
    process.env.DIVSYN_SPINNING = '0';
    t.false(defaultSpinning());
  } finally {
    if (before === undefined) delete process.env.DIVSYN_SPINNING;
    else process.env.DIVSYN_SPINNING = before;
  }
});
