// make bench-memory (node dist/bench/memory.js, after a build): peak resident memory of CRN training
// (issue 5) at 256x512, width 256, 20 Cityscapes classes, batch 1, with a VGG-19-shaped feature network
// (random weights: only shapes matter) for the content loss: crn-multi with n = 1, 9, 32, 64 images per pass
// against crn with the bounded diversity loss (beta 10, two passes, any number of distinct images), and crn
// without it for reference. Each configuration runs in a child process of its own (bench/memory-child.ts), one at
// a time, smallest first, for up to two steps: the peak over the first step, and the steady state from the
// second on (train steps run without onnxruntime's memory pattern by default; with it, --mem-pattern,
// onnxruntime plans a run's memory after the first and keeps that block besides its arena; later steps add
// nothing). The child reports as one JSON line on stdout. A configuration is not run when an
// estimate from the smaller ones puts it clearly beyond the memory at hand, and a child that grows past it
// is stopped (address-space limit through prlimit, a watchdog on its RSS and on the machine's available
// memory): the table says so. Never fails on memory. Smaller runs: --size HxW --width W --shrink K
// --images 1,2 (see --help).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cityscapes } from '../common/palettes.js';
import { ChildConfig, ChildReport, INTERIM, procStatusKiB } from './memory-child.js';

const GiB = 2 ** 30;
const gib = (kib: number) => kib / 2 ** 20;
const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'memory-child.js');

interface Options {
  height: number;
  width: number;
  channels: number;
  shrink: number;
  images: number[];
  /** Candidates of the noise-search configuration (0 or 1: left out). */
  search: number;
  reference: boolean;
  threads: number;
  steps: number;
  capGiB: number;
  memPattern: boolean;
  /** Also the whole `divsyn train` process for crn + diversity loss and crn-multi. */
  whole: boolean;
}

/** Further steps only after a step shorter than this (s). */
const SECOND_UNDER = 300;
/** Address space a child may reserve beyond its resident memory (V8's reservations, thread stacks, malloc arenas). */
const ADDRESS_SLACK_GIB = 6;
/** The watchdog stops a child when the machine's available memory falls below this. */
const FLOOR_GIB = 0.6;

const USAGE = `usage: node dist/bench/memory.js [--size HxW] [--width W] [--shrink K] [--images N,N,...] [--search K] [--no-reference]
                                 [--threads T] [--steps 1|2] [--cap GIB] [--mem-pattern] [--no-whole]
  defaults: --size 256x512 --width 256 --shrink 1 --images 1,9,32,64 --search 8 --threads 2 --steps 2 --cap 22
  --shrink K     VGG-19's widths divided by K (1: the real network)
  --search K     crn with pairwise diversity and the noise search over K candidates (0: left out)
  --no-reference leave out crn without the diversity loss
  --steps 2      a second step (skipped after a first one over ${SECOND_UNDER} s): onnxruntime reaches its
                 steady-state memory there (with the memory pattern, it plans the run's memory after the first
                 and keeps it)
  --no-whole     leave out the whole \`divsyn train\` process (fixture data, the VGG-shaped network as
                 --features, the steps, the checkpoint and its preview) beside crn + diversity and crn-multi
  --mem-pattern  train with onnxruntime's memory pattern on (the train step's default is off)
  --cap GIB      stop (or do not start) a configuration beyond this much resident memory (also kept under
                 the machine's available memory)`;

