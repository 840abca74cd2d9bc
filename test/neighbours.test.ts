// Neighbours by layout distance on hand-built sets: distances, the theta cut, the k cap, self
// exclusion, one neighbour per colour cluster, and the cache.
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { colourHistogram, loadOrComputeNeighbours, neighbourKey, neighbourTable, resampleNearest, NeighbourItem, NeighbourTable } from '../train/neighbours.js';
import { fixtureItem } from '../fixtures/facades.js';
import { tempDir } from './helpers/cli.js';

/** A 4x4 layout of class 0 with the listed pixels set to the given class. */
function item(set: [number, number][] = [], photo?: [number, number, number]): NeighbourItem {
  const layout = new Uint8Array(16);
  for (const [p, c] of set) layout[p] = c;
  return { layout, width: 4, height: 4, photo: photo ? new Uint8Array(48).map((_, i) => photo[i % 3]) : undefined };
}

// A: all 0; B: pixel 0 is 1; C: top row is 1; D: all 1; E: pixel 15 is 2.
// Distances (in 16ths): AB 1, AC 4, AD 16, AE 1, BC 3, BD 15, BE 2, CD 12, CE 5, DE 16.
const A = item();
const B = item([[0, 1]]);
const C = item([
  [0, 1],
  [1, 1],
  [2, 1],
  [3, 1],
]);
const D = item(Array.from({ length: 16 }, (_, p) => [p, 1] as [number, number]));
const E = item([[15, 2]]);
const SET = [A, B, C, D, E];

test('neighbours: closest first, under theta, self excluded, ties by index', (t) => {
  const tab = neighbourTable(SET, { theta: 0.3, k: 10, size: 4 });
  t.deepEqual(tab.neighbours, [[1, 4, 2], [0, 4, 2], [1, 0], [], [0, 1]], 'CE = 5/16 > 0.3 is cut');
  t.deepEqual(tab.distances[0], [1 / 16, 1 / 16, 4 / 16]);
  t.deepEqual(tab.distances[2], [3 / 16, 4 / 16]);
  t.is(tab.clusters, null);
});

test('neighbours: theta is strict, k caps the list', (t) => {
  t.deepEqual(neighbourTable(SET, { theta: 0.25, k: 10, size: 4 }).neighbours[0], [1, 4], 'AC = 0.25 is not < 0.25');
  t.deepEqual(neighbourTable(SET, { theta: 0.3, k: 1, size: 4 }).neighbours, [[1], [0], [1], [], [0]]);
  // an identical copy is a neighbour at distance 0, the item itself never
  const twin = neighbourTable([A, item()], { theta: 0.1, k: 5, size: 4 });
  t.deepEqual(twin.neighbours, [[1], [0]]);
  t.deepEqual(twin.distances, [[0], [0]]);
});

test('layouts are compared on a common grid, nearest-resampled at cell centres', (t) => {
  const big = new Uint8Array(64).map((_, i) => i);
  // 8 -> 4: cell (x, y) samples pixel (2x + 1, 2y + 1)
  t.deepEqual([...resampleNearest(big, 8, 8, 4)], [9, 11, 13, 15, 25, 27, 29, 31, 41, 43, 45, 47, 57, 59, 61, 63]);
  // C at 8x8 (each pixel a 2x2 block) is at distance 0 from C at 4x4, and 4/16 from A
  const c8 = new Uint8Array(64).map((_, i) => C.layout[Math.floor(Math.floor(i / 8) / 2) * 4 + Math.floor((i % 8) / 2)]);
  const tab = neighbourTable([A, C, { layout: c8, width: 8, height: 8 }], { theta: 1, k: 5, size: 4 });
  t.deepEqual(tab.neighbours[2], [1, 0]);
  t.deepEqual(tab.distances[2], [0, 4 / 16]);
});

test('colour histogram: 4x4x4 bins, normalised', (t) => {
  const h = colourHistogram(Uint8Array.of(0, 0, 0, 255, 255, 255, 64, 128, 192, 63, 0, 0));
  t.is(h.length, 64);
  t.is(h[0], 0.5, 'black and (63, 0, 0) share bin 0');
  t.is(h[63], 0.25);
  t.is(h[(1 * 4 + 2) * 4 + 3], 0.25);
});

