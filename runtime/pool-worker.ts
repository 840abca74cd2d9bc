// Worker side of SessionPool: one onnxruntime session per thread, run requests answered in order, one
// at a time (a request that arrives while one runs waits, so that callers can queue the next batch).
import { parentPort, workerData } from 'node:worker_threads';
import ort from 'onnxruntime-node';
import { createSession } from './session.js';
import type { RawTensor } from './pool.js';

const { model, options } = workerData as { model: Uint8Array | string; options: { ep?: 'auto' | 'cpu' | 'cuda' | 'webgpu'; threads?: number } };
const ready = createSession(model, options);

async function answer(msg: { id: number; feeds: Record<string, RawTensor> }): Promise<void> {
  try {
    const { session } = await ready;
    const feeds: Record<string, ort.Tensor> = {};
    for (const [k, v] of Object.entries(msg.feeds)) feeds[k] = new ort.Tensor('float32', v.data, v.dims);
    const out = await session.run(feeds);
    const result: Record<string, RawTensor> = {};
    const transfer: ArrayBuffer[] = [];
    for (const [k, v] of Object.entries(out)) {
      const data = v.data as Float32Array;
      result[k] = { data, dims: [...v.dims] };
      transfer.push(data.buffer as ArrayBuffer);
    }
    parentPort!.postMessage({ id: msg.id, result }, transfer);
  } catch (e) {
    parentPort!.postMessage({ id: msg.id, error: (e as Error).message });
  }
}

// answer() settles with every run, failed or not
let runs: Promise<void> = Promise.resolve();

// { exit: code } and { crash: message } make the worker die as it would of a fatal error (for tests of
// SessionPool's handling of that): messages after them stay unanswered.
parentPort!.on('message', (msg: { id: number; feeds: Record<string, RawTensor> } | { exit: number } | { crash: string }) => {
  if ('exit' in msg) process.exit(msg.exit);
  if ('crash' in msg) throw new Error(msg.crash);
  runs = runs.then(() => answer(msg));
});

ready.then(
  (s) => parentPort!.postMessage({ ready: s.ep }),
  (e) => parentPort!.postMessage({ failed: (e as Error).message }),
);
