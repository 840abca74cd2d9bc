// RUN/run.json: the run's record, written before its first step and again when a resume changes an
// option: the command's options (so --resume can take them from the run), the seed, the total steps and
// the model fingerprint (so even a run killed before its first checkpoint can be resumed, from step 0).
import fs from 'node:fs';
import path from 'node:path';
import { stateError } from '../common/errors.js';
import { writeFileAtomic } from '../common/files.js';
import { ResumeRule } from '../common/resume-options.js';

export interface RunRecord {
  /** The command's options as the run was started (and last resumed) with, by option name. */
  options: Record<string, unknown>;
  seed: number;
  totalSteps: number;
  /** What must not change across --resume (trainer.ts, modelFingerprint). */
  model: string;
  /** The data's files the dataset check found bad and the run skips (--skip-bad), so a resume skips the same. */
  skippedFiles?: string[];
}

export const runRecordFile = (out: string) => path.join(out, 'run.json');

export function writeRunRecord(out: string, record: RunRecord): void {
  writeFileAtomic(runRecordFile(out), JSON.stringify(record, null, 1) + '\n');
}

/** The run's record; undefined when the run has none (nothing started there, or a run from before records). */
export function readRunRecord(out: string): RunRecord | undefined {
  const file = runRecordFile(out);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const record = JSON.parse(text) as RunRecord;
    if (typeof record.options !== 'object' || typeof record.model !== 'string') throw new Error('not a run record');
    return record;
  } catch (e) {
    throw stateError(`the run record '${file}' is damaged (${(e as Error).message})`);
  }
}

/**
 * Options that train --resume lets change: more steps (or epochs) extend the run, the others only say how
 * it runs. Results stay exact (equal to an uninterrupted run) only with --threads and --ep unchanged, and
 * more steps change the learning-rate schedule of the steps still to come unless it is constant.
 */
export const trainResumeRules: Readonly<Record<string, ResumeRule>> = { steps: 'more', epochs: 'more', checkpointEvery: 'any', threads: 'any', ep: 'any' };

/** The line for train --help. */
export const trainResumeHelp =
  "--resume takes the run's options from RUN/run.json; given again they must match, except more --steps (or --epochs), --checkpoint-every, --threads and --ep (results equal an uninterrupted run only with --threads and --ep unchanged; more steps stretch a decaying learning rate)";
