// Several sessions timed side by side: one run of each in turn, round after round, on the same feeds, so
// that a shared machine's load falls on all alike (and, beside them, runs elsewhere that time themselves:
// PyTorch in its own process). The best round stands for the unloaded speed, the
// median for the typical one; the process's CPU seconds per image (sessions made without spinning, so
// that CPU time is work) is what a load on the other cores changes least.
import type { Feeds, ort } from '../runtime/session.js';

export interface Timed {
  name: string;
  /** Images per second: of the best round, and the median round. */
  best: number;
  median: number;
  /** Median CPU seconds (all threads) per image; NaN for a run elsewhere. */
  cpuPerImage: number;
  /** The first output of the last run (to compare the sessions' values). */
  output: Float32Array;
}

/** A session, or a run elsewhere that reports its own seconds (its output and CPU time are not known here). */
export type Contender = { name: string; session: ort.InferenceSession } | { name: string; run: () => Promise<number> };

export async function alternate(sessions: Contender[], feeds: () => Feeds, batch: number, rounds: number): Promise<Timed[]> {
  const times = sessions.map(() => [] as number[]);
  const cpu = sessions.map(() => [] as number[]);
  const outputs: Float32Array[] = [];
  for (let round = -1; round < rounds; round++) {
    const f = feeds();
    for (const [i, s] of sessions.entries()) {
      if ('run' in s) {
        const seconds = await s.run();
        if (round >= 0) times[i].push(seconds);
        outputs[i] = new Float32Array(0);
        continue;
      }
      const [t0, c0] = [performance.now(), process.cpuUsage()];
      const out = await s.session.run(f);
      const c = process.cpuUsage(c0);
      if (round >= 0) {
        times[i].push((performance.now() - t0) / 1000);
        cpu[i].push((c.user + c.system) / 1e6 / batch);
      }
      outputs[i] = out[s.session.outputNames[0]].data as Float32Array;
    }
  }
  return sessions.map((s, i) => {
    const sorted = [...times[i]].sort((a, b) => a - b);
    return { name: s.name, best: batch / sorted[0], median: batch / sorted[sorted.length >> 1], cpuPerImage: cpu[i].length ? medianOf(cpu[i]) : NaN, output: outputs[i] };
  });
}

export function maxDifference(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return a.length === b.length ? m : Infinity;
}

export function medianOf(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}
