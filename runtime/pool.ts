// A pool of worker threads, each with its own onnxruntime session: session.run() blocks its thread, so
// concurrent inference (and keeping the event loop free for I/O) needs workers.
//
// A worker that crashes or exits rejects every call it had not answered, with an error saying so; later
// calls go to the workers still alive, and fail at once when none is (no respawn: a worker that died
// once, e.g. out of memory, would most likely die again, and callers should see that rather than a retry).
// close() lets the calls already made finish before it ends the workers: terminating a worker inside
// onnxruntime's model load or run aborts the whole process (onnxruntime-node 1.30).
import { Worker } from 'node:worker_threads';
import './ort-environment.js';
import { EpChoice } from './session.js';

export interface RawTensor {
  data: Float32Array;
  dims: number[];
}

interface Pending {
  resolve: (r: Record<string, RawTensor>) => void;
  reject: (e: Error) => void;
  slot: Slot;
}

interface Slot {
  worker: Worker;
  busy: number;
  ep: Promise<string>;
  /** Calls not yet settled. */
  calls: Set<Promise<unknown>>;
  /** Why the worker is gone; undefined while it runs. */
  dead?: Error;
}

export interface PoolOptions {
  workers: number;
  ep?: EpChoice;
  /** Intra-op threads per worker. */
  threads?: number;
}

export class SessionPool {
  private slots: Slot[] = [];
  private pending = new Map<number, Pending>();
  private nextId = 0;
  private closed = false;

  constructor(model: Uint8Array | string, o: PoolOptions) {
    for (let i = 0; i < Math.max(1, o.workers); i++) {
      const worker = new Worker(new URL('./pool-worker.js', import.meta.url), {
        workerData: { model, options: { ep: o.ep ?? 'cpu', threads: o.threads ?? 1 } },
      });
      let started: ((ep: string) => void) | undefined;
      let failed: ((e: Error) => void) | undefined;
      const ep = new Promise<string>((resolve, reject) => {
        started = resolve;
        failed = reject;
      });
      ep.catch(() => undefined);
      const slot: Slot = { worker, busy: 0, ep, calls: new Set() };
      this.slots.push(slot);
      worker.on('message', (m: { id?: number; result?: Record<string, RawTensor>; error?: string; ready?: string; failed?: string }) => {
        if (m.ready) started!(m.ready);
        else if (m.failed) failed!(new Error(m.failed));
        else if (m.id !== undefined) {
          const p = this.pending.get(m.id);
          if (!p) return;
          this.pending.delete(m.id);
          slot.busy--;
          if (m.error) p.reject(new Error(m.error));
          else p.resolve(m.result!);
        }
      });
      // 'error' (an uncaught exception in the worker) is followed by 'exit'; the first reason is kept
      const die = (reason: Error) => {
        if (slot.dead) return;
        slot.dead = reason;
        failed!(reason); // no-op once the session loaded
        for (const [id, p] of this.pending) {
          if (p.slot !== slot) continue;
          this.pending.delete(id);
          p.reject(reason);
        }
        slot.busy = 0;
      };
      worker.on('error', (e) => die(new Error(`inference worker ${i} crashed: ${e.message}`)));
      worker.on('exit', (code) => die(new Error(this.closed ? 'inference pool closed' : `inference worker ${i} exited (code ${code})`)));
    }
  }

  /** The execution provider each worker runs on (rejects if a worker could not load the model). */
  providers(): Promise<string[]> {
    return Promise.all(this.slots.map((s) => s.ep));
  }

  /**
   * Run on the least busy live worker. Feed buffers are copied, so callers may reuse them, unless
   * `handOver`: then each ArrayBuffer that a feed's array covers whole moves to the worker (no copy on
   * either thread) and the caller's array is left empty; a feed that is a view into a larger or shared
   * buffer is copied as before. Rejects if the worker dies before answering, if the feeds cannot be
   * sent, and at once if no worker is alive.
   */
  run(feeds: Record<string, RawTensor>, o: { handOver?: boolean } = {}): Promise<Record<string, RawTensor>> {
    if (this.closed) return Promise.reject(new Error('inference pool closed'));
    const live = this.slots.filter((s) => !s.dead);
    if (!live.length) return Promise.reject(this.slots[0].dead!);
    const slot = live.reduce((a, b) => (b.busy < a.busy ? b : a));
    const id = this.nextId++;
    const moved = o.handOver ? wholeBuffers(Object.values(feeds)) : [];
    const call = new Promise<Record<string, RawTensor>>((resolve, reject) => {
      try {
        slot.worker.postMessage({ id, feeds }, moved);
      } catch (e) {
        // a DOMException (DataCloneError) where a feed holds what cannot be cloned
        return reject(new Error(`the feeds cannot be sent to an inference worker: ${(e as Error).message}`));
      }
      this.pending.set(id, { resolve, reject, slot });
      slot.busy++;
    });
    slot.calls.add(call);
    const settled = () => slot.calls.delete(call);
    call.then(settled, settled);
    return call;
  }

  /** Ends the workers once the calls already made have settled; later calls reject. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(
      this.slots.map(async (s) => {
        await s.ep.catch(() => undefined);
        await Promise.allSettled([...s.calls]);
        await s.worker.terminate();
      }),
    );
  }
}

/** The distinct ArrayBuffers that these arrays cover whole, the ones that can move to a worker without taking other data along. */
function wholeBuffers(tensors: RawTensor[]): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const { data } of tensors) if (data.buffer instanceof ArrayBuffer && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength) buffers.add(data.buffer);
  return [...buffers];
}
