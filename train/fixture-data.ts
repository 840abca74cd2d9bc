// Training batches from the bundled procedural facades. Step s reads positions s·B … s·B+B-1 of an
// endless stream whose epoch e is a seeded shuffle of the train split; each epoch draws a new appearance
// for every layout, so a layout is seen with several colourings. Positions, not history, decide the data:
// a resumed run reads exactly what the uninterrupted run would have.
import { Rng } from '../graph/random.js';
import { FIXTURE_SPLITS, FixtureSplit, facadeItem } from '../fixtures/facades.js';
import { OpenBatches } from './trainer.js';
import { cropFlip, loadSize, oneHotInto } from './augment.js';

export const FIXTURE_CLASSES = 12;

export function fixtureBatches(size: number, batch: number, seed: number, o: { augment?: boolean } = {}): { items: number; open: OpenBatches } {
  const n = FIXTURE_SPLITS.train;
  const orders = new Map<number, number[]>();
  const orderOf = (epoch: number) => {
    let order = orders.get(epoch);
    if (!order) {
      order = new Rng(seed, `order:${epoch}`).shuffle([...Array(n).keys()]);
      orders.set(epoch, order);
      orders.delete(epoch - 2);
    }
    return order;
  };
  const augment = o.augment ?? true;
  const open: OpenBatches = (startStep) => {
    let step = startStep;
    return {
      epochOf: (s) => Math.floor((s * batch) / n),
      async next() {
        const layout = new Float32Array(batch * FIXTURE_CLASSES * size * size);
        const image = new Float32Array(batch * 3 * size * size);
        for (let j = 0; j < batch; j++) {
          const pos = step * batch + j;
          const epoch = Math.floor(pos / n);
          const index = orderOf(epoch)[pos % n];
          const item = facadeItem('train', index, augment ? loadSize(size) : size, epoch);
          const pair = augment ? cropFlip(item, size, new Rng(seed, `augment:${pos}`)) : item;
          oneHotInto(layout, j * FIXTURE_CLASSES * size * size, pair.classes, FIXTURE_CLASSES);
          image.set(pair.photo, j * 3 * size * size);
        }
        step++;
        return { layout, image };
      },
    };
  };
  return { items: n, open };
}

/** The fixture's test split as one-hot layouts and photos (for measures and previews). */
export function fixtureTestItems(size: number, count: number = FIXTURE_SPLITS.test, split: FixtureSplit = "test") {
  return Array.from({ length: Math.min(count, FIXTURE_SPLITS[split]) }, (_, i) => {
    const item = facadeItem(split, i, size);
    const layout = new Float32Array(FIXTURE_CLASSES * size * size);
    oneHotInto(layout, 0, item.classes, FIXTURE_CLASSES);
    return { stem: item.stem, layout, photo: item.photo };
  });
}
