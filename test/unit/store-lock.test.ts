/**
 * One live store per directory: a second open fails with STORE_LOCKED naming the directory and
 * the holder's pid (same process or another live one); a shut-down, power-cut or dead holder's lock
 * is taken over. Also the put-path refusal over maxMessageSize, whose remark names the limit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { isZerolossError } from '../../broker/errors/errors';
import { PutMessageStatus } from '../../broker/protocol/codes';
import { message, openStore, tempDir, testSettings } from '../support/store-fixtures';

test('store-lock - a second open of the same directory fails with STORE_LOCKED', async (t) => {
  const dir = tempDir(t);
  const settings = testSettings();
  const store = await openStore(dir, settings);
  await assert.rejects(openStore(dir, settings), (error: unknown) => {
    assert.ok(isZerolossError(error, 'STORE_LOCKED'));
    assert.match(error.message, new RegExp(`store directory ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is locked`));
    assert.match(error.message, new RegExp(`pid ${process.pid}`));
    return true;
  });
  await store.putMessage(message());
  await store.shutdown();
  const again = await openStore(dir, settings);
  assert.equal(again.maxPhyOffset() > 0, true, 'the failed open did not disturb the store');
  await again.shutdown();
});

test('store-lock - a live holder in another process keeps the lock; a dead one does not', async (t) => {
  const dir = tempDir(t);
  const settings = testSettings();
  const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
  t.after(() => sleeper.kill('SIGKILL'));
  fs.writeFileSync(path.join(dir, 'lock'), JSON.stringify({ pid: sleeper.pid, token: `${sleeper.pid}-1` }));
  await assert.rejects(openStore(dir, settings), (error: unknown) => {
    assert.ok(isZerolossError(error, 'STORE_LOCKED'));
    assert.match(error.message, new RegExp(`locked by live process pid ${sleeper.pid}`));
    return true;
  });

  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  fs.writeFileSync(path.join(dir, 'lock'), JSON.stringify({ pid: Number(dead.stdout), token: `${dead.stdout}-1` }));
  const store = await openStore(dir, settings);
  assert.match(fs.readFileSync(path.join(dir, 'lock'), 'utf8'), new RegExp(`"pid":${process.pid}`));
  await store.shutdown();
});

test('store-lock - a power-cut store of this process can be reopened at once', async (t) => {
  const dir = tempDir(t);
  const settings = testSettings();
  const store = await openStore(dir, settings);
  await store.putMessage(message());
  store.simulatePowerCutSync();
  assert.equal((await store.putMessage(message())).status, PutMessageStatus.SERVICE_NOT_AVAILABLE);
  const reopened = await openStore(dir, settings);
  assert.equal(reopened.recoveryReport().abnormal, true);
  await reopened.shutdown();
});

test('store-lock - a body over maxMessageSize is MESSAGE_ILLEGAL naming the limit', async (t) => {
  const settings = testSettings({ mappedFileSizeCommitLog: 8 * 1024 * 1024 });
  const store = await openStore(tempDir(t), settings);
  t.after(() => store.shutdown());
  const result = await store.putMessage(message({ body: Buffer.alloc(5_000_000) }));
  assert.equal(result.status, PutMessageStatus.MESSAGE_ILLEGAL);
  assert.equal(result.remark, 'body size 5000000 exceeds maxMessageSize 4194304');
  assert.equal(result.append, undefined);
  assert.equal(store.maxPhyOffset(), 0);
});
