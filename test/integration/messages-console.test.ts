/**
 * The Traffic and Messages procedures refuse bad input with a sentence that names the field and its
 * rule, and refuse what makes no sense now (a topic that does not exist, a queue past the topic's
 * count, a send while the broker is down) with the reason. Method: the real control plane over HTTP,
 * as the browser calls it, with the master alone.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startAppServer, trpc, type AppServer } from '../support/app-server';
import { waitFor } from '../support/broker-process';
import type { LiveState } from '../../server/live/types';

describe('messages console - bad input', () => {
  let app: AppServer;

  const refused = async (procedure: string, input: unknown, kind: 'query' | 'mutation', rule: RegExp) => {
    const r = await trpc(app.url, procedure, input, kind);
    assert.equal(r.ok, false, `${procedure}(${JSON.stringify(input)}) must be refused`);
    assert.match(!r.ok ? r.message : '', rule, `${procedure}(${JSON.stringify(input)})`);
  };
  const state = async () => {
    const r = await trpc<LiveState>(app.url, 'cluster.state', undefined, 'query');
    assert.ok(r.ok);
    return r.data;
  };

  before(async () => {
    app = await startAppServer({ env: { ZL_START_SLAVE: '0' } });
    await waitFor('broker running', async () => (await state()).broker.state === 'running', 60_000);
  });
  after(async () => {
    await app?.stop();
  });

  test('messages console - traffic and publish name the refused field and its rule', async () => {
    await refused('traffic.start', { keyPattern: 'order' }, 'mutation', /keyPattern must contain \{n\}/);
    await refused('traffic.start', { keyPattern: 'order {n}' }, 'mutation', /keyPattern must not contain spaces/);
    await refused('traffic.publish', { topic: 'a b' }, 'mutation', /topic must be 1-127 characters/);
    await refused('traffic.publish', { topic: 'NoSuchTopic' }, 'mutation', /topic: no topic NoSuchTopic on the name server/);
    await refused('traffic.publish', { queueId: 9 }, 'mutation', /queueId: topic TopicTest has 4 write queues \(0–3\)/);
    await refused('traffic.publish', { tags: 'a||b' }, 'mutation', /tags must be one tag/);
    await refused('traffic.publish', { body: 42 }, 'mutation', /body must be text/);
  });

  test('messages console - key lookup, browse, DLQ and resend name the refused field and its rule', async () => {
    await refused('messages.byKey', { key: '' }, 'query', /key must not be empty/);
    await refused('messages.byKey', { key: 'a b' }, 'query', /key must be one key, without spaces/);
    await refused('messages.browse', { topic: 'TopicTest', queueId: -1 }, 'query', /queueId must not be negative/);
    await refused('messages.browse', { topic: 'TopicTest', queueId: 0, limit: 1000 }, 'query', /limit must be at most 100/);
    await refused('messages.browse', { topic: 'TopicTest', queueId: 0, startOffset: 5 }, 'query', /startOffset: 5 is past the end of TopicTest queue 0/);
    await refused('messages.browse', { topic: 'Nope', queueId: 0 }, 'query', /topic: no topic Nope/);
    await refused('messages.dlqMessages', { topic: 'TopicTest' }, 'query', /topic must be a dead-letter queue: %DLQ%<consumerGroup>/);
    await refused('messages.resend', { topic: '%DLQ%g', queueOffsets: [] }, 'mutation', /queueOffsets must name at least one message/);
    await refused('messages.resend', { topic: '%DLQ%g', queueOffsets: [1, 1] }, 'mutation', /queueOffsets must not name a message twice/);
    await refused('messages.resend', { topic: '%DLQ%g', queueOffsets: [0] }, 'mutation', /topic: no topic %DLQ%g/);
  });

  test('messages console - a publish while the broker is down is refused with the reason, and the state is still served', async () => {
    const ok = await trpc<{ sendStatus: string; msgId: string }>(app.url, 'traffic.publish', { body: 'before the crash', keys: 'it-key-1' });
    assert.ok(ok.ok, !ok.ok ? ok.message : '');
    assert.equal(ok.data.sendStatus, 'SEND_OK');
    const byKey = await trpc<{ matches: { msgId: string; foundBy: string[] }[] }>(app.url, 'messages.byKey', { key: 'it-key-1' }, 'query');
    assert.ok(byKey.ok && byKey.data.matches.length === 1 && byKey.data.matches[0].msgId === ok.data.msgId, JSON.stringify(byKey));

    const killed = await trpc(app.url, 'cluster.killBroker');
    assert.ok(killed.ok, !killed.ok ? killed.message : '');
    await waitFor('broker crashed', async () => (await state()).broker.state === 'crashed', 15_000);
    await refused('traffic.publish', { body: 'x' }, 'mutation', /cannot publish: the broker is crashed/);
    await refused('messages.browse', { topic: 'TopicTest', queueId: 0 }, 'query', /cannot read the queue: the broker is crashed/);
    await refused('messages.dlqTopics', undefined, 'query', /cannot list the dead-letter queues: the broker is crashed/);
    const indexOnly = await trpc<{ matches: { msgId: string; foundBy: string[] }[]; scanSkipped: string | null }>(app.url, 'messages.byKey', { key: 'it-key-1' }, 'query');
    assert.ok(indexOnly.ok, !indexOnly.ok ? indexOnly.message : '');
    assert.deepEqual(indexOnly.data.matches.map((m) => [m.msgId, m.foundBy]), [[ok.data.msgId, ['index']]], 'the lab\'s key index still answers');
    assert.match(indexOnly.data.scanSkipped ?? '', /the broker is crashed/);
    assert.equal((await state()).broker.state, 'crashed', 'the control plane keeps serving its state');
  });
});
