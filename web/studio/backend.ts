// The onnxruntime-web build the page runs on: WebGPU when the browser offers an adapter (and a session
// on it opens), WASM otherwise, with as many threads as the page may use: SharedArrayBuffer, and so
// more than one WASM thread, needs cross-origin isolation (COOP/COEP headers; `divsyn studio` sends
// them, a plain static host does not). Each build is its own chunk, loaded only when chosen; its .wasm
// and glue files are served from ort/ beside the page (copied from node_modules, nothing from a CDN).
import { Ort, Sampler, createSampler } from '../index.js';

export interface Backend {
  sampler: Sampler;
  /** What the page shows, e.g. "WebGPU" or "WASM, 1 thread (the page is not cross-origin isolated)". */
  label: string;
  kind: 'webgpu' | 'wasm';
  threads: number;
}

interface OrtWeb extends Ort {
  env: { wasm: { wasmPaths?: string; numThreads?: number; proxy?: boolean }; logLevel?: string };
}

interface GpuNavigator {
  gpu?: { requestAdapter(): Promise<unknown> };
}

/** `?backend=wasm` forces WASM; `?threads=N` sets the WASM thread count (isolated pages only). */
export interface BackendChoice {
  backend?: string | null;
  threads?: string | null;
}

function configure(ort: OrtWeb, threads: number): void {
  ort.env.wasm.wasmPaths = new URL('ort/', document.baseURI).href;
  ort.env.wasm.numThreads = threads;
  ort.env.logLevel = 'error';
}

async function hasWebGpu(): Promise<boolean> {
  const gpu = (navigator as GpuNavigator).gpu;
  if (!gpu) return false;
  try {
    return (await gpu.requestAdapter()) !== null;
  } catch {
    return false;
  }
}

export async function openBackend(bytes: Uint8Array, choice: BackendChoice, name: string): Promise<Backend> {
  let fallback = '';
  if (choice.backend !== 'wasm' && (await hasWebGpu())) {
    try {
      const ort = (await import('onnxruntime-web/webgpu')) as unknown as OrtWeb;
      configure(ort, 1);
      const sampler = await createSampler(bytes, ort, { sessionOptions: { executionProviders: ['webgpu'] }, name });
      return { sampler, label: 'WebGPU', kind: 'webgpu', threads: 1 };
    } catch (e) {
      fallback = ` (WebGPU failed: ${(e as Error).message ?? e})`;
    }
  }
  const ort = (await import('onnxruntime-web/wasm')) as unknown as OrtWeb;
  const wanted = Number(choice.threads) || Math.min(8, navigator.hardwareConcurrency || 1);
  const threads = crossOriginIsolated ? Math.max(1, wanted) : 1;
  configure(ort, threads);
  const sampler = await createSampler(bytes, ort, { sessionOptions: { executionProviders: ['wasm'] }, name });
  const why = crossOriginIsolated ? '' : ' (the page is not cross-origin isolated)';
  return { sampler, label: `WASM, ${threads} thread${threads === 1 ? '' : 's'}${why}${fallback}`, kind: 'wasm', threads };
}
