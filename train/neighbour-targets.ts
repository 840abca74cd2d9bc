// A latent model's neighbour targets for the training loop (train/trainer.ts LatentTraining): the
// neighbours' photos of each batch item, looked up by the item's name in a neighbour table
// (train/neighbours.ts), whatever the table's distance was (label maps, normal maps, heat maps).
import { LatentTraining } from './trainer.js';
import { NeighbourTable } from './neighbours.js';

/** The targets of table over items (photos [3, H, W], unaugmented, at the training size), k per input. */
export function neighbourTargets(table: NeighbourTable, items: { stem: string; photo: Float32Array }[], k: number, warmupSteps: number): LatentTraining {
  const index = new Map(items.map((it, i) => [it.stem, i]));
  const per = items[0]?.photo.length ?? 0;
  return {
    warmupSteps,
    neighbours(stems) {
      const photos = new Float32Array(stems.length * k * per);
      const valid = stems.map((stem, b) => {
        const i = index.get(stem);
        const list = i === undefined ? [] : table.neighbours[i];
        // missing neighbours are padded with the item's own photo and left out of the assignment
        for (let j = 0; j < k; j++) photos.set(items[j < list.length ? list[j] : (i ?? 0)].photo, (b * k + j) * per);
        return list.length;
      });
      return { photos, valid };
    },
  };
}

/** The log line of a neighbour table: how many neighbours the inputs have. */
export function neighbourSummary(table: NeighbourTable, theta: number, k: number): string {
  const counts = table.neighbours.map((nb) => nb.length);
  const mean = counts.reduce((a, b) => a + b, 0) / Math.max(1, counts.length);
  return `neighbours: θ ${theta}, up to ${k} per input: ${mean.toFixed(1)} on average, ${counts.filter((x) => x === 0).length} of ${counts.length} inputs have none`;
}
