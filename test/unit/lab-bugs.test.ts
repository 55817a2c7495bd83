/**
 * The deliberate-bug catalog (broker/lab-bugs.ts) on pure code: every way a bug name comes in (a
 * drill run's input, the broker's start-up options, ZL_LAB_BUGS, --lab-bug, a runner's config) takes
 * the known names and refuses any other with a sentence naming the field and listing the known ones;
 * a bug is never a broker setting (not in the settings schema, ignored in broker.conf); each bug names
 * a drill of the catalog that catches it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LAB_BUGS, LAB_BUG_NAMES, LabBugListSchema, labBugsOf, parseLabBugs } from '../../broker/lab-bugs';
import { BrokerOptionsSchema } from '../../broker/broker-controller';
import { BrokerSettingsSchema, defaultSettings } from '../../broker/config/broker-config';
import { parseBrokerConf } from '../../broker/config/properties';
import { DrillRunInputSchema, DRILL_IDS } from '../../server/drills/types';
import { drillSpec } from '../../server/drills/catalog';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../../server/cluster/child-process';

const listed = LAB_BUG_NAMES.join(', ');

test('lab-bugs - parseLabBugs takes known names (trimmed, blanks ignored, once each)', () => {
  assert.deepEqual(parseLabBugs('ZL_LAB_BUGS', undefined), []);
  assert.deepEqual(parseLabBugs('ZL_LAB_BUGS', ''), []);
  assert.deepEqual(parseLabBugs('ZL_LAB_BUGS', ' ack-before-fsync, ,producer-ignores-status,ack-before-fsync '), ['ack-before-fsync', 'producer-ignores-status']);
  assert.deepEqual(parseLabBugs('labBugs', ['consumer-ack-on-arrival']), ['consumer-ack-on-arrival']);
});

test('lab-bugs - an unknown name is refused with the field and the known names', () => {
  assert.throws(() => parseLabBugs('ZL_LAB_BUGS', 'ack-before-fsync,fsync-never'), (error: Error) => {
    assert.equal(error.message, `ZL_LAB_BUGS: "fsync-never" is not a lab bug; the known ones are ${listed}`);
    return true;
  });
  // Names are exact: no case folding, no prototype keys.
  assert.throws(() => parseLabBugs('labBugs', ['ACK-BEFORE-FSYNC']), /"ACK-BEFORE-FSYNC" is not a lab bug/);
  assert.throws(() => parseLabBugs('labBugs', ['constructor']), /"constructor" is not a lab bug/);
});

test('lab-bugs - a drill run input takes one known bug as labBug and refuses others, naming the field', () => {
  assert.equal(DrillRunInputSchema.parse({ drillId: 'power-loss', labBug: 'recovery-trusts-consume-queues' }).labBug, 'recovery-trusts-consume-queues');
  assert.equal(DrillRunInputSchema.parse({ drillId: 'power-loss' }).labBug, undefined);
  const refused = DrillRunInputSchema.safeParse({ drillId: 'power-loss', labBug: 'fsync-never' });
  assert.equal(refused.success, false);
  const issue = refused.error!.issues[0]!;
  assert.deepEqual(issue.path, ['labBug']);
  assert.equal(issue.message, `labBug: "fsync-never" is not a lab bug; the known ones are ${listed}`);
  assert.equal(DrillRunInputSchema.safeParse({ drillId: 'power-loss', labBug: ['ack-before-fsync'] }).success, false);
});

test('lab-bugs - the broker options and a runner config take a list of known bugs only', () => {
  const identity = { storePathRootDir: '/tmp/zl-lab-bugs-test' };
  const options = BrokerOptionsSchema.parse({ identity, settings: defaultSettings(), labBugs: ['ack-before-fsync', 'dispatch-before-flush'] });
  assert.deepEqual(options.labBugs, ['ack-before-fsync', 'dispatch-before-flush']);
  const refused = BrokerOptionsSchema.safeParse({ identity, settings: defaultSettings(), labBugs: ['ack-before-fsync', 'nope'] });
  assert.equal(refused.success, false);
  assert.match(refused.error!.issues[0]!.message, new RegExp(`^labBugs: "nope" is not a lab bug; the known ones are ${listed}$`));
  assert.equal(LabBugListSchema.safeParse(['producer-ignores-status']).success, true);
});

test('lab-bugs - a bug is never a broker setting: not in the settings schema, ignored in broker.conf', () => {
  assert.equal(Object.hasOwn(BrokerSettingsSchema.shape, 'labBugs'), false);
  for (const name of LAB_BUG_NAMES) assert.equal(Object.hasOwn(BrokerSettingsSchema.shape, name), false);
  const parsed = parseBrokerConf('flushDiskType=SYNC_FLUSH\nlabBugs=ack-before-fsync\nack-before-fsync=true\n');
  assert.equal(Object.hasOwn(parsed.patch, 'labBugs'), false);
  assert.deepEqual(parsed.ignoredKeys.sort(), ['ack-before-fsync', 'labBugs']);
});

test('lab-bugs - zeroloss drill refuses an unknown --lab-bug or ZL_LAB_BUGS at start, listing the known names (exit 2)', () => {
  const drill = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'server', 'drills', 'cli.ts'), ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 30_000 });
  const flag = drill(['power-loss', '--lab-bug', 'nope']);
  assert.equal(flag.status, 2);
  assert.match(flag.stderr, new RegExp(`labBug: "nope" is not a lab bug; the known ones are ${listed}`));
  const twice = drill(['power-loss', '--lab-bug', 'ack-before-fsync', '--lab-bug', 'dispatch-before-flush']);
  assert.equal(twice.status, 2);
  assert.match(twice.stderr, /--lab-bug: one deliberate bug per run/);
  const env = drill(['power-loss'], { ZL_LAB_BUGS: 'ack-before-fsync,nope' });
  assert.equal(env.status, 2);
  assert.match(env.stderr, new RegExp(`ZL_LAB_BUGS: "nope" is not a lab bug; the known ones are ${listed}`));
});

test('lab-bugs - each bug names its process and a drill of the catalog that catches it under its safe configuration', () => {
  for (const name of LAB_BUG_NAMES) {
    const bug = LAB_BUGS[name];
    assert.ok((DRILL_IDS as readonly string[]).includes(bug.caughtBy), `${name}: ${bug.caughtBy} is not a drill`);
    const spec = drillSpec(bug.caughtBy as (typeof DRILL_IDS)[number]);
    assert.equal(spec.contrast.measure, 'lost', `${name}: ${spec.id} must measure losses`);
    assert.ok(labBugsOf(bug.process, [name]).includes(name));
  }
  assert.deepEqual(labBugsOf('master', LAB_BUG_NAMES).sort(), ['ack-before-fsync', 'dispatch-before-flush', 'queue-offsets-from-confirm-offset', 'recovery-trusts-consume-queues', 'sync-master-no-wait']);
});
