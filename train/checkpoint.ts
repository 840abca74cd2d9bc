// Training state on disk: every carried tensor (parameters, optimizer state, step) in values.bin with a
// JSON index (progress, tensor offsets, SHA-256 checksums of values.bin and of the checkpoint's generator
// file). A checkpoint is written into state.new/ and swapped in by renames; the previous one stays as
// state.old/ until the next checkpoint begins. A crash at any instant leaves at least one complete state
// among state, state.new and state.old (complete: its index.json exists, written last and atomically);
// resume takes the newest. A complete state whose values no longer match its checksum is damaged, not
// half-written, and is reported as such (docs/formats.md, "Training state").
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { stateError } from '../common/errors.js';
import { makeDir, syncDir, writeError, writeFileAtomic } from '../common/files.js';
import { killPoint } from '../common/kill-points.js';

/** Kill points of a checkpoint's state, in order (common/kill-points.ts). */
export const stateKillPoints = ['state.values-written', 'state.complete', 'state.retired', 'state.swapped'] as const;

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
  /** SHA-256 (hex) of values.bin and of the generator file written with this state (absent in states from before checksums). */
  checksums?: { 'values.bin': string; 'generator.onnx': string };
}

export interface SavedState {
  values: Map<string, Float32Array>;
  progress: Progress;
  /** The folder it was read from (state, state.new or state.old). */
  from: string;
  /** SHA-256 of the generator file of this checkpoint, where the state records it. */
  generatorChecksum?: string;
}

export const sha256 = (bytes: Uint8Array) => crypto.createHash('sha256').update(bytes).digest('hex');

/** Removes a state folder index first, so that a crash while removing it leaves an incomplete state, not a damaged one. */
function removeState(dir: string): void {
  fs.rmSync(path.join(dir, 'index.json'), { force: true });
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Writes a checkpoint's state as dir (the previous one becomes dir.old); generatorChecksum is its generator file's. */
export function saveState(dir: string, values: Map<string, Float32Array>, progress: Progress, generatorChecksum: string): void {
  const fresh = `${dir}.new`;
  const old = `${dir}.old`;
  const parent = path.dirname(dir);
  // the previous checkpoint goes first: while the new one is written, dir is the one to resume from
  removeState(old);
  removeState(fresh);
  makeDir(fresh);
  const valuesFile = path.join(fresh, 'values.bin');
  try {
    const tensors: Index['tensors'] = [];
    const hash = crypto.createHash('sha256');
    let offset = 0;
    const fd = fs.openSync(valuesFile, 'w');
    try {
      for (const [name, v] of values) {
        const bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
        for (let at = 0; at < bytes.byteLength;) at += fs.writeSync(fd, bytes, at, bytes.byteLength - at);
        hash.update(bytes);
        tensors.push({ name, offset, length: v.length });
        offset += v.length;
      }
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    killPoint('state.values-written');
    const index: Index = { progress, tensors, checksums: { 'values.bin': hash.digest('hex'), 'generator.onnx': generatorChecksum } };
    writeFileAtomic(path.join(fresh, 'index.json'), JSON.stringify(index));
    syncDir(parent);
  } catch (e) {
    removeState(fresh);
    throw writeError(valuesFile, e);
  }
  killPoint('state.complete');
  try {
    if (fs.existsSync(dir)) fs.renameSync(dir, old);
    killPoint('state.retired');
    fs.renameSync(fresh, dir);
    syncDir(parent);
  } catch (e) {
    throw writeError(dir, e);
  }
  killPoint('state.swapped');
}

interface Candidate {
  dir: string;
  index?: Index;
  /** Why a complete state cannot be read (damaged), if so. */
  unreadable?: string;
}

function candidate(dir: string): Candidate | undefined {
  const file = path.join(dir, 'index.json');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined; // no index: never completed (or being removed)
  }
  try {
    const index = JSON.parse(text) as Index;
    if (typeof index.progress?.step !== 'number' || !Array.isArray(index.tensors)) throw new Error('not a training state index');
    return { dir, index };
  } catch (e) {
    return { dir, unreadable: `index.json is not readable (${(e as Error).message})` };
  }
}

/** The complete states of a run, newest first (an unreadable index sorts first: it may be the newest). */
function candidates(dir: string): Candidate[] {
  const found = [dir, `${dir}.new`, `${dir}.old`].map(candidate).filter((c): c is Candidate => c !== undefined);
  return found.sort((a, b) => (b.index?.progress.step ?? Infinity) - (a.index?.progress.step ?? Infinity));
}

/** The progress of the newest complete state (not checked against its checksum: loadLatestState does). */
export function latestProgress(dir: string): Progress | undefined {
  return candidates(dir).find((c) => c.index)?.index?.progress;
}

function readValues(c: Candidate): SavedState | string {
  if (c.unreadable) return c.unreadable;
  const index = c.index!;
  const file = path.join(c.dir, 'values.bin');
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    return `values.bin is not readable (${(e as Error).message})`;
  }
  const expected = index.checksums?.['values.bin'];
  if (expected !== undefined && sha256(bytes) !== expected) return 'values.bin does not match its checksum';
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const values = new Map<string, Float32Array>();
  for (const t of index.tensors) {
    if ((t.offset + t.length) * 4 > bytes.byteLength) return 'values.bin is truncated';
    values.set(t.name, all.subarray(t.offset, t.offset + t.length));
  }
  return { values, progress: index.progress, from: c.dir, generatorChecksum: index.checksums?.['generator.onnx'] };
}

/**
 * The newest complete state among dir, dir.new and dir.old, verified, and made dir again (the one before
 * it, if complete, dir.old); undefined when the run has no complete state. A damaged newest state is an
 * error naming it and the earlier complete state, if any, that resume can continue from once it is removed.
 */
export function loadLatestState(dir: string): SavedState | undefined {
  const found = candidates(dir);
  if (!found.length) return undefined;
  const newest = found[0];
  const read = readValues(newest);
  if (typeof read === 'string') {
    const earlier = found.slice(1).find((c) => typeof readValues(c) !== 'string');
    const where = newest.index ? `'${newest.dir}' (step ${newest.index.progress.step})` : `'${newest.dir}'`;
    throw stateError(
      `training state ${where} is damaged: ${read}; ` +
        (earlier
          ? `the earlier checkpoint '${earlier.dir}' (step ${earlier.index!.progress.step}) is complete: remove '${newest.dir}' and --resume continues from it`
          : 'there is no earlier complete checkpoint to resume from'),
    );
  }
  adopt(dir, newest.dir);
  return { ...read, from: dir };
}

/** Renames the chosen state to dir and drops the incomplete or newer-but-abandoned ones, as a finished checkpoint leaves them. */
function adopt(dir: string, chosen: string): void {
  const fresh = `${dir}.new`;
  const old = `${dir}.old`;
  const parent = path.dirname(dir);
  if (chosen === fresh) {
    if (fs.existsSync(path.join(dir, 'index.json'))) {
      removeState(old);
      fs.renameSync(dir, old);
    } else removeState(dir);
    fs.renameSync(fresh, dir);
  } else if (chosen === old) {
    removeState(dir);
    removeState(fresh);
    fs.renameSync(old, dir);
  } else removeState(fresh);
  syncDir(parent);
}
