/** The printed table and the JSON file of a run. */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { LoadResult } from './load.js';

export interface Target {
  /** Human form, e.g. "≥ 0.80× baseline", "p99 ≤ 20 ms". */
  text: string;
  check(row: { orgbase: LoadResult; baseline: LoadResult; ratio: number }): boolean;
}

export interface ScenarioResult {
  scenario: string;
  orgbaseRequest: string;
  baselineRequest: string;
  orgbase: LoadResult;
  baseline: LoadResult;
  /** Orgbase req/s ÷ baseline req/s. */
  ratio: number;
  target: string;
  pass: boolean;
  /** Why a run is not trustworthy (non-2xx answers, socket errors), if it is not. */
  problems: string[];
  /** Share of the machine's CPUs busy with other processes meanwhile (Linux only). */
  otherCpuPercent?: number | undefined;
}

export function evaluate(
  scenario: string,
  requests: { orgbase: string; baseline: string },
  orgbase: LoadResult,
  baseline: LoadResult,
  target: Target,
): ScenarioResult {
  const ratio = orgbase.requestsPerSecond / baseline.requestsPerSecond;
  const problems: string[] = [];
  for (const [who, result] of [['orgbase', orgbase], ['baseline', baseline]] as const) {
    if (result.non2xx > 0) problems.push(`${who}: ${result.non2xx} non-2xx responses ${JSON.stringify(result.statusCodes)}`);
    if (result.errors > 0) problems.push(`${who}: ${result.errors} request errors (${result.timeouts} timeouts)`);
    if (result.ok === 0) problems.push(`${who}: no successful responses`);
  }
  const pass = problems.length === 0 && target.check({ orgbase, baseline, ratio });
  return {
    scenario,
    orgbaseRequest: requests.orgbase,
    baselineRequest: requests.baseline,
    orgbase,
    baseline,
    ratio,
    target: target.text,
    pass,
    problems,
  };
}

export const OTHER_LOAD_WARNING_PERCENT = 10;

const fixed = (value: number, digits: number) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');

export function renderTable(rows: ScenarioResult[]): string {
  const header = ['scenario', 'req/s', 'p50 ms', 'p99 ms', 'base req/s', 'base p50', 'base p99', 'ratio', 'target', 'result', 'other load'];
  const body = rows.map((row) => [
    row.scenario,
    fixed(row.orgbase.requestsPerSecond, 0),
    fixed(row.orgbase.p50Ms, 2),
    fixed(row.orgbase.p99Ms, 2),
    fixed(row.baseline.requestsPerSecond, 0),
    fixed(row.baseline.p50Ms, 2),
    fixed(row.baseline.p99Ms, 2),
    `${fixed(row.ratio, 2)}×`,
    row.target,
    row.problems.length > 0 ? 'FAIL*' : row.pass ? 'PASS' : 'FAIL',
    row.otherCpuPercent === undefined ? 'n/a' : `${row.otherCpuPercent.toFixed(0)}% CPU`,
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...body.map((cells) => cells[i]!.length)));
  const numeric = new Set([1, 2, 3, 4, 5, 6, 7, 10]);
  const line = (cells: string[]) =>
    cells.map((cell, i) => (numeric.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd();
  const rule = widths.map((w) => '─'.repeat(w)).join('  ');
  const lines = [line(header), rule, ...body.map(line)];
  const flagged = rows.filter((row) => row.problems.length > 0);
  if (flagged.length > 0) {
    lines.push('', '* the run is not trustworthy:');
    for (const row of flagged) for (const problem of row.problems) lines.push(`  ${row.scenario}: ${problem}`);
  }
  const busy = rows.filter((row) => (row.otherCpuPercent ?? 0) >= OTHER_LOAD_WARNING_PERCENT);
  if (busy.length > 0) {
    lines.push(
      '',
      `Warning: other processes used ≥ ${OTHER_LOAD_WARNING_PERCENT}% of the CPUs during ${busy.map((row) => row.scenario).join(', ')}: ` +
        'those numbers are depressed and noisy; rerun on a quiet machine.',
    );
  }
  return lines.join('\n');
}

export async function writeJson(path: string, data: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, JSON.stringify(data, null, 2) + '\n');
}
