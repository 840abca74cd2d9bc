// Inputs other than label maps (issue 24), below training: heat maps against hand-computed values, the
// point-file readers, the 68-point flip, normal maps read and paired by name, augmentation moving points
// and normals with the photo, the conditions' neighbour distance, and the bundled heads and faces.
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { Rng } from '../graph/random.js';
import { UserError } from '../common/errors.js';
import { MIRROR_68, flipPermutation, mirrorPoints, normalPlanes, parsePoints, renderHeatMaps } from '../common/conditions.js';
import { writePng } from '../common/image.js';
import { augmentNormals, augmentPoints } from '../train/augment.js';
import { conditionReader, datasetCondition, landmarksFolder, normalsFolder, openConditionDataset } from '../train/condition-data.js';
import { conditionNeighbourTable } from '../train/neighbours.js';
import { headItem } from '../fixtures/heads.js';
import { faceItem, facePoints } from '../fixtures/faces.js';
import { tempDir } from './helpers/cli.js';

const thrown = (t: { throws: (f: () => unknown, e?: object) => unknown }, f: () => unknown) => (t.throws(f, { instanceOf: UserError }) as Error).message;

test('heat map: one point at (3.3, 2.6), sigma 2: exp(-d²/8) at the pixel centres, as computed by hand', (t) => {
  const [w, h] = [6, 5];
  const map = renderHeatMaps(Float32Array.of(3.3, 2.6), w, h, 2);
  t.is(map.length, w * h);
  // d² = 0.7² + 0.6² = 0.85 at (4, 2); 0.3² + 0.4² = 0.25 at (3, 3); 3.3² + 2.6² = 17.65 at (0, 0); 1.7² + 1.4² = 4.85 at (5, 4)
  const expected: [number, number, number][] = [
    [4, 2, 0.8991998],
    [3, 3, 0.9692332],
    [0, 0, 0.1101128],
    [5, 4, 0.5453923],
  ];
  for (const [x, y, v] of expected) t.true(Math.abs(map[y * w + x] - v) < 1e-6, `(${x}, ${y}): ${map[y * w + x]} vs ${v}`);
  // the peak is the pixel nearest the point, and nothing reaches 1 off it
  t.is(map.indexOf(Math.max(...map)), 3 * w + 3);
  // K points give K maps, in point order
  const two = renderHeatMaps(Float32Array.of(0, 0, 5, 4), w, h, 1);
  t.is(two[0], 1);
  t.is(two[w * h + 4 * w + 5], 1);
});

test('point files: .pts (1-based, header, count checked) and plain "x y" lines (0-based); bad ones name the file and line', (t) => {
  const pts = 'version: 1\nn_points:  3\n{\n1 1\n10.5 20.25\n3 4\n}\n';
  t.deepEqual(Array.from(parsePoints(pts, 'a.pts')), [0, 0, 9.5, 19.25, 2, 3]);
  t.deepEqual(Array.from(parsePoints('# x y\n1 2\n\n3.5,4\r\n 5\t6 \n', 'a.txt')), [1, 2, 3.5, 4, 5, 6]);
  t.regex(
    thrown(t, () => parsePoints('version: 1\nn_points: 4\n{\n1 1\n2 2\n}\n', 'b.pts')),
    /'b\.pts': n_points is 4 but 2 points follow/,
  );
  t.regex(
    thrown(t, () => parsePoints('version: 1\nn_points: 1\n{\n1 1\n', 'c.pts')),
    /'c\.pts': no '}'/,
  );
  t.regex(
    thrown(t, () => parsePoints('1 2\n3 4 5\n', 'd.txt')),
    /'d\.txt', line 2: '3 4 5' is not "x y"/,
  );
  t.regex(
    thrown(t, () => parsePoints('1 x\n', 'e.txt')),
    /'e\.txt', line 1/,
  );
  t.regex(
    thrown(t, () => parsePoints('\n# nothing\n', 'f.txt')),
    /'f\.txt' holds no points/,
  );
});

