// divsyn merge: shard folders into one through api/merge.ts's merge(), with a summary line.
import { merge, mergeOptions } from '../../api/merge.js';
import { plural } from '../../api/common.js';
import { defineCommand } from '../command.js';

const { out, force } = mergeOptions;

export const mergeCommand = defineCommand({
  name: 'merge',
  summary: 'Join the folders of divsyn sample --shard I/N runs: all images, and samples.jsonl in (layout, k) order.',
  options: { out, force },
  required: ['out'],
  positional: { min: 1, max: 100000, names: 'SHARD_DIR...' },
  notes: ['fails, naming them, when a (layout, k) is in no shard or in two, or when the shards are of different runs'],
  async run(parsed) {
    const r = await merge({ ...parsed.values, shards: parsed.positional });
    console.error(`${plural(r.images, 'image')} from ${plural(r.shards, 'shard')} in ${r.out}`);
  },
});