function parseOptions(argv: string[]): Options {
  const o: Options = { height: 256, width: 512, channels: 256, shrink: 1, images: [1, 9, 32, 64], search: 8, reference: true, threads: 2, steps: 2, capGiB: 22, memPattern: false, whole: true };
  const positive = (flag: string, v: string | undefined) => {
    const n = Number(v);
    if (!v || !Number.isFinite(n) || n <= 0) throw new Error(`${flag} needs a positive number, got '${v ?? ''}'`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => argv[++i];
    if (a === '--size') {
      const m = /^(\d+)x(\d+)$/.exec(v() ?? '');
      if (!m) throw new Error('--size needs HxW');
      [o.height, o.width] = [Number(m[1]), Number(m[2])];
    } else if (a === '--width') o.channels = Math.round(positive(a, v()));
    else if (a === '--shrink') o.shrink = positive(a, v());
    else if (a === '--images') o.images = (v() ?? '').split(',').map((s) => Math.round(positive(a, s)));
    else if (a === '--no-reference') o.reference = false;
    else if (a === '--no-whole') o.whole = false;
    else if (a === '--search') {
      const k = Number(v());
      if (!Number.isInteger(k) || k < 0) throw new Error(`--search needs a whole number of candidates (0: leave the row out), got '${argv[i] ?? ''}'`);
      o.search = k;
    } else if (a === '--mem-pattern') o.memPattern = true;
    else if (a === '--threads') o.threads = Math.round(positive(a, v()));
    else if (a === '--steps') o.steps = Math.min(2, Math.round(positive(a, v())));
    else if (a === '--cap') o.capGiB = positive(a, v());
    else if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown option '${a}'\n${USAGE}`);
  }
  o.images = [...new Set(o.images)].sort((x, y) => x - y);
  return o;
}

function memAvailableGiB(): number {
  try {
    const m = /^MemAvailable:\s+(\d+) kB/m.exec(fs.readFileSync('/proc/meminfo', 'utf8'));
    return m ? Number(m[1]) / 2 ** 20 : Infinity;
  } catch {
    return Infinity;
  }
}

/** `prlimit --as` (util-linux) runs the child under an address-space limit where it is installed. */
const hasPrlimit = (): boolean => ['/usr/bin/prlimit', '/bin/prlimit'].some((p) => fs.existsSync(p));

interface ChildRun {
  /** The last report: the final one, or the last interim one of a child that was stopped. */
  report?: ChildReport;
  /** Why the child did not finish for lack of memory. */
  killed?: string;
  failed?: string;
  /** The highest resident memory seen (the report's peak, or the watchdog's last reading of a stopped child). */
  peakGiB: number;
}

async function runChild(cfg: ChildConfig, limitGiB: number, label: string): Promise<ChildRun> {
  const args = ['--expose-gc', CHILD, JSON.stringify(cfg)];
  const asBytes = Math.floor((limitGiB + ADDRESS_SLACK_GIB) * GiB);
  // prlimit sets the limit and execs node: the child's pid is node's
  const [cmd, cmdArgs] = hasPrlimit() ? ['prlimit', [`--as=${asBytes}`, '--', process.execPath, ...args]] : [process.execPath, args];
  const started = performance.now();
  const proc = spawn(cmd, cmdArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let partial = '';
  let stderrTail = '';
  let report: ChildReport | undefined;
  proc.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  proc.stderr.setEncoding('utf8').on('data', (d: string) => {
    const lines = (partial + d).split('\n');
    partial = lines.pop()!;
    for (const l of lines) {
      if (l.startsWith(INTERIM)) {
        try {
          report = JSON.parse(l.slice(INTERIM.length)) as ChildReport;
        } catch {
          // a torn line: the next report replaces it
        }
        continue;
      }
      process.stderr.write(l + '\n');
      stderrTail = (stderrTail + l + '\n').slice(-2000);
    }
  });
  let killed: string | undefined;
  let polledGiB = 0;
  let lastProgress = performance.now();
  const watch = setInterval(() => {
    if (proc.pid === undefined || proc.exitCode !== null) return;
    const rssGiB = procStatusKiB('VmRSS', proc.pid) / 2 ** 20;
    polledGiB = Math.max(polledGiB, rssGiB);
    const avail = memAvailableGiB();
    if (!killed && (rssGiB > limitGiB || avail < FLOOR_GIB)) {
      killed =
        rssGiB > limitGiB
          ? `stopped at ${rssGiB.toFixed(1)} GiB resident, past the ${limitGiB.toFixed(1)} GiB at hand`
          : `stopped at ${rssGiB.toFixed(1)} GiB resident: the machine had ${avail.toFixed(2)} GiB left`;
      process.stderr.write(`[memory] ${label}: ${killed}\n`);
      proc.kill('SIGKILL');
    }
    if (performance.now() - lastProgress > 30_000) {
      lastProgress = performance.now();
      process.stderr.write(`[memory] ${label}: ${((performance.now() - started) / 1000).toFixed(0)} s, resident ${rssGiB.toFixed(2)} GiB, machine has ${avail.toFixed(1)} GiB available\n`);
    }
  }, 100);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => {
    proc.on('error', (e) => {
      stderrTail += String(e);
      resolve([null, null]);
    });
    proc.on('close', (c, sig) => resolve([c, sig]));
  });
  clearInterval(watch);
  try {
    const line = stdout.trim().split('\n').pop();
    if (line) report = JSON.parse(line) as ChildReport;
  } catch {
    // keep the last interim report
  }
  const peakGiB = Math.max(polledGiB, report ? gib(report.peakKiB) : 0);
  if (killed) return { report, killed, peakGiB };
  if (signal) return { report, killed: `killed by ${signal}${signal === 'SIGKILL' ? ` at ${peakGiB.toFixed(1)} GiB or more (out of memory?)` : ''}`, peakGiB };
  if (report?.ok) return { report, peakGiB };
  const error = (report?.error ?? `exit ${code}: ${stderrTail.trim().split('\n').pop() ?? ''}`).split('\n')[0];
  const size = /buffer of size (\d+)/.exec(error);
  if (/alloc|out of memory/i.test(error))
    return { report, killed: `onnxruntime could not allocate${size ? ` ${(Number(size[1]) / 2 ** 20).toFixed(0)} MiB more` : ''} at ${peakGiB.toFixed(1)} GiB resident`, peakGiB };
  return { report, failed: error.slice(0, 200), peakGiB };
}

interface Outcome {
  label: string;
  wanted: string;
  run?: ChildRun;
  /** Not run: why. */
  skipped?: string;
  /** A lower bound for a configuration not run (its estimate) or stopped during step 1. */
  atLeastGiB?: number;
  /** The whole `divsyn train` process of the same configuration. */
  whole?: ChildRun;
}

/** Peak RSS over the first step, and over all steps (steady state from the second on). */
function peaksOf(x: Outcome): { step1?: number; steady?: number } {
  const r = x.run?.report;
  const steps = r?.stagesKiB.steps ?? [];
  return {
    step1: steps.length >= 1 ? gib(steps[0]) : undefined,
    steady: steps.length >= 2 && x.run?.report?.ok ? gib(Math.max(r!.peakKiB, steps[steps.length - 1])) : undefined,
  };
}

async function parent(o: Options) {
  const base = { height: o.height, width: o.width, channels: o.channels, shrink: o.shrink, threads: o.threads, steps: o.steps, secondUnder: SECOND_UNDER, memPattern: o.memPattern };
  const plan: { label: string; wanted: string; cfg: ChildConfig }[] = [];
  if (o.reference) plan.push({ label: 'crn, no diversity loss', wanted: '1', cfg: { ...base, model: 'crn', diversity: 'none' } });
  plan.push({ label: 'crn + diversity loss', wanted: 'any', cfg: { ...base, model: 'crn', diversity: 'bounded' } });
  if (o.search > 1) plan.push({ label: `crn + pairwise diversity, noise search ${o.search}`, wanted: 'any', cfg: { ...base, model: 'crn', diversity: 'pairwise', noiseSearch: o.search } });
  for (const n of o.images) plan.push({ label: `crn-multi n=${n}`, wanted: String(n), cfg: { ...base, model: 'crn-multi', images: n, diversity: 'none' } });

  console.log(
    `divsyn memory bench: training step at ${o.height}x${o.width}, width ${o.channels}, ${cityscapes().length} classes, batch 1, ` +
      `VGG-19${o.shrink === 1 ? '' : ` / ${o.shrink}`} content loss (random weights), ${o.threads} threads, onnxruntime CPU, memory pattern ${o.memPattern ? 'on' : 'off'}; ` +
      `cap ${o.capGiB} GiB, ${memAvailableGiB().toFixed(1)} GiB available at start`,
  );
  const outcomes: Outcome[] = [];
  const multi: { n: number; gib: number }[] = [];
  let multiStoppedAt: number | undefined;
  const t00 = performance.now();
  for (const { label, wanted, cfg } of plan) {
    const n = cfg.images;
    if (n !== undefined && multiStoppedAt !== undefined) {
      outcomes.push({ label, wanted, skipped: `not run: n=${multiStoppedAt} already did not fit` });
      continue;
    }
    const limitGiB = Math.min(o.capGiB, memAvailableGiB() - FLOOR_GIB - 0.25);
    // crn-multi's memory over a step is about linear in n: estimated from the two largest measured
    if (n !== undefined && multi.length >= 2) {
      const [a, b] = multi.slice(-2);
      const estimate = b.gib + ((b.gib - a.gib) / (b.n - a.n)) * (n - b.n);
      if (estimate > 1.25 * limitGiB) {
        process.stderr.write(`[memory] ${label}: skipped, step 1 estimated at ${estimate.toFixed(1)} GiB against ${limitGiB.toFixed(1)} GiB at hand\n`);
        outcomes.push({ label, wanted, skipped: `not run: step 1 estimated at ${estimate.toFixed(1)} GiB, ${limitGiB.toFixed(1)} GiB at hand`, atLeastGiB: limitGiB });
        multiStoppedAt = n;
        continue;
      }
    }
    process.stderr.write(`[memory] ${label}: running (limit ${limitGiB.toFixed(1)} GiB), ${((performance.now() - t00) / 1000).toFixed(0)} s into the bench\n`);
    const t0 = performance.now();
    const run = await runChild(cfg, limitGiB, label);
    process.stderr.write(`[memory] ${label}: done in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
    const out: Outcome = { label, wanted, run };
    outcomes.push(out);
    const { step1 } = peaksOf(out);
    if (step1 === undefined && run.killed) out.atLeastGiB = run.peakGiB;
    if (n !== undefined) {
      if (step1 !== undefined) multi.push({ n, gib: step1 });
      else if (run.killed) multiStoppedAt = n;
    }
    if (o.whole && run.report?.ok && (n !== undefined || cfg.diversity === 'bounded')) {
      const steps = run.report.stepSeconds[0] < SECOND_UNDER ? o.steps : 1;
      process.stderr.write(`[memory] ${label}: the whole divsyn train, ${steps} step(s)\n`);
      out.whole = await runChild({ ...cfg, whole: true, steps }, Math.min(o.capGiB, memAvailableGiB() - FLOOR_GIB - 0.25), `${label}, whole divsyn train`);
    }
  }
  printTable(outcomes);
}

const fmtGiB = (v: number | undefined, x: Outcome, stage: 'step1' | 'steady') => {
  if (v !== undefined) return v.toFixed(2);
  if (x.skipped) return x.atLeastGiB ? `> ${x.atLeastGiB.toFixed(1)} *` : '*';
  const run = x.run!;
  if (run.failed) return 'failed *';
  if (!run.killed) return '-'; // a second step not taken (the first was slow)
  return stage === 'step1' || peaksOf(x).step1 !== undefined ? `> ${run.peakGiB.toFixed(1)} *` : '*';
};

/** The whole process's peak, as the table shows it. */
function wholeGiB(x: Outcome): string {
  const w = x.whole;
  if (!w) return '';
  if (w.report?.ok) return gib(w.report.peakKiB).toFixed(2);
  return w.killed ? `> ${w.peakGiB.toFixed(1)} *` : 'failed *';
}

function printTable(outcomes: Outcome[]) {
  const head = ['config', 'images wanted', 'peak RSS GiB, step 1', 'peak RSS GiB, steady (2 steps)', 'RSS before step GiB', 'build s', 'step s', 'whole divsyn train GiB'];
  const rows = outcomes.map((x) => {
    const r = x.run?.report;
    const { step1, steady } = peaksOf(x);
    return [
      x.label,
      x.wanted,
      fmtGiB(step1, x, 'step1'),
      fmtGiB(steady, x, 'steady'),
      r?.stagesKiB.session ? gib(r.stagesKiB.session).toFixed(2) : '',
      r?.buildSeconds ? r.buildSeconds.toFixed(1) : '',
      (r?.stepSeconds ?? []).map((t) => t.toFixed(t < 10 ? 2 : 1)).join(', '),
      wholeGiB(x),
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(head));
  for (const r of rows) console.log(line(r));
  for (const x of outcomes) {
    const why = x.skipped ?? (x.run?.killed ? `> available memory (killed: ${x.run.killed})` : x.run?.failed ? `failed: ${x.run.failed}` : undefined);
    if (why) console.log(`* ${x.label}: ${why}`);
    const whole = x.whole?.killed ?? x.whole?.failed;
    if (whole) console.log(`* ${x.label}, whole divsyn train: ${whole}`);
  }

  const n32 = outcomes.find((x) => x.label === 'crn-multi n=32');
  if (!n32) return;
  const m = peaksOf(n32);
  for (const [div, stage, what] of outcomes
    .filter((x) => x.label.startsWith('crn + '))
    .flatMap(
      (x) =>
        [
          [x, 'step1', 'over step 1'],
          [x, 'steady', 'steady state'],
        ] as const,
    )) {
    const d = peaksOf(div);
    const dv = d[stage];
    const mv = m[stage];
    const bound = mv === undefined ? (n32.atLeastGiB ?? (n32.run?.killed ? n32.run.peakGiB : undefined)) : undefined;
    let text: string;
    if (dv === undefined) text = 'not measured';
    else if (mv !== undefined) text = `${(dv / mv).toFixed(3)}: ${dv / mv <= 1 / 3 ? 'at most 1/3, as the paper argues' : "more than 1/3, against the paper's argument"}`;
    else if (bound) text = `< ${(dv / bound).toFixed(3)} (n=32 needs more than ${bound.toFixed(1)} GiB)${dv / bound <= 1 / 3 ? ': at most 1/3, as the paper argues' : ': not conclusive'}`;
    else text = 'crn-multi n=32 not measured';
    console.log(`ratio ${div.label} / crn-multi n=32, peak RSS ${what}: ${text}`);
  }
  const div = outcomes.find((x) => x.label === 'crn + diversity loss');
  if (div?.whole?.report?.ok && n32.whole?.report?.ok) {
    const ratio = div.whole.report.peakKiB / n32.whole.report.peakKiB;
    console.log(`ratio crn + diversity loss / crn-multi n=32, peak RSS of the whole divsyn train: ${ratio.toFixed(3)} (target <= 0.25)`);
  }
}

// ---- entry ---------------------------------------------------------------------------------------

let options: Options;
try {
  options = parseOptions(process.argv.slice(2));
} catch (e) {
  console.error((e as Error).message);
  process.exit(2);
}
try {
  await parent(options);
} catch (e) {
  // the bench reports what it could measure; it never fails on a configuration
  console.log(`memory bench stopped early: ${(e as Error).message}`);
}
