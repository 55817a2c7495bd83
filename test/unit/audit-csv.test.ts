/** The audit export's CSV (server/auth/audit-log.ts): RFC 4180 quoting, and no cell a spreadsheet would run as a formula. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auditCsv, type AuditEntryView } from '../../server/auth/audit-log';

const row = (target: string): AuditEntryView => ({
  id: 1, at: 0, actor: 'anonymous', role: null, action: 'auth.login', target, input: null, before: null, after: null, result: 'error', error: null, remoteAddress: '127.0.0.1',
});
const targetCell = (target: string) => auditCsv([row(target)]).split('\r\n')[1]!.split(',')[5];

test('audit CSV - a cell that could run as a formula gets a leading quote, also after whitespace or in full-width form', () => {
  for (const attack of ['=1+1', '+1', '-1', '@SUM(A1)', '\t=1', '\r=1', ' =1', '\u3000=1', '\uFF1D1+1', '\uFF0B1', '\uFF0D1', '\uFF20A1']) {
    assert.ok(targetCell(attack).replace(/^"/, '').startsWith("'"), `${JSON.stringify(attack)} is neutralised: ${targetCell(attack)}`);
  }
  // A line feed first: quoted (it contains a line break) and neutralised.
  assert.match(auditCsv([row('\n=1')]), /,"'\n=1",/);
  assert.equal(targetCell('user alice'), 'user alice', 'an ordinary cell is left alone');
  assert.equal(targetCell('a-b=c'), 'a-b=c', 'a sign inside a cell is harmless');
});
