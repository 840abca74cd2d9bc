// The report's plots: every point of a scatter told apart by colour or marker and named once in its
// legend, however close the points lie (a trade sweep's points often overlap).
import test from 'ava';
import { scatterSvg } from '../metrics/plot.js';

const points = Array.from({ length: 12 }, (_, i) => ({ label: `β ${i}, λ 0.3`, x: 0.25 + i * 1e-3, y: 0.53 + (i % 3) * 1e-3 }));

test('scatter: each point its own colour and marker, each label once in the legend, inside the picture', (t) => {
  const svg = scatterSvg([{ label: 'pix2pix', x: 0.0145, y: 0.595 }, ...points], 'diversity', 'accuracy', 'trade', [{ y: 0.575, label: 'pix2pix − 0.02' }]);
  const width = Number(/<svg[^>]* width="(\d+)"/.exec(svg)![1]);
  const height = Number(/<svg[^>]* height="(\d+)"/.exec(svg)![1]);
  for (const p of ['pix2pix', ...points.map((q) => q.label)]) t.is(svg.split(`>${p}</text>`).length - 1, 1, p);
  // markers: in the plot and in the legend, one style per point
  const marks = [...svg.matchAll(/<(circle|rect|polygon) ([^>]*)fill="(#[0-9a-f]{6})"\/>/g)].map((m) => `${m[1]} ${m[3]}`);
  t.is(marks.length, 2 * 13);
  t.is(new Set(marks).size, 13);
  // legend texts stay inside the picture
  for (const m of svg.matchAll(/<text x="([\d.]+)" y="([\d.]+)">β/g)) {
    t.true(Number(m[1]) + 7 * 'β 11, λ 0.3'.length <= width);
    t.true(Number(m[2]) <= height);
  }
  // the points' x order follows their diversity (each point's marker, then its legend entry's)
  const xs = [...svg.matchAll(/<circle cx="([\d.]+)"/g)].map((m) => Number(m[1]));
  t.true(xs[0] < xs[2] && xs[2] < xs[4]);
});
