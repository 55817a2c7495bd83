/**
 * The request limits of server/auth/request-limits.ts on their own: JSON depth counted outside
 * strings, and the audit log's redaction, which must never walk (or overflow on) a deep input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_JSON_DEPTH, depthProblem, jsonDepth } from '../../server/auth/request-limits';
import { redact } from '../../server/auth/audit-log';

test('request limits - JSON depth counts arrays and objects, not brackets inside strings or escaped quotes', () => {
  assert.equal(jsonDepth('null'), 0);
  assert.equal(jsonDepth('{"a":[1,{"b":2}]}'), 3);
  assert.equal(jsonDepth('{"a":"[[[[{{{{"}'), 1);
  assert.equal(jsonDepth('["a\\"[[[", []]'), 2);
  assert.equal(jsonDepth('['.repeat(100_000), 40), 41, 'stops counting once past the bound');
});

test('request limits - an input nested just within the bound passes, one level more is refused naming the bound', () => {
  const nested = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);
  assert.equal(depthProblem(nested(MAX_JSON_DEPTH), 'the body'), null);
  assert.match(depthProblem(nested(MAX_JSON_DEPTH + 1), 'the body') ?? '', /^the body nests deeper than 32 levels/);
});

test('audit redaction - secrets are redacted at any kept depth; a subtree past the bound becomes a note, never walked', () => {
  let deep: unknown = { token: 'x' };
  for (let i = 0; i < 20_000; i++) deep = [deep];
  const out = JSON.stringify(redact({ password: 'p', nested: { apiToken: 't', ok: 1 }, deep }));
  assert.match(out, /"password":"\[redacted\]"/);
  assert.match(out, /"apiToken":"\[redacted\]"/);
  assert.match(out, /nested deeper than 8 levels: not kept/);
  assert.ok(out.length < 500);
});
