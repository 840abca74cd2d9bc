// merge(): the folders of `divsyn sample --shard I/N` runs joined into one, as a one-machine run writes
// it: every image, and samples.jsonl with the lines ordered by layout, then k. Shards must come from one
// run (same model bytes, options and layouts, the layouts matched by their paths relative to --layouts,
// so that machines may mount them in different places); every (layout, k) must be in exactly one shard.
import fs from 'node:fs';
import path from 'node:path';
import { stateError, usageError } from '../common/errors.js';
import { prepareOutputDir, syncDir, writeFileAtomic } from '../common/files.js';
import { checkOutputDir } from '../common/output-paths.js';
import { samplesFile } from '../runtime/sample-ledger.js';
import { SampleLine, ShardManifest, joinSampleLines, manifestFile, readManifest } from '../runtime/shards.js';
import { forceOption } from './common.js';
import { OptionsInput, ParsedOptions, list, need, parsedOptions, str } from './options.js';

export const mergeOptions = {
  shards: list({ help: 'the shard folders (divsyn sample --shard outputs)', meta: 'DIR' }),
  out: str({ help: 'output directory', meta: 'DIR' }),
  ...forceOption('write into a non-empty DIR'),
};

/** merge()'s options: the shard folders, and out. */
export type MergeOptions = OptionsInput<typeof mergeOptions>;

export interface MergeResult {
  images: number;
  shards: number;
  out: string;
}

/** The first way a shard's manifest differs from the first one's, or undefined. */
function difference(a: ShardManifest, b: ShardManifest): string | undefined {
  if (a.shard.count !== b.shard.count) return `it is one of ${b.shard.count} shards, not ${a.shard.count}`;
  for (const k of new Set([...Object.keys(a.run), ...Object.keys(b.run)]))
    if (JSON.stringify(a.run[k]) !== JSON.stringify(b.run[k])) return `its ${k} is ${JSON.stringify(b.run[k])}, not ${JSON.stringify(a.run[k])}`;
  const layouts = (m: ShardManifest) => m.layouts.map((l) => l.relative);
  if (JSON.stringify(layouts(a)) !== JSON.stringify(layouts(b))) {
    const i = layouts(a).findIndex((l, n) => l !== b.layouts[n]?.relative);
    return `its layouts differ (layout ${i + 1} is '${b.layouts[i]?.relative ?? 'missing'}', not '${a.layouts[i]?.relative ?? 'missing'}')`;
  }
  return undefined;
}

/** A shard's samples.jsonl lines with their (layout, k), the layout found by the shard's own paths. */
function shardLines(dir: string, m: ShardManifest): (SampleLine & { file: string })[] {
  let text: string;
  try {
    text = fs.readFileSync(samplesFile(dir), 'utf8');
  } catch {
    throw stateError(`shard '${dir}' is not finished: it has no ${path.basename(samplesFile(dir))} (continue it with divsyn sample --out ${dir} --resume)`);
  }
  const index = new Map(m.layouts.map((l, i) => [l.source, i]));
  return text
    .split('\n')
    .filter(Boolean)
    .map((line, n) => {
      const record = JSON.parse(line) as { layout: string; k: number; file: string };
      const layout = index.get(record.layout);
      if (layout === undefined) throw stateError(`line ${n + 1} of '${samplesFile(dir)}' names layout '${record.layout}', which is not one of its shard's (${manifestFile(dir)})`);
      return { layout, k: record.k, line, origin: `'${dir}'`, file: path.join(dir, record.file) };
    });
}

/** Joins shard folders into out, as `divsyn merge` does. */
export async function merge(options: MergeOptions | ParsedOptions<typeof mergeOptions>): Promise<MergeResult> {
  const { values: o } = parsedOptions(mergeOptions, options);
  const out = need(o, 'out');
  if (!o.shards.length) throw usageError('merge needs at least one shard folder');
  checkOutputDir(out);
  const manifests = o.shards.map((dir) => readManifest(dir));
  manifests.forEach((m, i) => {
    const why = difference(manifests[0], m);
    if (why) throw stateError(`shard '${o.shards[i]}' is not of the same run as '${o.shards[0]}': ${why}`);
  });
  const lines = o.shards.flatMap((dir, i) => shardLines(dir, manifests[i]));
  const text = joinSampleLines(lines, manifests[0].layouts, manifests[0].count);
  for (const l of lines) if (!fs.existsSync(l.file)) throw stateError(`image '${l.file}' of its shard's samples.jsonl is missing`);
  prepareOutputDir(out, o.force);
  for (const l of lines) writeFileAtomic(path.join(out, path.basename(l.file)), await fs.promises.readFile(l.file), { syncDir: false });
  syncDir(out);
  writeFileAtomic(samplesFile(out), text);
  return { images: lines.length, shards: o.shards.length, out: path.resolve(out) };
}
