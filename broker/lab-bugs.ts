/**
 * Bugs on purpose: the one table of deliberate broker and client bugs the lab can switch on, so a
 * drill can show what such a bug costs and that the drill catches it (FoundationDB's buggify, made
 * explicit and named). Each bug is a real branch in the real code path it names; nothing is simulated.
 *
 * A bug is switched on only through an explicit lab flag: a drill run's `labBug`, `zeroloss drill
 * --lab-bug`, or `ZL_LAB_BUGS` for the whole lab. They reach the broker in its start-up options
 * (BrokerOptions.labBugs) and a client runner in its config; they are never a broker setting (not in
 * BrokerSettings, not in broker.conf), so no settings change can switch one on by accident.
 *
 * This file imports nothing but zod: server/ and app/ (the Drills page's select) read the same table.
 */
import { z } from 'zod';

/** The process a bug lives in: the master broker, the slave broker, the producer or the consumers. */
export type LabBugProcess = 'master' | 'slave' | 'producer' | 'consumer';

export interface LabBugInfo {
  process: LabBugProcess;
  /** one line: what the bug does wrong */
  breaks: string;
  /** the code path it lives in */
  where: string;
  /** the drill (server/drills/catalog.ts id) whose safe configuration judges a run with this bug FAIL */
  caughtBy: string;
  /** why the deterministic simulator cannot catch it (its drill does not run there); absent: it must */
  notSimulated?: string;
}

export const LAB_BUGS = {
  'ack-before-fsync': {
    process: 'master',
    breaks: 'under SYNC_FLUSH a put is answered PUT_OK as soon as it is queued for the group commit, before its fdatasync',
    where: 'broker/flush/group-commit-service.ts GroupCommitService.waitForFlush',
    caughtBy: 'power-loss-slow-disk',
  },
  'sync-master-no-wait': {
    process: 'master',
    breaks: 'SYNC_MASTER answers PUT_OK without waiting for a slave to ack the put',
    where: 'broker/ha/ha-service.ts HAService.replicaWait',
    caughtBy: 'master-disk-loss',
  },
  'slave-overreports-offset': {
    process: 'slave',
    breaks: 'the slave acks what it received as stored (RocketMQ issue 3015: an ack beyond its commit log) and writes it 200 ms later; a closed link drops the rest',
    where: 'broker/ha/ha-client.ts HAClient.report and deferFrames',
    caughtBy: 'master-disk-loss',
  },
  'dispatch-before-flush': {
    process: 'master',
    breaks: 'under SYNC_FLUSH the dispatcher makes records visible to consumers before they are flushed',
    where: 'broker/store/message-store.ts, the ReputMessageService visible limit',
    caughtBy: 'power-loss-slow-disk',
  },
  'recovery-trusts-consume-queues': {
    process: 'master',
    breaks: 'after an unclean stop, recovery takes the consume queues on disk for complete and re-dispatches nothing from the checkpoint',
    where: 'broker/store/message-store.ts DefaultMessageStore.recover',
    caughtBy: 'power-loss',
  },
  'queue-offsets-from-confirm-offset': {
    process: 'master',
    breaks: 'in controller mode a restarted master takes its next queue offsets from the records before the confirm offset its checkpoint holds, so new records reuse the queue offsets of the records past it (apache/rocketmq#7689)',
    where: 'broker/store/message-store.ts DefaultMessageStore.recover, the next-queue-offset table',
    caughtBy: 'master-controller-crash',
    notSimulated: 'the simulator runs classic mode only (no controller)',
  },
  'consumer-ack-on-arrival': {
    process: 'consumer',
    breaks: 'in after-processing ack mode the consumer advances (and commits) its offset when a message arrives, before processing it',
    where: 'broker/client/push-consumer.ts PushConsumer.consume',
    caughtBy: 'consumer-crash',
  },
  'producer-ignores-status': {
    process: 'producer',
    breaks: 'the producer takes any SendStatus for SEND_OK: FLUSH_DISK_TIMEOUT, FLUSH_SLAVE_TIMEOUT and SLAVE_NOT_AVAILABLE are reported to its caller as SEND_OK',
    where: 'broker/client/producer.ts Producer.sendWithRetries',
    caughtBy: 'power-loss-slow-disk',
  },
} as const satisfies Record<string, LabBugInfo>;

export type LabBug = keyof typeof LAB_BUGS;
export const LAB_BUG_NAMES = Object.keys(LAB_BUGS) as [LabBug, ...LabBug[]];

/** The refusal of an unknown name, naming the field and listing the known ones. */
export function unknownLabBugMessage(field: string, value: unknown): string {
  return `${field}: ${JSON.stringify(value)} is not a lab bug; the known ones are ${LAB_BUG_NAMES.join(', ')}`;
}

/** One bug name, validated; `field` names where it came from in the refusal. */
export function labBugSchema(field: string) {
  return z.enum(LAB_BUG_NAMES, { error: (issue) => unknownLabBugMessage(field, issue.input) });
}

/** A list of bug names (BrokerOptions.labBugs, a runner's config). */
export const LabBugListSchema = z.array(labBugSchema('labBugs')).max(LAB_BUG_NAMES.length);

/**
 * Parses a comma-separated list (ZL_LAB_BUGS, repeated --lab-bug): blanks are ignored, duplicates
 * kept once; throws a sentence naming `field`, the unknown name and the known ones.
 */
export function parseLabBugs(field: string, input: string | readonly string[] | undefined): LabBug[] {
  const names = (typeof input === 'string' ? input.split(',') : input ?? []).map((s) => s.trim()).filter((s) => s.length > 0);
  const bugs: LabBug[] = [];
  for (const name of names) {
    if (!Object.hasOwn(LAB_BUGS, name)) throw new Error(unknownLabBugMessage(field, name));
    if (!bugs.includes(name as LabBug)) bugs.push(name as LabBug);
  }
  return bugs;
}

/** The bugs of `bugs` that live in `process`. */
export function labBugsOf(process: LabBugProcess, bugs: Iterable<LabBug>): LabBug[] {
  return [...bugs].filter((bug) => LAB_BUGS[bug].process === process);
}

/** What a component asks of its switched-on bugs; empty when none is on (the normal case). */
export type LabBugSet = ReadonlySet<LabBug>;
export const NO_LAB_BUGS: LabBugSet = new Set<LabBug>();
