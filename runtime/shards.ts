// Spreading one sampling run over machines: which of its (layout, k) jobs a shard or a queue job makes,
// and joining the pieces back. The run's sample jobs form one stream, layout by layout and k by k, cut
// into batches of --batch; shards and queue jobs are runs of whole batches of that stream, so every image
// is computed in the same batch, at the same position, as in a one-machine run (the same bytes).
import fs from 'node:fs';
import path from 'node:path';
import { stateError, usageError } from '../common/errors.js';
import { writeFileAtomic } from '../common/files.js';

export interface Shard {
  /** From 0. */
  index: number;
  count: number;
  /** Where the index came from: the option, or the environment variable read. */
  from: string;
}

/**
 * --shard I/N (I from 0 to N-1), or auto/N: the index from JOB_COMPLETION_INDEX (Kubernetes Indexed Jobs)
 * or SLURM_ARRAY_TASK_ID minus SLURM_ARRAY_TASK_MIN (Slurm job arrays).
 */
export function parseShard(value: string, env: NodeJS.ProcessEnv = process.env): Shard {
  const m = /^(\d+|auto)\/(\d+)$/.exec(value.trim());
  if (!m || Number(m[2]) < 1) throw usageError(`option --shard: '${value}' is not I/N or auto/N with N at least 1 (I from 0 to N-1)`);
  const count = Number(m[2]);
  // an empty variable is an unset one (shells and job templates export empty ones)
  const set = (name: string) => (env[name] ?? '').trim() !== '';
  let index: number;
  let from = 'the option';
  if (m[1] !== 'auto') index = Number(m[1]);
  else if (set('JOB_COMPLETION_INDEX')) {
    index = envInteger(env, 'JOB_COMPLETION_INDEX');
    from = `JOB_COMPLETION_INDEX=${index}`;
  } else if (set('SLURM_ARRAY_TASK_ID')) {
    const id = envInteger(env, 'SLURM_ARRAY_TASK_ID');
    const min = set('SLURM_ARRAY_TASK_MIN') ? envInteger(env, 'SLURM_ARRAY_TASK_MIN') : 0;
    index = id - min;
    from = `SLURM_ARRAY_TASK_ID=${id} minus SLURM_ARRAY_TASK_MIN=${min}`;
  } else throw usageError('option --shard auto/N: neither JOB_COMPLETION_INDEX (Kubernetes) nor SLURM_ARRAY_TASK_ID (Slurm) is set');
  if (index < 0 || index >= count) throw usageError(`option --shard: index ${index} (from ${from}) is not between 0 and ${count - 1}`);
  return { index, count, from };
}

function envInteger(env: NodeJS.ProcessEnv, name: string): number {
  const v = env[name]!;
  if (!/^\d+$/.test(v.trim())) throw usageError(`option --shard auto: ${name}='${v}' is not a whole number`);
  return Number(v);
}

/** Positions [from, to) in the stream of sample jobs (position = layout * count + k). */
export interface JobRange {
  from: number;
  to: number;
}

/** Shard I of N: a contiguous run of whole batches, the batches shared out as evenly as they go. */
export function shardRange(jobs: number, batch: number, shard: Shard): JobRange {
  const batches = Math.ceil(jobs / batch);
  const first = Math.floor((shard.index * batches) / shard.count);
  const last = Math.floor(((shard.index + 1) * batches) / shard.count);
  return { from: Math.min(jobs, first * batch), to: Math.min(jobs, last * batch) };
}

/**
 * Images per queue job by default: 2048 at 64x64 and below, fewer for larger images (as many pixels, at
 * least 256), so that a job's fixed cost (fetching it, its ledger and folder, moving its images) is a small
 * part of it; and at most 1/8 of the run, so that a small run is still shared out among workers.
 */
export function defaultJobImages(jobs: number, height: number, width: number): number {
  const bySize = Math.min(2048, Math.max(256, Math.round((2048 * 64 * 64) / (height * width))));
  return Math.max(1, Math.min(bySize, Math.ceil(jobs / 8)));
}

/** Queue jobs of `images` each, rounded up to whole batches. */
export function queueRanges(jobs: number, batch: number, images: number): JobRange[] {
  const step = Math.max(1, Math.ceil(images / batch)) * batch;
  const ranges: JobRange[] = [];
  for (let from = 0; from < jobs; from += step) ranges.push({ from, to: Math.min(jobs, from + step) });
  return ranges;
}

/** The (layout, k) test of a range, for sampleLayouts' select. */
export const inRange = (r: JobRange, count: number) => (layout: number, k: number) => {
  const at = layout * count + k;
  return at >= r.from && at < r.to;
};

/** Layouts [first, last] that a range's jobs use (only those need to be read). */
export const rangeLayouts = (r: JobRange, count: number) => ({ first: Math.floor(r.from / count), last: Math.floor((r.to - 1) / count) });

/** A layout of the run: its path relative to --layouts (its identity across machines) and its samples.jsonl `layout`. */
export interface RunLayout {
  relative: string;
  source: string;
}

/** OUT/shard.json: what a finished shard made, for merge. */
export interface ShardManifest {
  shard: { index: number; count: number };
  /** What the images depend on; shards of one run have the same. */
  run: Record<string, unknown>;
  count: number;
  layouts: RunLayout[];
  range: JobRange;
}

export const manifestFile = (dir: string) => path.join(dir, 'shard.json');

export function writeManifest(dir: string, m: ShardManifest): void {
  writeFileAtomic(manifestFile(dir), JSON.stringify(m, null, 1) + '\n');
}

export function readManifest(dir: string): ShardManifest {
  const file = manifestFile(dir);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw stateError(`'${dir}' is not a finished shard: it has no ${path.basename(file)} (divsyn sample --shard writes it at the end)`);
  }
  try {
    return JSON.parse(text) as ShardManifest;
  } catch {
    throw stateError(`'${file}' is damaged: not JSON`);
  }
}

/** A samples.jsonl line and where it came from. */
export interface SampleLine {
  layout: number;
  k: number;
  line: string;
  /** The folder (or queue job) that made it, for messages. */
  origin: string;
}

/**
 * samples.jsonl of the whole run: the lines ordered by layout, then k; an error naming every (layout, k)
 * missing or present more than once (the first few of each, and how many).
 */
export function joinSampleLines(lines: SampleLine[], layouts: RunLayout[], count: number): string {
  const seen = new Map<number, SampleLine[]>();
  for (const l of lines) {
    const at = l.layout * count + l.k;
    seen.set(at, [...(seen.get(at) ?? []), l]);
  }
  const name = (at: number) => `(${layouts[Math.floor(at / count)]?.relative ?? `layout ${Math.floor(at / count)}`}, ${at % count})`;
  const missing: string[] = [];
  const doubled: string[] = [];
  for (let at = 0; at < layouts.length * count; at++) {
    const found = seen.get(at) ?? [];
    if (!found.length) missing.push(name(at));
    else if (found.length > 1) doubled.push(`${name(at)} in ${found.map((f) => f.origin).join(' and ')}`);
  }
  const extra = [...seen.keys()].filter((at) => at < 0 || at >= layouts.length * count || !Number.isInteger(at));
  const list = (what: string, items: string[]) => (items.length ? `${items.length} ${what}: ${items.slice(0, 5).join(', ')}${items.length > 5 ? ', ...' : ''}` : '');
  const problems = [list('(layout, k) missing', missing), list('(layout, k) present twice', doubled), list('lines outside the run', extra.map(String))].filter(Boolean);
  if (problems.length) throw stateError(problems.join('; '));
  return [...seen.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([, [l]]) => l.line + '\n')
    .join('');
}
