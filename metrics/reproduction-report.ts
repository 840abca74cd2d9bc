// A reproduction's report (divsyn reproduce): report.json with the table as the paper lays it out (one row
// per model), the paper's published rows, the settings used, the time of each stage and the figures; and
// report.html with the paper's numbers and ours side by side.
import path from 'node:path';
import { writeFileAtomic } from '../common/files.js';
import { STYLE, esc, f3, table } from './report.js';

export type Cell = number | string | boolean | null | undefined;
export type TableRow = { model: string } & { [measure: string]: Cell | Record<string, Cell> };

export interface ReproductionReport {
  reproduction: string;
  title: string;
  data: string;
  /** Our rows, one per model as in the paper. */
  table: TableRow[];
  /** The paper's published rows (the measures it reports). */
  paper: TableRow[];
  /** Further results by name (the trade, accuracy against K, the segmenter on the true photos). */
  [section: string]: unknown;
  figures: Record<string, string>;
  settings: Record<string, unknown>;
  stages: { name: string; seconds: number }[];
  /** All stages together (as recorded: the attempt that finished each). */
  seconds: number;
}

export interface Column {
  key: string;
  label: string;
}

/** How report.html shows a report: the measures compared with the paper's, ours alone, notes and further sections. */
export interface ReportLayout {
  compared: Column[];
  ours: Column[];
  notes: string[];
  sections: { title: string; head?: string[]; rows?: string[][]; image?: string; note?: string }[];
}

/** A measure as the report shows it: three decimals, or three significant digits below 0.1 (diversities of 0.01). */
export const measureText = (x: number | undefined | null): string => (x === undefined || x === null || !Number.isFinite(x) || x === 0 || Math.abs(x) >= 0.1 ? f3(x) : x.toPrecision(3));

const cell = (v: unknown) => (typeof v === 'number' ? measureText(v) : typeof v === 'string' || typeof v === 'boolean' ? esc(String(v)) : v === undefined || v === null ? '–' : esc(JSON.stringify(v)));

/** Writes DIR/report.json and DIR/report.html. */
export function writeReproductionReport(dir: string, report: ReproductionReport, layout: ReportLayout): void {
  writeFileAtomic(path.join(dir, 'report.json'), JSON.stringify(report, null, 1) + '\n');
  const published = new Map(report.paper.map((r) => [r.model, r]));
  const head = ['model', ...layout.compared.flatMap((c) => [`${c.label} (paper)`, `${c.label} (ours)`]), ...layout.ours.map((c) => c.label)];
  const rows = report.table.map((r) => [r.model, ...layout.compared.flatMap((c) => [cell(published.get(r.model)?.[c.key]), `<b>${cell(r[c.key])}</b>`]), ...layout.ours.map((c) => cell(r[c.key]))]);
  const stages = table(['stage', 'seconds'], [...report.stages.map((s) => [s.name, s.seconds.toFixed(1)]), ['all', report.seconds.toFixed(1)]]);
  const sections = layout.sections.map(
    (s) =>
      `<h2>${esc(s.title)}</h2>${s.note ? `<p class="note">${esc(s.note)}</p>` : ''}${s.head && s.rows ? table(s.head, s.rows) : ''}${s.image ? `<img src="${esc(s.image)}" alt="${esc(s.title)}">` : ''}`,
  );
  const html = `<!doctype html>
<html><head><meta charset="utf-8"><title>divsyn reproduce ${esc(report.reproduction)}</title>
<style>${STYLE}</style>
</head><body>
<h1>${esc(report.title)}</h1>
<p class="note">${esc(report.data)}</p>
${layout.notes.map((n) => `<p class="note">${esc(n)}</p>`).join('\n')}
<h2>The table: the paper's numbers and ours</h2>
${table(head, rows)}
${sections.join('\n')}
<h2>Settings</h2>
<pre>${esc(JSON.stringify(report.settings, null, 1))}</pre>
<h2>Time per stage</h2>
${stages}
</body></html>
`;
  writeFileAtomic(path.join(dir, 'report.html'), html);
}
