// The stage ledger of a reproduction: DIR/reproduce.json holds the reproduction's settings and, for each
// finished stage, its result and the seconds it took. It is rewritten atomically after every stage, so a
// run stopped at any instant (Ctrl-C, kill -9, a power cut) continues at the first unfinished stage when
// the same command runs again; a training stage killed midway continues from its own checkpoint (train's
// resume), the other stages start again.
import fs from 'node:fs';
import path from 'node:path';
import { outputError, stateError, usageError } from '../../common/errors.js';
import { makeDir, removeStaleTemporaries, writeFileAtomic } from '../../common/files.js';
import { killPoint } from '../../common/kill-points.js';
import { compareResumeOptions, describeOptionChanges } from '../../common/resume-options.js';
import { flagName } from '../options.js';

/** Kill points of a reproduction (common/kill-points.ts), besides those of the operations its stages run. */
export const reproduceKillPoints = ['reproduce.stage-done'] as const;

export const LEDGER = 'reproduce.json';
const FORMAT = 1;

export interface StageRecord {
  seconds: number;
  result: unknown;
}

interface LedgerFile {
  format: number;
  paper: string;
  /** The options that decide the results (everything but where and how fast it runs). */
  settings: Record<string, unknown>;
  stages: Record<string, StageRecord>;
  /**
   * The stages this ledger has started. A stage's folder from before (a reproduction replaced with
   * --force) is removed rather than continued with its old settings. Absent in ledgers written before it
   * was kept: their folders are continued.
   */
  started?: string[];
}

/** What a stage reports while it runs. */
export interface StageHooks {
  onLog?(message: string): void;
  /** A stage started (resumed: it continues its own checkpoint), or was found finished (skipped). */
  onStage?(stage: { name: string; index: number; count: number; status: 'started' | 'resumed' | 'skipped' | 'done'; seconds?: number }): void;
  /** Steps of a training stage. */
  onSteps?(stage: string, step: number, total: number): void;
  /** Aborting stops the reproduction at its stage's next safe point (a training's next checkpoint). */
  signal?: AbortSignal;
}

/** Thrown by a stage that stopped on the signal with its work saved; reproduce() turns it into { stopped: true }. */
export class StageStopped extends Error {
  constructor(readonly stage: string) {
    super(`stopped in stage ${stage}`);
  }
}

export class StageLedger {
  private constructor(
    readonly dir: string,
    private readonly file: LedgerFile,
    private readonly names: readonly string[],
    private readonly hooks: StageHooks,
  ) {}

  /**
   * Opens DIR's ledger (a new one where DIR is absent or empty, or with `force`). The same paper and
   * settings continue it; other settings are a usage error naming each with both values.
   */
  static open(dir: string, paper: string, settings: Record<string, unknown>, stages: readonly string[], o: { force: boolean; hooks: StageHooks }): StageLedger {
    const file = path.join(dir, LEDGER);
    const fresh: LedgerFile = { format: FORMAT, paper, settings, stages: {}, started: [] };
    removeStaleTemporaries(dir);
    const saved = fs.existsSync(file) ? readLedger(file) : undefined;
    let ledger: LedgerFile = fresh;
    if (saved && !o.force) {
      if (saved.paper !== paper) throw usageError(`'${dir}' holds the reproduction ${saved.paper}, not ${paper} (use --force to start ${paper} there)`);
      const { refused } = compareResumeOptions(saved.settings, settings, {});
      const dropped = Object.keys(saved.settings).filter((k) => !(k in settings));
      const changes = [...refused, ...dropped.map((k) => ({ option: k, saved: saved.settings[k], given: undefined }))];
      if (changes.length)
        throw usageError(
          `'${dir}' holds a reproduction with other settings: ${describeOptionChanges(changes.map((c) => ({ ...c, option: flagName(c.option) })))}; give the same options to continue it, or --force to start again`,
        );
      ledger = saved;
    } else if (!saved && !o.force && fs.existsSync(dir) && fs.readdirSync(dir).length)
      throw outputError(`output directory '${dir}' is not empty and holds no reproduction (use --force to write into it)`);
    makeDir(dir);
    const opened = new StageLedger(dir, ledger, stages, o.hooks);
    opened.write();
    return opened;
  }

  /** Whether a stage is finished. */
  done(name: string): boolean {
    return name in this.file.stages;
  }

  /** The result of a finished stage. */
  result<T>(name: string): T {
    const r = this.file.stages[name];
    if (!r) throw new Error(`stage ${name} has not run`);
    return r.result as T;
  }

  /** The stages in their order, with the seconds each took. */
  times(): { name: string; seconds: number }[] {
    return this.names.filter((n) => this.done(n)).map((name) => ({ name, seconds: this.file.stages[name].seconds }));
  }

  /**
   * Runs stage `name` unless it is finished (then its recorded result). `run` gets `resumed`: whether an
   * earlier attempt left work behind (its folder), which a training continues.
   */
  async stage<T>(name: string, run: (ctx: { resumed: boolean; dir: string }) => Promise<T>): Promise<T> {
    const index = this.names.indexOf(name);
    if (index < 0) throw new Error(`stage ${name} is not one of ${this.names.join(', ')}`);
    const count = this.names.length;
    if (this.done(name)) {
      this.hooks.onStage?.({ name, index, count, status: 'skipped', seconds: this.file.stages[name].seconds });
      return this.result<T>(name);
    }
    if (this.hooks.signal?.aborted) throw new StageStopped(name);
    const dir = path.join(this.dir, name);
    const startedStages = this.file.started;
    if (startedStages && !startedStages.includes(name)) {
      fs.rmSync(dir, { recursive: true, force: true });
      startedStages.push(name);
      this.write();
    }
    const resumed = fs.existsSync(dir);
    this.hooks.onStage?.({ name, index, count, status: resumed ? 'resumed' : 'started' });
    const started = performance.now();
    const result = await run({ resumed, dir });
    const seconds = +((performance.now() - started) / 1000).toFixed(1);
    this.file.stages[name] = { seconds, result };
    this.write();
    killPoint('reproduce.stage-done');
    this.hooks.onStage?.({ name, index, count, status: 'done', seconds });
    return result;
  }

  private write(): void {
    writeFileAtomic(path.join(this.dir, LEDGER), JSON.stringify(this.file, null, 1) + '\n');
  }
}

function readLedger(file: string): LedgerFile {
  try {
    const f = JSON.parse(fs.readFileSync(file, 'utf8')) as LedgerFile;
    if (f.format !== FORMAT || typeof f.settings !== 'object' || typeof f.stages !== 'object') throw new Error(`not a format ${FORMAT} ledger`);
    return f;
  } catch (e) {
    throw stateError(`the reproduction ledger '${file}' is damaged (${(e as Error).message}); use --force to start again`);
  }
}