test('flip: the 68-point mirror map swaps left and right (an involution), keeps the midline, and is off for other counts', (t) => {
  t.is(MIRROR_68.length, 68);
  t.deepEqual(
    [...MIRROR_68].sort((a, b) => a - b),
    [...Array(68).keys()],
  );
  MIRROR_68.forEach((j, i) => t.is(MIRROR_68[j], i));
  const pairs: [number, number][] = [
    [0, 16],
    [7, 9],
    [17, 26],
    [21, 22],
    [31, 35],
    [36, 45],
    [39, 42],
    [40, 47],
    [41, 46],
    [48, 54],
    [55, 59],
    [60, 64],
    [65, 67],
  ];
  for (const [a, b] of pairs) t.is(MIRROR_68[a], b);
  for (const i of [8, 27, 28, 29, 30, 33, 51, 57, 62, 66]) t.is(MIRROR_68[i], i);
  t.is(flipPermutation(68), MIRROR_68);
  t.is(flipPermutation(5), undefined);
  // on the bundled faces: a point left of its partner is again left of it once mirrored with the map (the
  // left eye's corner is again a left eye's corner), and would be right of it mirrored without
  const w = 64;
  const points = facePoints('train', 3, w);
  const mirrored = mirrorPoints(points, w, MIRROR_68);
  const plain = mirrorPoints(
    points,
    w,
    MIRROR_68.map((_, i) => i),
  );
  for (const [a, b] of pairs) {
    const side = Math.sign(points[2 * a] - points[2 * b]);
    t.not(side, 0);
    t.is(Math.sign(mirrored[2 * a] - mirrored[2 * b]), side, `pair ${a}, ${b}`);
    t.is(Math.sign(plain[2 * a] - plain[2 * b]), -side);
  }
});

/** A photo (at the load size, so augmentation does not resize it) with one white pixel at (x, y). */
function dotPhoto(w: number, h: number, x: number, y: number): Uint8Array {
  const p = new Uint8Array(w * h * 3);
  p.fill(255, 3 * (y * w + x), 3 * (y * w + x) + 3);
  return p;
}

const brightest = (photo: Uint8Array, w: number): [number, number] => {
  let best = 0;
  for (let i = 0; i < photo.length; i += 3) if (photo[i] > photo[best]) best = i;
  return [(best / 3) % w, Math.floor(best / 3 / w)];
};

test('augmentation moves the points with the photo (crop and flip), permuting them on a flip; no flip without a mirror map', (t) => {
  // 36 is the load size of 32: the photo is cropped and flipped, not resized
  const [load, out] = [36, 32];
  const points = new Float32Array(136);
  points[2 * 36] = 10; // point 36 on the dot; point 45, its mirror partner, elsewhere
  points[2 * 36 + 1] = 20;
  points[2 * 45] = 30;
  points[2 * 45 + 1] = 5;
  let flips = 0;
  for (let g = 0; g < 16; g++) {
    const a = augmentPoints({ points, photo: dotPhoto(load, load, 10, 20), width: load, height: load }, new Rng(1, `augment:${g}`), MIRROR_68, out);
    const at = a.flip ? 45 : 36;
    t.deepEqual(brightest(a.photo, out), [Math.round(a.points[2 * at]), Math.round(a.points[2 * at + 1])]);
    if (a.flip) {
      flips++;
      t.is(a.points[2 * 36], out - 1 - (30 - a.x0)); // point 36 of the mirrored face is point 45 mirrored
    }
  }
  t.true(flips > 0 && flips < 16);
  const five = Float32Array.of(10, 20, 1, 1, 2, 2, 3, 3, 4, 4);
  for (let g = 0; g < 16; g++) t.false(augmentPoints({ points: five, photo: dotPhoto(load, load, 10, 20), width: load, height: load }, new Rng(1, `augment:${g}`), undefined, out).flip);
});

test('normal maps: v / 127.5 - 1; a flip mirrors the map and negates x', (t) => {
  t.deepEqual(Array.from(normalPlanes(Uint8Array.of(0, 255, 128, 255, 0, 64), 2, 1)), [-1, 1, 1, -1, 128 / 127.5 - 1, 64 / 127.5 - 1].map(Math.fround));
  const [load, out] = [36, 32];
  const normals = new Uint8Array(load * load * 3);
  for (let p = 0; p < load * load; p++) normals.set([200, 90, 250], 3 * p);
  normals.set([10, 90, 250], 3 * (20 * load + 10)); // one pixel pointing left, at the photo's dot
  for (let g = 0; g < 8; g++) {
    const a = augmentNormals({ normals, photo: dotPhoto(load, load, 10, 20), width: load, height: load }, new Rng(2, `augment:${g}`), out);
    const [x, y] = brightest(a.photo, out);
    const at = 3 * (y * out + x);
    t.deepEqual(Array.from(a.normals.subarray(at, at + 3)), a.flip ? [245, 90, 250] : [10, 90, 250]);
    t.deepEqual(Array.from(a.normals.subarray(0, 3)), a.flip ? [55, 90, 250] : [200, 90, 250]);
  }
});

