/**
 * What `zeroloss drill` writes for scripts and pipelines: one object per run (the --json output), and
 * from it a JUnit XML file (--junit FILE, one test case per run, for a CI's test tab) and a Markdown
 * file (--markdown FILE, for a pull-request comment or a job summary). All three say the same thing as
 * the exit status: a run that did not finish is an error (2), a run that lost a SEND_OK message or was
 * judged FAIL is a failure.
 */
import type { DrillRunDetail, LedgerSummary } from './types';
import { LEDGER_STATUSES } from './types';

/** The --json object: one run, its settings, what was predicted and what the ledger found. */
export interface DrillResult {
  runId: string;
  scenario: string;
  title: string;
  seed: number | undefined;
  labBug?: string;
  status: DrillRunDetail['status'];
  verdict: DrillRunDetail['verdict'];
  verdictReason: string | null;
  error: string | null;
  durationMs: number | null;
  config: DrillRunDetail['settings']['traffic'] & { flushDiskType: string; brokerRole: string };
  plan: unknown;
  predicted: string | undefined;
  sent: number | undefined;
  statuses: LedgerSummary['acknowledged'] | undefined;
  consumed: number | undefined;
  lostAcked: number | undefined;
  lost: LedgerSummary['lost'] | undefined;
  lostByStage: LedgerSummary['lostByStage'] | undefined;
  duplicates: number | undefined;
  gaps: number | undefined;
  unexpected: number | undefined;
  recoveryMs: number | null | undefined;
  summary: LedgerSummary | null;
  anomalies: DrillRunDetail['anomalies'];
}

export function drillResult(run: DrillRunDetail): DrillResult {
  const s = run.summary;
  return {
    runId: run.runId, scenario: run.drillId, title: run.title, seed: run.input.seed, ...(run.input.labBug ? { labBug: run.input.labBug } : {}),
    status: run.status, verdict: run.verdict, verdictReason: run.verdictReason, error: run.error,
    durationMs: run.endedAt === null ? null : run.endedAt - run.startedAt,
    config: { ...run.settings.traffic, flushDiskType: run.settings.broker.flushDiskType, brokerRole: run.settings.broker.brokerRole },
    plan: run.events.find((e) => e.message.startsWith('plan: '))?.detail,
    predicted: run.prediction?.text,
    sent: s?.attempted, statuses: s?.acknowledged, consumed: s?.consumed, lostAcked: s?.lostAcked, lost: s?.lost,
    lostByStage: s?.lostByStage, duplicates: s?.duplicated, gaps: s?.gaps, unexpected: s?.unexpected, recoveryMs: s?.recovery.rtoMs,
    summary: s, anomalies: run.anomalies,
  };
}

/** Why the run is not a pass, as a CI reads it: an error (it did not finish) or a failure (it lost or was judged FAIL). */
export function outcomeOf(result: DrillResult): { kind: 'pass' } | { kind: 'error' | 'failure'; message: string } {
  if (result.status !== 'done') return { kind: 'error', message: `the run ${result.status}: ${result.error ?? 'no reason recorded'}` };
  if ((result.lostAcked ?? 0) > 0 || result.verdict === 'FAIL') return { kind: 'failure', message: `${result.verdict}: ${result.verdictReason ?? ''}` };
  return { kind: 'pass' };
}

function describeConfig(result: DrillResult): string {
  const c = result.config;
  return `${c.flushDiskType}, ${c.brokerRole}, ${c.sendMode} sends, ${c.ackMode}${c.idempotent ? ', idempotent' : ''}, ${c.rate} msg/s for ${c.durationSec} s`;
}