test('one neighbour per colour cluster: the closest of each', (t) => {
  // same colours, same cluster: red 0, 1; blue 2, 3; green 4, 5. Distances to item 0: 4, 3, 1, 2, 5 (16ths)
  const red: [number, number, number] = [250, 0, 0],
    blue: [number, number, number] = [0, 0, 250],
    green: [number, number, number] = [0, 250, 0];
  const ones = (m: number) => Array.from({ length: m }, (_, p) => [p, 1] as [number, number]);
  const items = [item([], red), item(ones(4), red), item(ones(3), blue), item(ones(1), blue), item(ones(2), green), item(ones(5), green)];
  const plain = neighbourTable(items, { theta: 0.5, k: 10, size: 4 });
  t.deepEqual(plain.neighbours[0], [3, 4, 2, 1, 5]);
  for (const seed of [0, 1, 2, 3]) {
    const tab = neighbourTable(items, { theta: 0.5, k: 10, size: 4, clusters: 3, seed });
    const c = tab.clusters!;
    t.true(c[0] === c[1] && c[2] === c[3] && c[4] === c[5]);
    t.is(new Set(c).size, 3);
    t.deepEqual(tab.neighbours[0], [3, 4, 1], 'blue 3 (not 2), green 4 (not 5), red 1');
    t.deepEqual(tab.distances[0], [1 / 16, 2 / 16, 4 / 16]);
  }
  t.deepEqual(neighbourTable(items, { theta: 0.5, k: 2, size: 4, clusters: 3 }).neighbours[0], [3, 4]);
  t.throws(() => neighbourTable(SET, { theta: 0.5, k: 2, size: 4, clusters: 2 }), { message: /item 0 has none/ });
});

test('cache: reused under the same key, recomputed under another or when corrupt', (t) => {
  const file = path.join(tempDir(), 'cache', 'neighbours.json');
  let computed = 0;
  const compute = (): NeighbourTable => {
    computed++;
    return neighbourTable(SET, { theta: 0.3, k: 10, size: 4 });
  };
  const key = neighbourKey('fixture:train:5', { theta: 0.3, k: 10, size: 4 });
  const first = loadOrComputeNeighbours(file, key, compute);
  t.is(computed, 1);
  t.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')).key, key);
  t.deepEqual(loadOrComputeNeighbours(file, key, compute), first);
  t.is(computed, 1, 'same key: read back');
  t.deepEqual(fs.readdirSync(path.dirname(file)), ['neighbours.json'], 'no temporary left');

  t.is(neighbourKey('d', { theta: 0.3, k: 2 }), neighbourKey('d', { theta: 0.3, k: 2, size: 32, clusters: 0 }), 'defaults filled in');
  const other = neighbourKey('fixture:train:5', { theta: 0.2, k: 10, size: 4 });
  t.not(other, key);
  loadOrComputeNeighbours(file, other, compute);
  t.is(computed, 2, 'another key: recomputed');
  loadOrComputeNeighbours(file, other, compute);
  t.is(computed, 2);
  fs.writeFileSync(file, '{"key": ');
  t.deepEqual(loadOrComputeNeighbours(file, other, compute), first);
  t.is(computed, 3, 'corrupt file: recomputed');
});

test('400 fixture items at 64 px: fast enough, symmetric distances', (t) => {
  const items = Array.from({ length: 400 }, (_, i) => fixtureItem('train', i, 64));
  const t0 = performance.now();
  const tab = neighbourTable(items, { theta: 0.3, k: 5, clusters: 8, seed: 1 });
  const ms = performance.now() - t0;
  t.log(`${ms.toFixed(0)} ms; mean neighbours ${(tab.neighbours.flat().length / 400).toFixed(2)}`);
  t.true(ms < 20_000);
  t.true(tab.neighbours.every((list, i) => list.length <= 5 && !list.includes(i)));
  t.true(tab.distances.every((d) => d.every((v, m) => v < 0.3 && (m === 0 || d[m - 1] <= v))));
});
