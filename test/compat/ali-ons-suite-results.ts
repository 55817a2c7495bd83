/**
 * What one run of ali-ons's suite showed, on pure code: the outcome lines mocha-results-reporter.cjs
 * wrote for a test file read into counts and failures, and the report printed per run (a table of
 * file, passing, failing, pending and duration, then each failing test with its error's first line).
 */

export type OutcomeState = 'passed' | 'failed' | 'pending';

export interface TestOutcome {
  state: OutcomeState;
  /** describe blocks, then the test's (or hook's) title */
  titlePath: string[];
  durationMs?: number;
  /** the error's name and whole message (failed only) */
  error?: string;
}

export interface MochaResults {
  outcomes: TestOutcome[];
  /** mocha reached its end; false when it crashed, was killed or never loaded the file */
  finished: boolean;
}

/** The reporter's lines: one JSON object per outcome, then {"state":"end"}. A torn last line is ignored. */
export function parseMochaResults(text: string): MochaResults {
  const outcomes: TestOutcome[] = [];
  let finished = false;
  for (const line of text.split('\n')) {
    const record = parseLine(line);
    if (record === undefined) continue;
    if (record.state === 'end') finished = true;
    else outcomes.push(record);
  }
  return { outcomes, finished };
}

function parseLine(line: string): TestOutcome | { state: 'end' } | undefined {
  if (line.trim() === '') return undefined;
  try {
    const record = JSON.parse(line) as TestOutcome | { state: 'end' };
    return ['passed', 'failed', 'pending', 'end'].includes(record.state) ? record : undefined;
  } catch {
    return undefined;
  }
}

/** How egg-bin ended. */
export interface ProcessEnd {
  code: number | null;
  signal: string | null;
}

export interface FileResult {
  file: string;
  passing: number;
  failing: number;
  pending: number;
  durationMs: number;
  finished: boolean;
  end: ProcessEnd;
  failures: { title: string; error: string }[];
}

/** One test file's result: its outcomes counted, and a file mocha did not finish counted as a failure of its own. */
export function fileResult(file: string, results: MochaResults, durationMs: number, end: ProcessEnd): FileResult {
  const count = (state: OutcomeState) => results.outcomes.filter((o) => o.state === state).length;
  const failures = results.outcomes
    .filter((o) => o.state === 'failed')
    .map((o) => ({ title: o.titlePath.join(' > '), error: errorSummary(o.error ?? '') }));
  if (!results.finished) failures.push({ title: `${file} (mocha did not finish)`, error: `egg-bin ended with ${describeEnd(end)} before mocha reported its end; see the log` });
  return { file, passing: count('passed'), failing: failures.length, pending: count('pending'), durationMs, finished: results.finished, end, failures };
}

function describeEnd(end: ProcessEnd): string {
  return end.signal ? `signal ${end.signal}` : `exit code ${end.code}`;
}

/**
 * An error's first line. power-assert's first line only says where (`AssertionError: # file:line`),
 * so the asserted expression on its third line is added to it.
 */
export function errorSummary(error: string): string {
  const lines = error.split('\n');
  const first = lines[0].replace(/\s+/g, ' ').trim();
  const where = /^(\w*Error): # (\S+)$/.exec(first);
  const expression = lines.slice(1).map((l) => l.trim()).find((l) => l !== '');
  if (where && expression) return `${where[1]}: ${expression} (${where[2]})`;
  return first === '' ? '(no message)' : first;
}

export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, '0')} s`;
}

/** A run's report: the table (Markdown, columns aligned), then each failing test with its error's first line. */
export function formatRunReport(run: number, runs: number, results: readonly FileResult[]): string {
  const rows = results.map((r) => [r.file, String(r.passing), String(r.failing), String(r.pending), formatDuration(r.durationMs)]);
  const total = (key: 'passing' | 'failing' | 'pending') => String(results.reduce((sum, r) => sum + r[key], 0));
  rows.push(['total', total('passing'), total('failing'), total('pending'), formatDuration(results.reduce((sum, r) => sum + r.durationMs, 0))]);
  const lines = [`run ${run} of ${runs}`, '', ...markdownTable(['file', 'passing', 'failing', 'pending', 'duration'], rows)];
  const failures = results.flatMap((r) => r.failures);
  if (failures.length > 0) {
    lines.push('', 'failing:');
    for (const f of failures) lines.push(`  ${f.title}`, `    ${f.error}`);
  }
  return lines.join('\n');
}

function markdownTable(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? `${'-'.repeat(w + 2)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(header), rule, ...rows.map(line)];
}