/** XML 1.0 text: the five escapes, and no control character the format forbids. */
function xml(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** One test suite with one test case per run; `text` (the human report) goes to its system-out. */
export function junitReport(result: DrillResult, text: string): string {
  const outcome = outcomeOf(result);
  const name = `${result.scenario} seed ${result.seed ?? '-'} (${describeConfig(result)})${result.labBug ? ` with lab bug ${result.labBug}` : ''}`;
  const problem = outcome.kind === 'pass' ? undefined : { kind: outcome.kind, type: outcome.kind === 'error' ? 'RUN_FAILED' : result.verdict ?? 'LOSS', message: outcome.message };
  return junitDocument(result.scenario, name, (result.durationMs ?? 0) / 1000, problem, text);
}

/** The JUnit file of a run that never started (the cluster did not come up, the input was refused late). */
export function junitError(scenario: string, message: string): string {
  return junitDocument(scenario, scenario, 0, { kind: 'error', type: 'RUN_FAILED', message });
}

/** The one JUnit layout: a suite of one test case, with its failure or error if any. */
function junitDocument(scenario: string, name: string, seconds: number, problem?: { kind: 'failure' | 'error'; type: string; message: string }, systemOut?: string): string {
  const time = seconds.toFixed(3);
  const failures = problem?.kind === 'failure' ? 1 : 0;
  const errors = problem?.kind === 'error' ? 1 : 0;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="zeroloss" tests="1" failures="${failures}" errors="${errors}" time="${time}">`,
    `  <testsuite name="zeroloss drill ${xml(scenario)}" tests="1" failures="${failures}" errors="${errors}" skipped="0" time="${time}">`,
    `    <testcase classname="zeroloss.drill.${xml(scenario)}" name="${xml(name)}" time="${time}">`,
    ...(problem ? [`      <${problem.kind} type="${xml(problem.type)}" message="${xml(problem.message)}">${xml(problem.message)}</${problem.kind}>`] : []),
    ...(systemOut !== undefined ? [`      <system-out>${xml(systemOut)}</system-out>`] : []),
    '    </testcase>',
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

/** A Markdown page: verdict first, then the settings, the prediction and the ledger by SendStatus. */
export function markdownReport(result: DrillResult): string {
  const outcome = outcomeOf(result);
  const mark = outcome.kind === 'pass' ? 'PASS' : outcome.kind === 'error' ? 'ERROR' : 'FAILURE';
  const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const lines = [
    `## Zeroloss drill \`${result.scenario}\`: ${mark}`,
    '',
    `**${result.title}**, run \`${result.runId}\`, seed ${result.seed ?? '-'}${result.durationMs !== null ? `, ${(result.durationMs / 1000).toFixed(1)} s` : ''}`,
    '',
    `- settings: ${describeConfig(result)}`,
    ...(result.labBug ? [`- deliberate lab bug: \`${result.labBug}\` (for this run only)`] : []),
    `- predicted: ${result.predicted ?? '-'}`,
    `- ${result.status === 'done' ? `verdict: **${result.verdict}**: ${result.verdictReason ?? ''}` : `the run ${result.status}: ${result.error ?? ''}`}`,
  ];
  const s = result.summary;
  if (s) {
    lines.push('', '| SendStatus | acknowledged | lost |', '|---|--:|--:|');
    for (const status of LEDGER_STATUSES) {
      if (s.acknowledged[status] === 0 && s.lost[status] === 0) continue;
      lines.push(`| ${status} | ${s.acknowledged[status]} | ${s.lost[status]} |`);
    }
    lines.push(
      '',
      `Sent ${s.attempted}, consumed ${s.consumed}; **SEND_OK lost: ${s.lostAcked}**; duplicates ${s.duplicated}; open sequence gaps ${s.gaps}; ` +
        `recovery ${s.recovery.rtoMs === null ? '–' : `${s.recovery.rtoMs} ms`} from the first failed send to the next SEND_OK.`,
    );
    if (s.errors.length > 0) {
      lines.push('', '| errors | count |', '|---|--:|', ...s.errors.slice(0, 5).map((e) => `| ${cell(`${e.status}: ${e.error}`)} | ${e.count} |`));
    }
  }
  lines.push('');
  return lines.join('\n');
}

