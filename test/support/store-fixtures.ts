/**
 * Shared fixtures of the store's unit tests: a fresh temp directory per test (removed afterwards),
 * mutable settings (a test flips them live), message builders and store opening.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { defaultSettings, type BrokerSettings } from '../../broker/config/broker-config';
import { FileLayer } from '../../broker/io/file-layer';
import { DefaultMessageStore, type MessageStoreOptions } from '../../broker/store/message-store';
import type { HostAddress, MessageInner } from '../../broker/store/types';

export const STORE_HOST: HostAddress = { ip: '127.0.0.1', port: 10911 };
export const BORN_HOST: HostAddress = { ip: '10.1.2.3', port: 53124 };

/**
 * A temp directory removed when the test ends, and again when the test process exits: a test's
 * after-hooks run in the order they were registered, so a store shut down by a later hook writes its
 * offsets (config/consumerOffset.json) into the directory this one has just removed.
 */
export function tempDir(t: TestContext, prefix = 'zl-store-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  if (tempDirs.size === 0) process.once('exit', () => { for (const d of tempDirs) removeDir(d); });
  tempDirs.add(dir);
  t.after(() => removeDir(dir));
  return dir;
}

const tempDirs = new Set<string>();
const removeDir = (dir: string) => fs.rmSync(dir, { recursive: true, force: true });

/** Settings a test may change while the store runs; 64 KiB segments exercise roll-over. */
export function testSettings(overrides: Partial<BrokerSettings> = {}): BrokerSettings {
  return { ...defaultSettings(), mappedFileSizeCommitLog: 64 * 1024, ...overrides };
}

export function message(overrides: Partial<MessageInner> & { tags?: string; uniqKey?: string } = {}): MessageInner {
  const { tags, uniqKey, ...rest } = overrides;
  const properties = new Map<string, string>();
  if (tags !== undefined) properties.set('TAGS', tags);
  if (uniqKey !== undefined) properties.set('UNIQ_KEY', uniqKey);
  return {
    topic: 'TopicTest',
    queueId: 0,
    flag: 0,
    sysFlag: 0,
    bornTimestamp: 1_700_000_000_000,
    bornHost: BORN_HOST,
    reconsumeTimes: 0,
    preparedTransactionOffset: 0,
    body: Buffer.from('hello'),
    properties,
    ...rest,
  };
}

/** Opens a store on `dir` with a fresh FileLayer (so a power-cut predecessor's layer is left alone). */
export function openStore(
  dir: string,
  settings: BrokerSettings,
  extra: Partial<MessageStoreOptions> = {},
): Promise<DefaultMessageStore> {
  return DefaultMessageStore.open({
    storePathRootDir: dir,
    storeHost: STORE_HOST,
    settings: () => settings,
    fileLayer: new FileLayer({ slowDiskDelayMs: () => settings.slowDiskDelayMs }),
    ...extra,
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves when `condition` holds, polling; rejects after `timeoutMs`. */
export async function waitFor(condition: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

/** Durable bytes of the segment file holding `offset`'s record end. */
export function durableOf(layer: FileLayer, filePath: string): number {
  return layer.durableSizes().get(filePath)?.durable ?? 0;
}

/** Every consume-queue entry points at a record of that topic/queue with that queue offset. */
export function assertConsumeQueuesMatch(store: DefaultMessageStore): void {
  for (const queue of store.consumeQueues()) {
    for (let offset = queue.minOffsetInQueue(); offset < queue.maxOffsetInQueue(); offset++) {
      const entry = queue.getEntry(offset)!;
      assert.ok(entry.commitLogOffset + entry.size <= store.maxPhyOffset(), `${queue.topic}/${queue.queueId}@${offset} points past the log`);
      const stored = store.lookMessageByOffset(entry.commitLogOffset);
      assert.ok(stored, `${queue.topic}/${queue.queueId}@${offset} points at no record`);
      assert.equal(stored.topic, queue.topic);
      assert.equal(stored.queueId, queue.queueId);
      assert.equal(stored.queueOffset, offset);
      assert.equal(stored.storeSize, entry.size);
    }
  }
}

