// Runs a train_step graph again and again: parameters and optimizer state are fed back as the next
// step's inputs. Outputs are asked for in pre-allocated tensors; one filled in place swaps with the
// current value, one returned as a tensor of its own (onnxruntime-node's copy, or an execution provider
// that ignores the given buffer) becomes the current value. Nothing moves when a loss is NaN or infinite.
import { IoSpec } from '../graph/programs/index.js';
import { Session, SessionOptions, createSession, floatTensor, ort } from './session.js';

export interface StepResult {
  losses: Record<string, number>;
  seconds: number;
}

export class StepRunner {
  private current = new Map<string, ort.Tensor>();
  private spare = new Map<string, ort.Tensor>();

  private constructor(
    readonly session: Session,
    private readonly inputs: IoSpec[],
    private readonly outputs: IoSpec[],
  ) {}

  /**
   * @param initial values of the carried inputs (params, state, lr, step) by input name
   * @param o session options; onnxruntime's memory pattern and CPU arena are off unless asked for: the
   * pattern's planned block of activations and gradients came on top of the arena, so a large step's
   * resident memory grew from the second step on; the arena kept the step's peak (with its rounding) held
   * between steps, beneath the checkpoint's preview. Steps ran no slower without either
   * (docs/design.md#memory).
   */
  static async create(model: Uint8Array, manifest: { inputs: IoSpec[]; outputs: IoSpec[] }, initial: Map<string, Float32Array>, o: SessionOptions = {}): Promise<StepRunner> {
    const r = new StepRunner(await createSession(model, { ...o, memPattern: o.memPattern ?? false, cpuArena: o.cpuArena ?? false }), manifest.inputs, manifest.outputs);
    for (const out of manifest.outputs) {
      if (!out.feeds) continue;
      const spec = manifest.inputs.find((i) => i.name === out.feeds);
      const value = initial.get(out.feeds);
      if (!spec || !value) throw new Error(`train step output '${out.name}' feeds '${out.feeds}', which has no initial value`);
      const dims = spec.shape as number[];
      r.current.set(out.feeds, floatTensor(Float32Array.from(value), dims));
      r.spare.set(out.feeds, floatTensor(new Float32Array(value.length), dims));
    }
    for (const i of manifest.inputs) {
      if ((i.role === 'lr' || i.role === 'step') && !r.current.has(i.name)) {
        const v = initial.get(i.name);
        if (v) r.current.set(i.name, floatTensor(Float32Array.from(v), []));
      }
    }
    return r;
  }

  /** The current value of a carried input (parameter, state, step). */
  value(name: string): Float32Array {
    const t = this.current.get(name);
    if (!t) throw new Error(`no carried value '${name}'`);
    return t.data as Float32Array;
  }

  carriedNames(): string[] {
    return [...this.current.keys()];
  }

  /** Replace a carried value (resume from a checkpoint). */
  setValue(name: string, value: Float32Array): void {
    const t = this.current.get(name);
    if (!t) throw new Error(`no carried value '${name}'`);
    (t.data as Float32Array).set(value);
  }

  async step(data: Record<string, ort.Tensor>, lr: number): Promise<StepResult> {
    const feeds: Record<string, ort.Tensor> = { ...data };
    for (const [k, v] of this.current) feeds[k] = v;
    const lrInput = this.inputs.find((i) => i.role === 'lr');
    if (lrInput) feeds[lrInput.name] = floatTensor(Float32Array.of(lr), []);
    const fetches: Record<string, ort.Tensor | null> = {};
    for (const out of this.outputs) fetches[out.name] = out.feeds && this.spare.has(out.feeds) ? this.spare.get(out.feeds)! : null;
    const t0 = performance.now();
    const result = await this.session.session.run(feeds, fetches);
    const seconds = (performance.now() - t0) / 1000;
    const losses: Record<string, number> = {};
    for (const out of this.outputs) if (out.role === 'loss') losses[out.name.replace(/^loss\./, '')] = (result[out.name].data as Float32Array)[0];
    // checked before any carried value moves: a diverged step leaves the last good values current
    for (const [k, v] of Object.entries(losses)) if (!Number.isFinite(v)) throw new Error(`loss ${k} is ${v}: training diverged`);
    for (const out of this.outputs) {
      if (out.role === 'loss' || !out.feeds) continue;
      const produced = result[out.name];
      const spare = this.spare.get(out.feeds);
      if (spare && (produced === spare || produced.data === spare.data)) {
        // swap: the freshly written buffer becomes current, the old one the next output buffer
        this.spare.set(out.feeds, this.current.get(out.feeds)!);
        this.current.set(out.feeds, spare);
      } else {
        // The result is a tensor of its own (onnxruntime-node returns a copy even when it also fills the
        // given buffer, and some execution providers do not fill it at all): it is the new value, and the
        // spare stays the next output buffer.
        if (spare && (produced.data as Float32Array).length !== (spare.data as Float32Array).length)
          throw new Error(`train step output '${out.name}' has ${produced.size} values, expected ${spare.size}`);
        this.current.set(out.feeds, produced);
      }
    }
    return { losses, seconds };
  }
}
