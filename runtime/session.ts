// onnxruntime sessions: execution-provider choice with fallback, threads, typed feeds.
import ort from 'onnxruntime-node';
import './ort-environment.js';

// onnxruntime logs a provider library it cannot load (auto's cuda attempt) as an error on stderr before
// it throws; the exception is what divsyn reports, so its log keeps to fatal messages. (WebGPU's Dawn
// prints its own Vulkan warning, outside this log.)
ort.env.logLevel = 'fatal';

export type EpChoice = 'auto' | 'cpu' | 'cuda' | 'webgpu';
export const EP_CHOICES: readonly EpChoice[] = ['auto', 'cpu', 'cuda', 'webgpu'];

export interface SessionOptions {
  ep?: EpChoice;
  /** Intra-op threads (default: onnxruntime's choice, one per core). */
  threads?: number;
  /**
   * Whether idle intra-op threads spin waiting for work (onnxruntime's `session.intra_op.allow_spinning`).
   * Default off, unless DIVSYN_SPINNING=1: on a machine shared with other jobs, spinning threads take
   * the cores the busy threads need (measured in README.md#threads-on-a-shared-machine).
   */
  spinning?: boolean;
  /** onnxruntime's profiling on, its JSON file named from this prefix (written at endProfiling or release). */
  profile?: string;
  /**
   * onnxruntime's memory pattern (default on): after the first run it plans one block for every
   * intermediate of a run and keeps it besides its arena. Off, each intermediate comes from the arena as
   * it is needed: for a training step with large activations, much less resident memory.
   */
  memPattern?: boolean;
  /** onnxruntime's CPU arena (default on): off, freed intermediates go back to the system at once. */
  cpuArena?: boolean;
  /** Called once with the execution provider that runs. */
  onProvider?: (ep: string, fallbacks: string[]) => void;
}

export interface Session {
  session: ort.InferenceSession;
  ep: 'cpu' | 'cuda' | 'webgpu';
}

/** Spinning unless told otherwise: DIVSYN_SPINNING=1 turns it on for every session of the process. */
export function defaultSpinning(): boolean {
  return process.env.DIVSYN_SPINNING === '1';
}

function order(ep: EpChoice): ('cpu' | 'cuda' | 'webgpu')[] {
  return ep === 'auto' ? ['cuda', 'webgpu', 'cpu'] : [ep];
}

/**
 * A session on the first execution provider that loads. Creating a session with an unavailable EP
 * throws even with 'cpu' listed after it, so each is tried on its own.
 */
export async function createSession(model: Uint8Array | string, o: SessionOptions = {}): Promise<Session> {
  const failures: string[] = [];
  for (const ep of order(o.ep ?? 'cpu')) {
    try {
      const options: ort.InferenceSession.SessionOptions = {
        executionProviders: [ep],
        graphOptimizationLevel: 'all',
        interOpNumThreads: 1,
        enableProfiling: o.profile !== undefined,
        ...(o.profile !== undefined ? { profileFilePrefix: o.profile } : {}),
        logSeverityLevel: 3,
      };
      if (o.threads) options.intraOpNumThreads = o.threads;
      options.extra = { session: { intra_op: { allow_spinning: (o.spinning ?? defaultSpinning()) ? '1' : '0' } } };
      if (o.memPattern !== undefined) options.enableMemPattern = o.memPattern;
      if (o.cpuArena !== undefined) options.enableCpuMemArena = o.cpuArena;
      const session = await ort.InferenceSession.create(model as Uint8Array, options);
      o.onProvider?.(ep, failures);
      return { session, ep };
    } catch (e) {
      failures.push(`${ep}: ${(e as Error).message.split('\n')[0]}`);
      if (o.ep && o.ep !== 'auto') throw new Error(`execution provider '${ep}' is not available: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  throw new Error(`no execution provider could load the model (${failures.join('; ')})`);
}

export function floatTensor(data: Float32Array, dims: readonly number[]): ort.Tensor {
  return new ort.Tensor('float32', data, dims);
}

export function scalarTensor(v: number): ort.Tensor {
  return new ort.Tensor('float32', Float32Array.of(v), []);
}

export type Feeds = Record<string, ort.Tensor>;
export { ort };
