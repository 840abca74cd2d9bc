// Plots as SVG (rasterised to PNG by the report writer): an accuracy-diversity scatter (He et al., Fig. 11)
// with a legend and optional horizontal guides (a baseline's accuracy and a tolerance below it), and lines of a measure
// against a count (best of K samples).
export interface Point {
  label: string;
  x: number;
  y: number;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function niceRange(values: number[]): [number, number] {
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (!(hi > lo)) {
    lo -= 0.5 * Math.abs(lo || 1) * 0.1;
    hi += 0.5 * Math.abs(hi || 1) * 0.1;
  }
  const pad = (hi - lo) * 0.15;
  return [lo - pad, hi + pad];
}

/** Tick values with as many decimals as tell ticks `step` apart (three at least). */
function tickText(v: number, step: number): string {
  const text = v.toFixed(Math.min(8, Math.max(3, Math.ceil(-Math.log10(Math.abs(step) || 1)) + 1)));
  // a tick a rounding error below zero
  return /^-[0.]+$/.test(text) ? text.slice(1) : text;
}

/** A horizontal line across the plot at y, with its label at the right end. */
export interface Guide {
  y: number;
  label: string;
}

/** Ten colours told apart easily (matplotlib's tab10), one per point or series. */
const COLOURS = ['#d62728', '#1f77b4', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
/** Marker shapes, changing after each round of the colours so that no two points look alike. */
const MARKERS = ['circle', 'square', 'triangle'] as const;

function marker(shape: (typeof MARKERS)[number], x: number, y: number, r: number, fill: string): string {
  if (shape === 'circle') return `<circle cx="${x}" cy="${y}" r="${r}" fill="${fill}"/>`;
  if (shape === 'square') return `<rect x="${x - r}" y="${y - r}" width="${2 * r}" height="${2 * r}" fill="${fill}"/>`;
  return `<polygon points="${x},${y - r * 1.2} ${x + r * 1.1},${y + r * 0.8} ${x - r * 1.1},${y + r * 0.8}" fill="${fill}"/>`;
}

/** Legend width for these labels: a marker, a gap and the longest label. */
const legendWidth = (labels: string[]) => 45 + 7 * Math.max(0, ...labels.map((l) => l.length));

interface Margins {
  l: number;
  r: number;
  t: number;
  b: number;
}

/** A W x H chart's opening: white ground, title, axes, the given tick labels and the axes' labels (marks and legend are the caller's). */
function frame(W: number, H: number, m: Margins, title: string, xLabel: string, yLabel: string, ticks: string[]): string[] {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="DejaVu Sans, sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${(W - m.r + m.l) / 2}" y="22" text-anchor="middle" font-size="15">${esc(title)}</text>`,
    `<line x1="${m.l}" y1="${H - m.b}" x2="${W - m.r}" y2="${H - m.b}" stroke="black"/>`,
    `<line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${H - m.b}" stroke="black"/>`,
    ...ticks,
    `<text x="${(m.l + W - m.r) / 2}" y="${H - 14}" text-anchor="middle">${esc(xLabel)}</text>`,
    `<text transform="translate(16 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`,
  ];
}

/** The y of the legend's row i, and its label's text at the legend's left. */
const legendY = (m: Margins, i: number) => m.t + 10 + i * 18;
const legendLabel = (W: number, m: Margins, ly: number, label: string) => `<text x="${W - m.r + 35}" y="${ly + 4}">${esc(label)}</text>`;

/**
 * Points of y against x, each its own colour (and marker, past ten) named in a legend at the right:
 * points of a trade sweep often lie close together, where labels beside them would overprint.
 */
export function scatterSvg(points: Point[], xLabel: string, yLabel: string, title: string, guides: Guide[] = []): string {
  const legend = legendWidth(points.map((p) => p.label));
  const [W, H] = [490 + legend, Math.max(400, 70 + 18 * points.length)];
  const m = { l: 70, r: legend, t: 40, b: 55 };
  const [x0, x1] = niceRange(points.map((p) => p.x));
  const [y0, y1] = niceRange([...points.map((p) => p.y), ...guides.map((g) => g.y)]);
  const sx = (x: number) => m.l + ((x - x0) / (x1 - x0)) * (W - m.l - m.r);
  const sy = (y: number) => H - m.b - ((y - y0) / (y1 - y0)) * (H - m.t - m.b);
  const ticks = (a: number, b: number) => Array.from({ length: 5 }, (_, i) => a + ((b - a) * i) / 4);
  const style = (i: number) => ({ colour: COLOURS[i % COLOURS.length], shape: MARKERS[Math.floor(i / COLOURS.length) % MARKERS.length] });
  const parts = [
    ...frame(W, H, m, title, xLabel, yLabel, [
      ...ticks(x0, x1).map((v) => `<text x="${sx(v)}" y="${H - m.b + 16}" text-anchor="middle">${tickText(v, (x1 - x0) / 4)}</text>`),
      ...ticks(y0, y1).map((v) => `<text x="${m.l - 6}" y="${sy(v) + 4}" text-anchor="end">${tickText(v, (y1 - y0) / 4)}</text>`),
    ]),
    ...guides.flatMap((g) => [
      `<line x1="${m.l}" y1="${sy(g.y)}" x2="${W - m.r}" y2="${sy(g.y)}" stroke="#888" stroke-dasharray="5 4"/>`,
      `<text x="${W - m.r - 4}" y="${sy(g.y) - 4}" text-anchor="end" fill="#555">${esc(g.label)}</text>`,
    ]),
    ...points.flatMap((p, i) => {
      const { colour, shape } = style(i);
      const ly = legendY(m, i);
      return [marker(shape, sx(p.x), sy(p.y), 6, colour), marker(shape, W - m.r + 20, ly, 5, colour), legendLabel(W, m, ly, p.label)];
    }),
    '</svg>',
  ];
  return parts.join('\n');
}

export interface Series {
  label: string;
  points: { x: number; y: number }[];
}

/** Lines of y against x, one per series, on a log2 x axis (counts 1, 2, 4, …), with a legend. */
export function linesSvg(series: Series[], xLabel: string, yLabel: string, title: string): string {
  const legend = legendWidth(series.map((s) => s.label));
  const [W, H] = [490 + legend, 400];
  const m = { l: 70, r: legend, t: 40, b: 55 };
  const xs = series.flatMap((s) => s.points.map((p) => Math.log2(p.x)));
  const [x0, x1] = [Math.min(...xs), Math.max(...xs) > Math.min(...xs) ? Math.max(...xs) : Math.min(...xs) + 1];
  const [y0, y1] = niceRange(series.flatMap((s) => s.points.map((p) => p.y)));
  const sx = (x: number) => m.l + ((Math.log2(x) - x0) / (x1 - x0)) * (W - m.l - m.r);
  const sy = (y: number) => H - m.b - ((y - y0) / (y1 - y0)) * (H - m.t - m.b);
  const xTicks = [...new Set(series.flatMap((s) => s.points.map((p) => p.x)))].sort((a, b) => a - b);
  const yTicks = Array.from({ length: 5 }, (_, i) => y0 + ((y1 - y0) * i) / 4);
  const parts = [
    ...frame(W, H, m, title, xLabel, yLabel, [
      ...xTicks.map((v) => `<text x="${sx(v)}" y="${H - m.b + 16}" text-anchor="middle">${v}</text>`),
      ...yTicks.map((v) => `<text x="${m.l - 6}" y="${sy(v) + 4}" text-anchor="end">${tickText(v, (y1 - y0) / 4)}</text>`),
    ]),
    ...series.flatMap((s, i) => {
      const colour = COLOURS[i % COLOURS.length];
      const ly = legendY(m, i);
      return [
        `<polyline fill="none" stroke="${colour}" stroke-width="2" points="${s.points.map((p) => `${sx(p.x)},${sy(p.y)}`).join(' ')}"/>`,
        ...s.points.map((p) => `<circle cx="${sx(p.x)}" cy="${sy(p.y)}" r="3" fill="${colour}"/>`),
        `<line x1="${W - m.r + 10}" y1="${ly}" x2="${W - m.r + 30}" y2="${ly}" stroke="${colour}" stroke-width="2"/>`,
        legendLabel(W, m, ly, s.label),
      ];
    }),
    '</svg>',
  ];
  return parts.join('\n');
}
