/**
 * The drill command's reports (server/drills/reports.ts): a pass, a run that lost SEND_OK messages and
 * a run that did not finish, as JUnit XML (one test case: nothing, a failure, an error) and as
 * Markdown; text that would break XML or a Markdown table is escaped. The CLI refuses a report path it
 * could not write before the run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { LossLedger } from '../../server/drills/loss-ledger';
import { junitError, junitReport, markdownReport, outcomeOf, type DrillResult } from '../../server/drills/reports';
import { PROJECT_ROOT } from '../../server/cluster/child-process';

const empty = new LossLedger(0).summarize().summary;

function result(patch: Partial<DrillResult> = {}): DrillResult {
  const summary = {
    ...empty,
    attempted: 120, consumed: 110, lostAcked: 0, duplicated: 3,
    acknowledged: { ...empty.acknowledged, SEND_OK: 110, ERROR: 10 },
    errors: [{ status: 'ERROR' as const, error: 'topic T has no writable queue | on a live master', count: 10 }],
  };
  return {
    runId: 'dmxabc123', scenario: 'power-loss', title: 'Power loss on the master', seed: 7, status: 'done', verdict: 'PASS',
    verdictReason: 'no message the producer was told was sent is lost', error: null, durationMs: 21_500,
    config: { sendMode: 'sync', ackMode: 'after-processing', idempotent: false, rate: 200, durationSec: 10, consumers: 2, bodySize: 256, flushDiskType: 'SYNC_FLUSH', brokerRole: 'ASYNC_MASTER' },
    plan: undefined, predicted: 'SYNC_FLUSH: no SEND_OK is lost', sent: 120, statuses: summary.acknowledged, consumed: 110, lostAcked: 0,
    lost: summary.lost, lostByStage: summary.lostByStage, duplicates: 3, gaps: 0, unexpected: 0, recoveryMs: 2100, summary, anomalies: [],
    ...patch,
  };
}

test('drill reports - a pass is a JUnit test case without failure, and Markdown says PASS with the ledger', () => {
  const r = result();
  assert.deepEqual(outcomeOf(r), { kind: 'pass' });
  const xml = junitReport(r, 'verdict    PASS <all kept> & "fine"');
  assert.match(xml, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="zeroloss" tests="1" failures="0" errors="0" time="21.500">/);
  assert.match(xml, /<testcase classname="zeroloss.drill.power-loss" name="power-loss seed 7 \(SYNC_FLUSH, ASYNC_MASTER, sync sends, after-processing, 200 msg\/s for 10 s\)" time="21.500">/);
  assert.doesNotMatch(xml, /<failure|<error/);
  assert.match(xml, /<system-out>verdict {4}PASS &lt;all kept&gt; &amp; &quot;fine&quot;<\/system-out>/);
  const md = markdownReport(r);
  assert.match(md, /^## Zeroloss drill `power-loss`: PASS\n/);
  assert.match(md, /\| SEND_OK \| 110 \| 0 \|/);
  assert.match(md, /\| ERROR: topic T has no writable queue \\\| on a live master \| 10 \|/, 'a | in a cell is escaped');
  assert.match(md, /\*\*SEND_OK lost: 0\*\*/);
});

test('drill reports - lost SEND_OK messages or a FAIL verdict are a failure; a run that did not finish is an error', () => {
  const lost = result({ verdict: 'LOSS_EXPECTED', verdictReason: 'lost 12 SEND_OK, as predicted', lostAcked: 12, summary: { ...result().summary!, lostAcked: 12 } });
  assert.deepEqual(outcomeOf(lost), { kind: 'failure', message: 'LOSS_EXPECTED: lost 12 SEND_OK, as predicted' });
  assert.match(junitReport(lost, ''), /failures="1" errors="0"[\s\S]*<failure type="LOSS_EXPECTED" message="LOSS_EXPECTED: lost 12 SEND_OK, as predicted">/);
  assert.match(markdownReport(lost), /: FAILURE\n[\s\S]*\*\*SEND_OK lost: 12\*\*/);
  assert.equal(outcomeOf(result({ verdict: 'FAIL', verdictReason: 'an unresolved half' })).kind, 'failure', 'FAIL without SEND_OK lost is still a failure');

  const failed = result({ status: 'failed', verdict: null, verdictReason: null, error: 'the master did not start\u0001', summary: null });
  assert.match(junitReport(failed, ''), /failures="0" errors="1"[\s\S]*<error type="RUN_FAILED" message="the run failed: the master did not start">/, 'a control character XML forbids is dropped');
  assert.match(markdownReport(failed), /: ERROR\n[\s\S]*the run failed: the master did not start/);
  assert.match(junitError('power-loss', 'no <cluster>'), /errors="1"[\s\S]*message="no &lt;cluster&gt;"/);
});

test('drill reports - the CLI refuses a report it could not write, before the run, naming the flag', () => {
  const bin = path.join(PROJECT_ROOT, 'server/bin.mjs');
  const run = spawnSync(process.execPath, [bin, 'drill', 'power-loss', '--junit', '/nonexistent-dir/report.xml'], { cwd: PROJECT_ROOT, encoding: 'utf8' });
  assert.equal(run.status, 2);
  assert.match(run.stderr, /--junit \/nonexistent-dir\/report.xml: the directory \/nonexistent-dir does not exist or cannot be written/);
  const dir = spawnSync(process.execPath, [bin, 'drill', 'power-loss', '--markdown', PROJECT_ROOT], { cwd: PROJECT_ROOT, encoding: 'utf8' });
  assert.equal(dir.status, 2);
  assert.match(dir.stderr, /--markdown .*: is a directory; give a file name/);
});
