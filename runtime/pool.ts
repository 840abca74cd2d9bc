// A pool of worker threads, each with its own onnxruntime session: session.run() blocks its thread, so
// concurrent inference (and keeping the event loop free for I/O) needs workers.
import { Worker } from 'node:worker_threads';
import { EpChoice } from './session.js';

export interface RawTensor {
  data: Float32Array;
  dims: number[];
}

interface Pending {
  resolve: (r: Record<string, RawTensor>) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  busy: number;
  ep: Promise<string>;
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

  constructor(model: Uint8Array | string, o: PoolOptions) {
    for (let i = 0; i < Math.max(1, o.workers); i++) {
      const worker = new Worker(new URL('./pool-worker.js', import.meta.url), {
        workerData: { model, options: { ep: o.ep ?? 'cpu', threads: o.threads ?? 1 } },
      });
      const ep = new Promise<string>((resolve, reject) => {
        worker.on('message', (m: { id?: number; result?: Record<string, RawTensor>; error?: string; ready?: string; failed?: string }) => {
          if (m.ready) resolve(m.ready);
          else if (m.failed) reject(new Error(m.failed));
          else if (m.id !== undefined) {
            const p = this.pending.get(m.id)!;
            this.pending.delete(m.id);
            slot.busy--;
            if (m.error) p.reject(new Error(m.error));
            else p.resolve(m.result!);
          }
        });
        worker.on('error', reject);
      });
      ep.catch(() => undefined);
      const slot: Slot = { worker, busy: 0, ep };
      this.slots.push(slot);
    }
  }

  /** The execution provider each worker runs on (rejects if a worker could not load the model). */
  providers(): Promise<string[]> {
    return Promise.all(this.slots.map((s) => s.ep));
  }

  /** Run on the least busy worker. Feed buffers are copied, so callers may reuse them. */
  run(feeds: Record<string, RawTensor>): Promise<Record<string, RawTensor>> {
    const slot = this.slots.reduce((a, b) => (b.busy < a.busy ? b : a));
    const id = this.nextId++;
    slot.busy++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      slot.worker.postMessage({ id, feeds });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
