// The dataset check before step 1 as the operations run it: every item of a dataset read from files decoded
// once, with progress; bad items refused with their reasons, or left out with --skip-bad (and named,
// so a run can record them and a resume leave out the same ones).
import { stateError } from '../common/errors.js';
import { badFiles, badItemsError, checkDataset } from '../train/dataset-check.js';
import { Dataset, withoutFiles } from '../train/datasets.js';
import { plural } from './common.js';
import { flag } from './options.js';

export const skipBadOption = {
  skipBad: flag({ help: 'leave out the items the dataset check finds bad (how many is printed; a training run keeps the list in RUN/run.json, so --resume leaves out the same ones)' }),
};

export interface DataCheckHooks {
  onLog?(message: string): void;
  /** Items decoded so far, of all (the check decodes every file once before training or evaluating). */
  onCheckProgress?(done: number, total: number): void;
}

export interface CheckedData {
  dataset: Dataset;
  /** The files left out, the recorded ones included. */
  skipped: string[];
  /** Whether the items were decoded here (their warnings then printed once, not again by the loader). */
  checked: boolean;
}

/**
 * The dataset to use: generated data (the fixture) as it is; data from files checked, without the files a
 * resumed run recorded as skipped. A resumed run that finds bad items it did not skip is refused: its data changed.
 */
export async function checkedDataset(dataset: Dataset, o: DataCheckHooks & { skipBad: boolean; recorded?: string[] }): Promise<CheckedData> {
  if (!dataset.files) return { dataset, skipped: [], checked: false };
  const recorded = o.recorded ?? [];
  const kept = withoutFiles(dataset, recorded);
  const check = await checkDataset(kept, { onProgress: (done) => o.onCheckProgress?.(done, kept.length) });
  for (const w of check.warnings) o.onLog?.(`warning: ${w}`);
  if (!check.bad.length) return { dataset: kept, skipped: recorded, checked: true };
  if (o.recorded) throw stateError(`--resume: ${plural(check.bad.length, 'item')} of ${kept.description} became unreadable since the run started (the first: ${check.bad[0].reason})`);
  if (!o.skipBad) throw badItemsError(check, kept.description);
  const skipped = badFiles(check);
  o.onLog?.(`skipping ${plural(check.bad.length, 'bad item')} of ${check.items}: ${check.bad.map((b) => b.stem).join(', ')}`);
  return { dataset: withoutFiles(kept, skipped), skipped, checked: true };
}
