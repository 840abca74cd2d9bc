// Training state on disk: every carried tensor (parameters, optimizer state, step) in one binary file with
// a JSON index, plus the run's progress. Written into state.new/, then swapped in by renames, so a crash
// leaves the last good state.
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../common/errors.js';

export interface Progress {
  step: number;
  epoch: number;
  /** Seconds of training before this checkpoint (wall time, summed over resumed sessions). */
  seconds: number;
  seed: number;
  totalSteps: number;
  [key: string]: unknown;
}

interface Index {
  progress: Progress;
  tensors: { name: string; offset: number; length: number }[];
}

export function saveState(dir: string, values: Map<string, Float32Array>, progress: Progress): void {
  const fresh = `${dir}.new`;
  fs.rmSync(fresh, { recursive: true, force: true });
  fs.mkdirSync(fresh, { recursive: true });
  const tensors: Index['tensors'] = [];
  let offset = 0;
  const fd = fs.openSync(path.join(fresh, 'values.bin'), 'w');
  for (const [name, v] of values) {
    fs.writeSync(fd, new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
    tensors.push({ name, offset, length: v.length });
    offset += v.length;
  }
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  fs.writeFileSync(path.join(fresh, 'index.json'), JSON.stringify({ progress, tensors } satisfies Index));
  const old = `${dir}.old`;
  fs.rmSync(old, { recursive: true, force: true });
  if (fs.existsSync(dir)) fs.renameSync(dir, old);
  fs.renameSync(fresh, dir);
  fs.rmSync(old, { recursive: true, force: true });
}

export function loadState(dir: string): { values: Map<string, Float32Array>; progress: Progress } {
  // a crash between the two renames leaves the previous state in .old
  const from = fs.existsSync(path.join(dir, 'index.json')) ? dir : `${dir}.old`;
  let index: Index;
  try {
    index = JSON.parse(fs.readFileSync(path.join(from, 'index.json'), 'utf8'));
  } catch (e) {
    throw new UserError(`cannot resume: no readable training state in '${dir}' (${(e as Error).message})`);
  }
  const bytes = fs.readFileSync(path.join(from, 'values.bin'));
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const values = new Map<string, Float32Array>();
  for (const t of index.tensors) {
    if ((t.offset + t.length) * 4 > bytes.byteLength) throw new UserError(`training state '${from}/values.bin' is truncated`);
    values.set(t.name, all.subarray(t.offset, t.offset + t.length));
  }
  return { values, progress: index.progress };
}
