// The bundled procedural facades: deterministic, covers the CMP classes, and genuinely multimodal.
import test from 'ava';
import { FIXTURE_CLASSES, FIXTURE_MODES, FIXTURE_SPLITS, facadeItem, fixtureItem } from '../fixtures/facades.js';

const S = 64;

/** Mean RGB of the pixels of class c (undefined when the class is absent). */
function classMean(layout: Uint8Array, photo: Uint8Array, c: number): number[] | undefined {
  const sum = [0, 0, 0];
  let n = 0;
  for (let p = 0; p < layout.length; p++)
    if (layout[p] === c) {
      for (let k = 0; k < 3; k++) sum[k] += photo[3 * p + k];
      n++;
    }
  return n ? sum.map((v) => v / n) : undefined;
}

const meanAbs = (a: number[], b: number[]) => a.reduce((s, v, k) => s + Math.abs(v - b[k]), 0) / a.length;

test('fixture: 12 CMP classes, fixed splits, deterministic from (split, index)', (t) => {
  t.deepEqual(
    FIXTURE_CLASSES.map((c) => c.name),
    ['background', 'facade', 'window', 'door', 'cornice', 'sill', 'balcony', 'blind', 'deco', 'molding', 'pillar', 'shop'],
  );
  t.deepEqual({ ...FIXTURE_SPLITS }, { train: 400, test: 50 });
  const a = fixtureItem('train', 17, S);
  const b = fixtureItem('train', 17, S);
  t.deepEqual(a.layout, b.layout);
  t.deepEqual(a.photo, b.photo);
  t.is(a.layout.length, S * S);
  t.is(a.photo.length, S * S * 3);
  t.true(a.layout.every((v) => v < 12));
  t.is(a.stem, 'facade_train_0017');
  // splits differ, items differ
  t.notDeepEqual(fixtureItem('test', 17, S).layout, a.layout);
  t.notDeepEqual(fixtureItem('train', 18, S).layout, a.layout);
  // any size, non-square too
  const r = fixtureItem('test', 3, 48, 32);
  t.is(r.layout.length, 48 * 32);
  t.throws(() => fixtureItem('test', 50, S));
});

test('fixture: the classes all occur across items, most of them often', (t) => {
  const items = new Array(12).fill(0);
  for (let i = 0; i < 60; i++) for (const c of new Set(fixtureItem('train', i, S).layout)) items[c]++;
  t.true(
    items.every((n) => n > 0),
    `items per class: ${items}`,
  );
  t.true(items.filter((n) => n >= 20).length >= 10, `items per class: ${items}`);
});

test('fixture: the layout does not depend on the appearance draw; the same draw is identical', (t) => {
  const a = fixtureItem('train', 5, S, S, { appearance: 0 });
  const b = fixtureItem('train', 5, S, S, { appearance: 1 });
  t.deepEqual(a.layout, b.layout);
  t.notDeepEqual(a.photo, b.photo);
  t.deepEqual(fixtureItem('train', 5, S, S, { appearance: 1 }).photo, b.photo);
});

/** Look m for every class, under the clear sky's light unless the class is the sky itself (its look sets the light). */
const sameLight = (c: number, m: number) => FIXTURE_CLASSES.map((_, k) => (k === 0 && c !== 0 ? 0 : m));

test('fixture: multimodal: each class has clearly distinct looks; a redraw changes the classes whose look changed', (t) => {
  // For every class and every pair of looks, the class's mean colour differs clearly (at 128 px, where
  // the thinnest elements are wider than the blending at their edges).
  for (let c = 0; c < 12; c++) {
    const means: number[][] = [];
    for (let m = 0; m < FIXTURE_MODES; m++) {
      const acc = [0, 0, 0];
      let n = 0;
      for (let i = 0; i < 12; i++) {
        const it = fixtureItem('train', i, 128, 128, { modes: sameLight(c, m), appearance: i });
        const mean = classMean(it.layout, it.photo, c);
        if (mean) {
          mean.forEach((v, k) => (acc[k] += v));
          n++;
        }
      }
      t.true(n > 0, `class ${c} absent from 12 items`);
      means.push(acc.map((v) => v / n));
    }
    for (let i = 0; i < FIXTURE_MODES; i++)
      for (let j = i + 1; j < FIXTURE_MODES; j++) t.true(meanAbs(means[i], means[j]) > 15, `class ${FIXTURE_CLASSES[c].name}: looks ${i} and ${j} have mean colours ${means[i]} and ${means[j]}`);
  }
  // Random draws of one layout: where a class's look changed, its pixels changed a lot; where it did
  // not, only jitter and noise.
  const changed: number[] = [];
  const same: number[] = [];
  for (let d = 1; d <= 8; d++) {
    const a = fixtureItem('test', 2, S, S, { appearance: 0 });
    const b = fixtureItem('test', 2, S, S, { appearance: d });
    for (let c = 0; c < 12; c++) {
      const ma = classMean(a.layout, a.photo, c);
      const mb = classMean(b.layout, b.photo, c);
      if (!ma || !mb) continue;
      (a.modes[c] !== b.modes[c] ? changed : same).push(meanAbs(ma, mb));
    }
  }
  const avg = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  t.true(changed.length > 20 && same.length > 3);
  t.true(Math.min(...changed) > 10, `class mean differences where the look changed: ${changed.map((v) => v.toFixed(0))}`);
  t.true(avg(changed) > 3 * avg(same), `changed ${avg(changed).toFixed(1)}, same look ${avg(same).toFixed(1)}`);
  t.log(`class mean |Δ| between draws: look changed ${avg(changed).toFixed(1)} (min ${Math.min(...changed).toFixed(1)}), same look ${avg(same).toFixed(1)}`);
  // Over many draws, every class takes several looks.
  for (let c = 0; c < 12; c++) {
    const seen = new Set<number>();
    for (let d = 0; d < 20; d++) seen.add(fixtureItem('train', 0, 8, 8, { appearance: d }).modes[c]);
    t.true(seen.size >= 3, `class ${c}: looks ${[...seen]}`);
  }
});

test('fixture: planar form matches the interleaved one and stays in [0, 1]', (t) => {
  const a = fixtureItem('train', 9, 32, 32, { appearance: 2 });
  const p = facadeItem('train', 9, 32, 2);
  t.deepEqual(p.classes, a.layout);
  const hw = 32 * 32;
  for (let i = 0; i < hw; i += 37) for (let c = 0; c < 3; c++) t.is(Math.round(p.photo[c * hw + i] * 255), a.photo[3 * i + c]);
});

test('fixture: time per 256x256 item (logged, not asserted)', (t) => {
  fixtureItem('train', 0, 256);
  const t0 = performance.now();
  for (let i = 0; i < 10; i++) fixtureItem('train', i, 256);
  const ms = (performance.now() - t0) / 10;
  t.log(`${ms.toFixed(1)} ms per 256x256 item`);
  t.true(ms > 0);
});
