/**
 * The drill matrix, short: one drill under its safe and its unsafe configuration (the catalog's
 * contrast), one seed, five seconds of traffic, on real clusters (name server, master, slave,
 * producer and consumer processes) started by the matrix itself. The unsafe side must lose messages
 * its producer was told were sent and the safe side none: master disk loss over the shaped HA link
 * of a remote slave (SYNC_MASTER vs ASYNC_MASTER; on loopback ASYNC_MASTER lost nothing and read like
 * SYNC_MASTER), the one contrast no other test file runs. Power loss's contrast runs in drills.test.ts
 * and the dashboard's (test/e2e/drills.test.ts); every drill's, over seeds, is `npm run drill:matrix`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matrixMarkdown, matrixText, runMatrix, startMatrixCluster, lostBelievedSent } from '../../server/drills/matrix';

test('drill-matrix - the unsafe configuration loses acknowledged messages and the safe one none (master disk loss)', async () => {
  const started = Date.now();
  const result = await runMatrix({ drills: ['master-disk-loss'], seeds: 1, firstSeed: 11, durationSec: 4 }, {
    cluster: startMatrixCluster,
    log: (line) => console.log(line),
  });
  console.log(matrixText(result));
  console.log(`matrix took ${Math.round((Date.now() - started) / 1000)} s`);
  for (const row of result.rows) {
    assert.equal(row.runs.length, 1);
    const run = row.runs[0];
    assert.equal(run.status, 'done', `${row.drillId} ${row.side}: the run ended ${run.status}: ${run.error}`);
    assert.ok(run.sendOk > 200, `${row.drillId} ${row.side}: the producer was told SEND_OK (${run.sendOk})`);
    if (row.side === 'safe') {
      assert.equal(lostBelievedSent(run), 0, `${row.drillId} ${row.label}: nothing acknowledged is lost`);
      assert.equal(run.verdict, 'PASS', `${row.drillId} ${row.label}: ${run.verdictReason}`);
    } else {
      assert.ok(run.lostSendOk > 0, `${row.drillId} ${row.label}: SEND_OK messages are lost (${run.lostSendOk})`);
      assert.equal(run.verdict, 'LOSS_EXPECTED', `${row.drillId} ${row.label}: ${run.verdictReason}`);
    }
  }
  assert.deepEqual(result.contrasts.map((c) => [c.drillId, c.holds]), [['master-disk-loss', true]], JSON.stringify(result.contrasts));
  const markdown = matrixMarkdown(result);
  assert.match(markdown, /\| master-disk-loss \| safe: SYNC_MASTER \| 1 \| PASS×1 \| 0 \|/);
  assert.match(markdown, /\| master-disk-loss \| unsafe: ASYNC_MASTER \| 1 \| LOSS_EXPECTED×1 \|/);
});