async function writeRgb(file: string, w: number, h: number, rgb: (p: number) => [number, number, number]) {
  const data = new Uint8Array(w * h * 3);
  for (let p = 0; p < w * h; p++) data.set(rgb(p), 3 * p);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await writePng(file, { data, width: w, height: h, channels: 3 });
}

test('normal-map folders: paired with photos by name, a missing partner named; read as [3, H, W] in [-1, 1]', async (t) => {
  const d = tempDir('divsyn-cond-');
  await writeRgb(path.join(d, 'normals', 'a.png'), 8, 8, (p) => [p, 128, 255]);
  await writeRgb(path.join(d, 'photos', 'a.png'), 8, 8, () => [10, 20, 30]);
  const ds = normalsFolder(d);
  t.is(ds.length, 1);
  const reader = conditionReader(ds, datasetCondition(ds));
  t.is(reader.channels, 3);
  const it = await reader.read(0, { width: 8, height: 8, augment: false });
  const planes = new Float32Array(3 * 64);
  it.writeCondition(planes, 0);
  t.is(planes[5], Math.fround(5 / 127.5 - 1));
  t.is(planes[64 + 5], Math.fround(128 / 127.5 - 1));
  t.is(planes[128 + 5], 1);
  t.deepEqual(Array.from(it.photo.subarray(0, 3)), [10, 20, 30]);

  await writeRgb(path.join(d, 'normals', 'b.png'), 8, 8, () => [0, 0, 0]);
  t.regex(
    thrown(t, () => normalsFolder(d)),
    new RegExp(`normal map '${path.join(d, 'normals', 'b.png')}' has no photo \\(expected ${path.join(d, 'photos', 'b')}\\.jpg or \\.png\\)`),
  );
  fs.rmSync(path.join(d, 'normals', 'b.png'));
  await writeRgb(path.join(d, 'photos', 'c.png'), 8, 8, () => [0, 0, 0]);
  t.regex(
    thrown(t, () => normalsFolder(d)),
    new RegExp(`photo '${path.join(d, 'photos', 'c.png')}' has no normal map \\(expected ${path.join(d, 'normals', 'c')}\\.png\\)`),
  );
  fs.rmSync(path.join(d, 'photos', 'c.png'));
  await writeRgb(path.join(d, 'photos', 'a.png'), 6, 8, () => [0, 0, 0]);
  await t.throwsAsync(normalsFolder(d).load(0), { message: /normal map '.*a\.png' is 8x8 but its photo '.*a\.png' is 6x8/ });
  t.regex(
    thrown(t, () => normalsFolder(path.join(d, 'nothing'))),
    /does not exist/,
  );
});

test('landmark folders: .pts and .txt files by name; the point count of every file checked, naming it; points scaled to the model size', async (t) => {
  const d = tempDir('divsyn-cond-');
  fs.mkdirSync(path.join(d, 'landmarks'));
  fs.writeFileSync(path.join(d, 'landmarks', 'a.pts'), 'version: 1\nn_points: 2\n{\n2 2\n16 8\n}\n');
  fs.writeFileSync(path.join(d, 'landmarks', 'b.txt'), '1 1\n2 2\n3 3\n');
  await writeRgb(path.join(d, 'photos', 'a.png'), 16, 16, () => [1, 2, 3]);
  await writeRgb(path.join(d, 'photos', 'b.png'), 16, 16, () => [1, 2, 3]);
  const ds = landmarksFolder(d);
  t.is(ds.points, 2);
  const reader = conditionReader(ds, datasetCondition(ds, 1));
  // a.pts is 1-based: (1, 1) and (15, 7) at 16 px are (0.25, 0.25) and (7.25, 3.25) at 8 px
  const it = await reader.read(0, { width: 8, height: 8, augment: false });
  const maps = new Float32Array(2 * 64);
  it.writeCondition(maps, 0);
  t.true(Math.abs(maps[0] - Math.exp(-(0.25 ** 2 * 2) / 2)) < 1e-6);
  t.true(Math.abs(maps[64 + 3 * 8 + 7] - Math.exp(-(0.25 ** 2 * 2) / 2)) < 1e-6);
  await t.throwsAsync(reader.read(1, { width: 8, height: 8, augment: false }), { message: /point file '.*b\.txt' holds 3 points; '.*a\.pts' and the model have 2/ });
  fs.rmSync(path.join(d, 'photos', 'b.png'));
  t.regex(
    thrown(t, () => landmarksFolder(d)),
    /point file '.*b\.txt' has no photo/,
  );
});

