// Images in memory (common/image.ts): float CHW to 8-bit RGB, the sample grid's layout, palette colours.
import test from 'ava';
import { ClassInfo } from '../graph/spec.js';
import { GridRow, RgbImage, chwToRgb, indicesToColors, labelledGrid, layoutToRgb, sampleGrid, wrapLabel } from '../common/image.js';

const classes: ClassInfo[] = [
  { name: 'a', color: [10, 20, 30] },
  { name: 'b', color: [200, 100, 50] },
];

test('CHW floats to RGB bytes: clipped to [0, 1], rounded, read at an offset', (t) => {
  // one 1x2 image after a skipped one: R = (-0.1, 0.5), G = (1.2, 0.2), B = (0, 1)
  const chw = Float32Array.of(9, 9, 9, 9, 9, 9, -0.1, 0.5, 1.2, 0.2, 0, 1);
  const img = chwToRgb(chw, 1, 2, 6);
  t.deepEqual([...img.data], [0, 255, 0, 128, 51, 255]);
  t.like(img, { width: 2, height: 1, channels: 3 });
});

test('CHW floats to RGB bytes round as Math.round(v·255) at every float32 near a rounding boundary, and NaN is 0', (t) => {
  const values: number[] = [Number.NaN, 2 ** -149, 1 - 2 ** -24];
  const f = new Float32Array(1);
  const bits = new Uint32Array(f.buffer);
  for (let k = 0; k < 255; k++) {
    f[0] = (k + 0.5) / 255;
    const at = bits[0];
    for (let d = -40; d <= 40; d++) {
      bits[0] = at + d;
      values.push(f[0]);
    }
  }
  const n = values.length;
  const chw = new Float32Array(3 * n);
  chw.set(values, 0);
  chw.set(values, n);
  chw.set(values, 2 * n);
  const img = chwToRgb(chw, 1, n);
  const expected = Float32Array.from(values).map((v) => (Number.isNaN(v) ? 0 : Math.round(v * 255)));
  const wrong = [...expected].findIndex((e, i) => img.data[3 * i] !== e || img.data[3 * i + 1] !== e || img.data[3 * i + 2] !== e);
  t.is(wrong, -1, `value ${values[wrong]} gave ${img.data[3 * wrong]}, expected ${expected[wrong]}`);
});

test('palette colours: a class index, or black where a pixel has no class', (t) => {
  t.deepEqual([...indicesToColors(Uint8Array.of(1, 0, 7), classes)], [200, 100, 50, 10, 20, 30, 0, 0, 0]);
  // pixels: class b, class a, none (both planes at 0)
  const onehot = Float32Array.of(0, 1, 0, 1, 0, 0);
  t.deepEqual([...layoutToRgb(onehot, { classes, height: 1, width: 3 }).data], [200, 100, 50, 10, 20, 30, 0, 0, 0]);
});

test('a sample grid: one row per layout, the lead images then the generated ones, 2 white pixels apart', (t) => {
  const grey = (v: number) => Float32Array.of(v, v, v);
  const lead = chwToRgb(Float32Array.of(1, 0, 0), 1, 1);
  const rows: GridRow[] = [
    { lead: [lead], images: Float32Array.of(...grey(0), ...grey(0.2)) },
    { lead: [lead], images: Float32Array.of(...grey(0.4), ...grey(0.6)) },
  ];
  const g = sampleGrid(rows, 1, 1);
  t.like(g, { width: 3 + 2 * 2, height: 2 + 2, channels: 3 });
  const at = (x: number, y: number) => [...g.data.subarray((y * g.width + x) * 3, (y * g.width + x) * 3 + 3)];
  t.deepEqual(
    [at(0, 0), at(3, 0), at(6, 0)],
    [
      [255, 0, 0],
      [0, 0, 0],
      [51, 51, 51],
    ],
  );
  t.deepEqual(
    [at(0, 3), at(3, 3), at(6, 3)],
    [
      [255, 0, 0],
      [102, 102, 102],
      [153, 153, 153],
    ],
  );
  t.deepEqual(
    [at(1, 0), at(0, 1), at(4, 2)],
    [
      [255, 255, 255],
      [255, 255, 255],
      [255, 255, 255],
    ],
  );
});

test('a labelled grid wraps into rows of N and numbers them: image i at row label + column label', (t) => {
  const solid = (v: number): RgbImage => ({ data: new Uint8Array(16 * 16 * 3).fill(v), width: 16, height: 16, channels: 3 });
  const grid = labelledGrid(
    [0, 1, 2, 3, 4].map((i) => solid(i * 40)),
    2,
  );
  // 3 rows of 2; the row labels (0, 2, 4) take 6 + 4 pixels on the left, the column labels 10 + 4 on top
  const [left, top] = [10, 14];
  t.deepEqual([grid.width, grid.height], [left + 2 * 16 + 2, top + 3 * 16 + 2 * 2]);
  const at = (x: number, y: number) => grid.data[(y * grid.width + x) * 3];
  for (let i = 0; i < 5; i++) t.is(at(left + (i % 2) * 18 + 8, top + Math.floor(i / 2) * 18 + 8), i * 40, `image ${i}`);
  t.is(at(left + 1 * 18 + 8, top + 2 * 18 + 8), 255, 'no sixth image');
  // the digits are drawn in dark grey: some pixels of each label's box, and none in the white corner
  const dark = (x0: number, y0: number, w: number, h: number) => Array.from({ length: w * h }, (_, p) => at(x0 + (p % w), y0 + Math.floor(p / w))).some((v) => v === 64);
  t.true(dark(left, 0, 16, top), 'column 0 is numbered');
  t.true(dark(left + 18, 0, 16, top), 'column 1 is numbered');
  t.true(dark(0, top + 2 * 18, left, 16), 'row 2 is numbered');
  t.false(dark(0, 0, left, top), 'the corner stays white');
});

test('a column label wider than its cell wraps onto more lines and stays inside its column', (t) => {
  t.deepEqual(wrapLabel('shared, best-of-n', 64), ['shared,', 'best-of-', 'n']);
  t.deepEqual(wrapLabel('k=1', 64), ['k=1']);
  const size = 16;
  const white = () => ({ lead: [], images: new Float32Array(2 * 3 * size * size).fill(1) }) satisfies GridRow;
  const grid = sampleGrid([white()], size, size, ['neighbours-enhanced', 'k=1']);
  const short = sampleGrid([white()], size, size, ['a', 'k=1']);
  t.true(grid.height > short.height, 'more header lines');
  const dark = (img: RgbImage, x0: number, x1: number, rows: number) => {
    let n = 0;
    for (let y = 0; y < rows; y++) for (let x = x0; x < x1; x++) if (img.data[(y * img.width + x) * 3] < 128) n++;
    return n;
  };
  const header = grid.height - size;
  t.true(dark(grid, 0, size, header) > 0, 'the long label is drawn');
  // the second column's header holds only its own label, as with a short first label
  t.is(dark(grid, size, grid.width, header), dark(short, size, short.width, short.height - size));
});
