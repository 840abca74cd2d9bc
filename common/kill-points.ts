// Fault injection for the crash tests: DIVSYN_KILL_AT=POINT (or POINT:N, the N-th time the point is
// reached) makes the process SIGKILL itself there, as a power cut or kill -9 would stop it. Each module
// that writes exports the points it passes (trainKillPoints, sampleKillPoints), so the tests can kill a
// command at every one of them.

const KILL_ENV = 'DIVSYN_KILL_AT';

let target: { point: string; occurrence: number } | undefined | null = null;
const reached = new Map<string, number>();

function killTarget(): { point: string; occurrence: number } | undefined {
  if (target === null) {
    const spec = process.env[KILL_ENV];
    const m = spec ? /^([\w.-]+)(?::(\d+))?$/.exec(spec) : null;
    target = m ? { point: m[1], occurrence: m[2] ? Number(m[2]) : 1 } : undefined;
  }
  return target;
}

/** Marks a point where a crash must leave recoverable files; kills the process there if DIVSYN_KILL_AT names it. */
export function killPoint(point: string): void {
  const t = killTarget();
  if (!t || t.point !== point) return;
  const n = (reached.get(point) ?? 0) + 1;
  reached.set(point, n);
  if (n === t.occurrence) process.kill(process.pid, 'SIGKILL');
}