test("neighbour distance: heat maps' closed form 1 - exp(-δ²/4σ²) per point (the rendered maps' relative L2); normal maps on the grid", (t) => {
  const sigma = 2;
  const a = Float32Array.of(20, 20, 40, 30);
  const b = Float32Array.of(23, 20, 40, 30); // the first point 3 px away
  const c = Float32Array.of(50, 50, 10, 10);
  const table = conditionNeighbourTable(
    [a, b, c].map((points) => ({ points, width: 64, height: 64 })),
    { kind: 'landmarks', sigma, theta: 0.5, k: 2 },
  );
  const expected = (1 - Math.exp(-9 / (4 * sigma * sigma))) / 2;
  t.deepEqual(table.neighbours, [[1], [0], []]);
  t.true(Math.abs(table.distances[0][0] - expected) < 1e-12);
  // the same from the rendered maps: ||ha - hb||² / (||ha||² + ||hb||²)
  const [ha, hb] = [renderHeatMaps(a, 64, 64, sigma), renderHeatMaps(b, 64, 64, sigma)];
  let [d, n] = [0, 0];
  for (let i = 0; i < ha.length; i++) {
    d += (ha[i] - hb[i]) ** 2;
    n += ha[i] ** 2 + hb[i] ** 2;
  }
  t.true(Math.abs(d / n - expected) < 1e-4, `${d / n} vs ${expected}`);

  const flat = (x: number) => ({ planes: new Float32Array(3 * 16 * 16).fill(x), width: 16, height: 16 });
  const normals = conditionNeighbourTable([flat(0.5), flat(0.5), flat(-0.5)], { kind: 'image', theta: 0.5, k: 2, size: 8 });
  t.deepEqual(normals.distances, [[0], [0], []]);
  t.deepEqual(normals.neighbours[2], []); // (1)² / (0.25 + 0.25) = 2 from both others
});

test('bundled heads and faces: the condition is the same for every look, the photos are not; looks are distinct; deterministic', (t) => {
  const h0 = headItem('train', 5, 32);
  const h1 = headItem('train', 5, 32, 32, { appearance: 1 });
  t.deepEqual(h0.normals, h1.normals);
  t.notDeepEqual(h0.photo, h1.photo);
  t.deepEqual(headItem('train', 5, 32).photo, h0.photo);
  t.notDeepEqual(headItem('train', 6, 32).normals, h0.normals);
  // unit normals on the head, the zero vector (128, 128, 128) around it
  t.deepEqual(Array.from(h0.normals.subarray(0, 3)), [128, 128, 128]);
  const centre = 3 * (16 * 32 + 16);
  const n = Array.from(h0.normals.subarray(centre, centre + 3), (v) => v / 127.5 - 1);
  t.true(Math.abs(Math.hypot(...n) - 1) < 0.02 && n[2] > 0.5);
  const looks = [0, 1, 2, 3].map((m) => headItem('train', 5, 32, 32, { modes: [m, 0, 0, 0] }).photo);
  for (let i = 0; i < 4; i++) for (let j = i + 1; j < 4; j++) t.notDeepEqual(looks[i], looks[j]);

  const f0 = faceItem('test', 2, 48);
  const f1 = faceItem('test', 2, 48, 48, { appearance: 3 });
  t.deepEqual(f0.points, f1.points);
  t.is(f0.points.length, 136);
  t.deepEqual(facePoints('test', 2, 48), f0.points);
  t.notDeepEqual(f0.photo, f1.photo);
  const skins = [0, 1, 2, 3].map((m) => faceItem('test', 2, 48, 48, { modes: [m, 0, 0, 0] }).photo);
  for (let i = 0; i < 4; i++) for (let j = i + 1; j < 4; j++) t.notDeepEqual(skins[i], skins[j]);
  // the fixture datasets: 68 points for faces, 3 channels for heads
  const faces = openConditionDataset({ data: 'fixture', input: 'landmarks' });
  t.is(datasetCondition(faces, 2).channels, 68);
  t.is(datasetCondition(openConditionDataset({ data: 'fixture', input: 'image', split: 'test' })).channels, 3);
  t.regex(
    thrown(t, () => openConditionDataset({ data: 'fixture', input: 'image', split: 'val' })),
    /splits train, test, not 'val'/,
  );
});
