// reproduce(): one resumable pipeline per paper table. Each stage (a segmenter, the generators, their
// evaluations, the figures) is recorded in DIR/reproduce.json when it finishes, so running the same
// command again continues where the last one stopped; the results go to DIR/report.json and
// DIR/report.html, the paper's numbers beside ours. The papers: yang-facades (api/reproduce/yang-facades.ts)
// and he-latent (api/reproduce/he-latent.ts).
import path from 'node:path';
import { usageError } from '../common/errors.js';
import { checkOutputDir } from '../common/output-paths.js';
import { ParsedOptions, need, parsedOptions, refuseGiven } from './options.js';
import { PAPERS, Paper, ReproduceOptions, reproduceOptions } from './reproduce/options.js';
import { ReproductionReport } from '../metrics/reproduction-report.js';
import { StageHooks, StageLedger, StageStopped } from './reproduce/stages.js';
import { paperData } from './reproduce/runners.js';
import { YANG_FACADES, YANG_ONLY } from './reproduce/yang-facades.js';
import { HE_LATENT, HE_ONLY } from './reproduce/he-latent.js';
import { PaperPipeline } from './reproduce/pipeline.js';

export type { ReproduceOptions, ReproduceValues, Paper } from './reproduce/options.js';
export { reproduceOptions, PAPERS } from './reproduce/options.js';
export type ReproduceHooks = StageHooks;

export interface ReproduceResult {
  /** Stopped by the signal: run again with the same options to continue. */
  stopped: boolean;
  /** The stage it stopped in. */
  stage?: string;
  /** The report (when finished), as written to DIR/report.json. */
  report?: ReproductionReport;
  /** DIR/report.html, absolute. */
  html?: string;
}

const PIPELINES: Record<Paper, PaperPipeline> = { 'yang-facades': YANG_FACADES, 'he-latent': HE_LATENT };
/** Options of one paper only: giving them to the other is a usage error. */
const PAPER_ONLY: Record<Paper, readonly string[]> = { 'yang-facades': YANG_ONLY, 'he-latent': HE_ONLY };

/** Reproduces a paper's table as `divsyn reproduce PAPER` does. */
export async function reproduce(options: ReproduceOptions | ParsedOptions<typeof reproduceOptions>, hooks: ReproduceHooks = {}): Promise<ReproduceResult> {
  const { values: o, given } = parsedOptions(reproduceOptions, options);
  const paper = need(o, 'paper');
  const out = need(o, 'out');
  const dataArg = need(o, 'data');
  checkOutputDir(out);
  if (o.steps !== undefined && o.epochs !== undefined) throw usageError('give --steps or --epochs, not both');
  const other = PAPERS.find((p) => p !== paper)!;
  refuseGiven(given, PAPER_ONLY[other], `applies to reproduce ${other}, not ${paper}`);
  if (o.features === undefined) refuseGiven(given, ['featureTaps', 'featureNorm'], 'needs --features');
  if (dataArg === 'fixture') refuseGiven(given, ['direction', 'palette'], 'does not apply to --data fixture');
  if (o.input !== 'labels') refuseGiven(given, ['direction', 'palette'], `reads label maps: it does not apply to --input ${o.input}`);
  const size = Number(o.size);
  if (!/^\d+$/.test(o.size) || size < 32 || !Number.isInteger(Math.log2(size))) throw usageError(`option --size: '${o.size}' is not a power of two >= 32 (the segmenter's U-Net needs one)`);
  const pipeline = PIPELINES[paper];
  const data = paperData(dataArg, o.direction, o.palette, o.input);
  const settings = pipeline.settings(o, data);
  const ledger = StageLedger.open(out, paper, settings, pipeline.stages(settings), { force: o.force, hooks });
  const env = { threads: o.threads, ep: o.ep, checkpointEvery: o.checkpointEvery, hooks, root: path.resolve(out) };
  try {
    const report = await pipeline.run(ledger, settings, data, env);
    return { stopped: false, report, html: path.resolve(out, 'report.html') };
  } catch (e) {
    if (e instanceof StageStopped) return { stopped: true, stage: e.stage };
    throw e;
  }
}
