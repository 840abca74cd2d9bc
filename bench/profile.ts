// Where an inference graph spends its time: onnxruntime's profile (enableProfiling) of an untrained
// generator, summed by op type over the runs after the first (the first plans memory and packs weights).
//
//   node dist/bench/profile.js [--model pix2pix] [--size 256] [--width 64] [--batch 8] [--threads 2] [--runs 3]
//                              [--transposed-conv fastest|subpixel|convTranspose]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Rng, initParams } from '../graph/index.js';
import { emitProgram, inferenceProgram } from '../graph/programs/index.js';
import { TransposedConvChoice } from '../graph/ops/subpixel.js';
import { createSession } from '../runtime/session.js';
import { benchArgs, benchSpec, randomFeeds } from './feeds.js';

interface ProfileEvent {
  cat: string;
  name: string;
  ts: number;
  dur: number;
  args?: { op_name?: string };
}

/** Per op type: its share of the node time and its milliseconds per run, largest first. */
export function opShares(events: ProfileEvent[], skipRuns: number): { op: string; ms: number; share: number }[] {
  const runs = events.filter((e) => e.cat === 'Session' && e.name === 'model_run').sort((a, b) => a.ts - b.ts);
  const from = runs.length > skipRuns ? runs[skipRuns - 1].ts + runs[skipRuns - 1].dur : 0;
  const counted = Math.max(1, runs.length - skipRuns);
  const byOp = new Map<string, number>();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time') || e.ts < from) continue;
    const op = e.args?.op_name ?? '?';
    byOp.set(op, (byOp.get(op) ?? 0) + e.dur);
  }
  const total = [...byOp.values()].reduce((a, b) => a + b, 0);
  return [...byOp].map(([op, us]) => ({ op, ms: us / 1000 / counted, share: us / total })).sort((a, b) => b.ms - a.ms);
}

async function main() {
  const a = benchArgs({ runs: '3', 'transposed-conv': 'fastest' });
  const spec = benchSpec(a.model, a.size, a.width);
  const program = inferenceProgram(spec, { transposedConv: a['transposed-conv'] as TransposedConvChoice });
  const bytes = emitProgram(program, { paramValues: initParams(program.graph.params, 0) });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'divsyn-profile-'));
  try {
    const { session } = await createSession(bytes, { threads: a.threads, spinning: false, profile: path.join(dir, 'profile') });
    const rng = new Rng(1);
    const batch = a.batch;
    const times: number[] = [];
    for (let i = 0; i <= Number(a.runs); i++) {
      const feeds = randomFeeds(spec, batch, rng);
      const t0 = performance.now();
      await session.run(feeds);
      if (i > 0) times.push((performance.now() - t0) / 1000);
    }
    session.endProfiling();
    await session.release();
    const file = fs.readdirSync(dir).find((f) => f.endsWith('.json'));
    if (!file) throw new Error(`onnxruntime wrote no profile into ${dir}`);
    const shares = opShares(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as ProfileEvent[], 1);
    const median = [...times].sort((x, y) => x - y)[times.length >> 1];
    console.log(
      `${a.model} ${a.size} width ${a.width} batch ${batch}, ${a.threads} threads, transposed convolutions: ${a['transposed-conv']}: ${(batch / median).toFixed(2)} img/s (median of ${times.length} runs)`,
    );
    for (const s of shares) console.log(`  ${s.op.padEnd(22)} ${(100 * s.share).toFixed(1).padStart(5)}%  ${s.ms.toFixed(1).padStart(8)} ms/run`);
  } finally {
    if (process.env.DIVSYN_PROFILE_KEEP) fs.cpSync(dir, process.env.DIVSYN_PROFILE_KEEP, { recursive: true });
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
