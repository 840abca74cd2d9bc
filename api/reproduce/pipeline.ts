// What each paper's reproduction provides to reproduce(): the settings it derives from the options (the
// ledger's key: the same settings continue a reproduction), its stages in order, and the run that goes
// through them and writes the report.
import { ReproductionReport } from '../../metrics/reproduction-report.js';
import { ReproduceValues } from './options.js';
import { PaperData, RunEnvironment } from './runners.js';
import { StageLedger } from './stages.js';

export interface PaperPipeline {
  settings(o: ReproduceValues, data: PaperData): Record<string, unknown>;
  stages(settings: Record<string, unknown>): string[];
  run(ledger: StageLedger, settings: Record<string, unknown>, data: PaperData, env: RunEnvironment): Promise<ReproductionReport>;
}

/** --steps or --epochs as train() takes them, with the paper's default number of steps. */
export function trainingLength(o: { steps?: number; epochs?: number }, defaultSteps: number): { steps: number } | { epochs: number } {
  return o.epochs !== undefined ? { epochs: o.epochs } : { steps: o.steps ?? defaultSteps };
}

/** The report's stages and total time from the ledger. */
export function stageTimes(ledger: StageLedger): { stages: { name: string; seconds: number }[]; seconds: number } {
  const stages = ledger.times();
  return { stages, seconds: +stages.reduce((s, t) => s + t.seconds, 0).toFixed(1) };
}
