// The dataset check before step 1: every item decoded once (as many at a time as there are cores: sharp
// decodes on libuv's thread pool), so that a bad file is found before the run, not when the loader reaches
// it hours in. All bad items are reported at once with the reason for each; a run may skip them
// (datasets.ts, withoutFiles) and record which, so that a resumed run skips the same ones. It also refuses
// a dataset whose sides look swapped: layouts that look like photos beside photos that look like layouts.
import os from 'node:os';
import PQueue from 'p-queue';
import { UserError, dataError } from '../common/errors.js';
import { Dataset } from './datasets.js';
import { ON_PALETTE_MIN, notALabelMap } from './labels.js';

export interface BadItem {
  index: number;
  stem: string;
  /** The item's files (empty for generated items). */
  files: string[];
  /** One line naming the file and what is wrong with it. */
  reason: string;
}

export interface DatasetCheck {
  items: number;
  bad: BadItem[];
  /** Warnings about items that can be used (far colours in a label map), one line each. */
  warnings: string[];
}

export interface CheckOptions {
  /** Items decoded at once (default: the machine's cores). */
  concurrency?: number;
  /** After each item: how many are done of how many. */
  onProgress?: (done: number, total: number) => void;
}

/** Swapped sides are reported when at least this share of the items has a photo-like layout beside a layout-like photo. */
const SWAPPED_SHARE = 0.5;

/**
 * Decodes every item of the dataset once. Items that cannot be read, or whose layout is no label map
 * (fewer than ON_PALETTE_MIN of its pixels on the palette), are bad; swapped sides are a UserError naming
 * what to change (the dataset's swappedAdvice: --direction for pix2pix folders).
 */
export async function checkDataset(dataset: Dataset, o: CheckOptions = {}): Promise<DatasetCheck> {
  const n = dataset.length;
  const bad: BadItem[] = [];
  const warnings: { index: number; text: string }[] = [];
  let swapped = 0;
  let done = 0;
  const queue = new PQueue({ concurrency: Math.max(1, o.concurrency ?? os.availableParallelism()) });
  const checkItem = async (i: number) => {
    const files = dataset.files?.(i) ?? [];
    const item = { index: i, stem: dataset.stem(i), files };
    try {
      const s = await dataset.load(i, { measurePhoto: true });
      if (s.onPalette !== undefined && s.onPalette < ON_PALETTE_MIN) {
        bad.push({ ...item, reason: notALabelMap(files[0] ?? s.stem, s.onPalette) });
        if (s.photoOnPalette !== undefined && s.photoOnPalette >= ON_PALETTE_MIN) swapped++;
      } else if (s.warning) warnings.push({ index: i, text: s.warning });
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      bad.push({ ...item, reason: e.message });
    }
    o.onProgress?.(++done, n);
  };
  await Promise.all(Array.from({ length: n }, (_, i) => queue.add(() => checkItem(i), { throwOnTimeout: true })));
  bad.sort((a, b) => a.index - b.index);
  warnings.sort((a, b) => a.index - b.index);
  if (dataset.swappedAdvice && swapped && swapped >= SWAPPED_SHARE * n)
    throw dataError(`${dataset.description}: in ${swapped} of ${n} items the layout looks like a photo and the photo like a label map; ${dataset.swappedAdvice}`);
  return { items: n, bad, warnings: warnings.map((w) => w.text) };
}

/** The files of the bad items: what a run skips and records. */
export function badFiles(check: DatasetCheck): string[] {
  return check.bad.flatMap((b) => b.files);
}

/**
 * The refusal of a dataset with bad items: a first line saying how many and how to go on (`skipOption`),
 * then one line per bad item with its reason (up to `shown`, then how many more).
 */
export function badItemsError(check: DatasetCheck, description: string, skipOption = '--skip-bad', shown = 50): UserError {
  const all = check.bad.length === check.items;
  const head = `${check.bad.length} of ${check.items} items of ${description} cannot be used${all ? '' : ` (${skipOption} trains without them)`}:`;
  const lines = check.bad.slice(0, shown).map((b) => `  ${b.reason}`);
  if (check.bad.length > shown) lines.push(`  … and ${check.bad.length - shown} more`);
  return dataError([head, ...lines].join('\n'));
}
