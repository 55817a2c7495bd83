/**
 * The control plane's own RocketMQ client for the Traffic and Messages pages: one client instance
 * (routes from the name server, heartbeats), a producer per topic for "publish one test message" and
 * DLQ resends, and PULL_MESSAGE reads that never commit a consumer offset (queue browsing, key scans,
 * the DLQ view). Everything goes over the remoting protocol, as an external client's would.
 *
 * Every send it makes is recorded in the message tracker (the durability ladder) and the key index.
 * It does not run the traffic runner or consumers (control-plane.ts does).
 */
import { MQClientInstance } from '../../broker/client/mq-client-instance';
import { Producer, type Message, type SendResult } from '../../broker/client/producer';
import { isZerolossError } from '../../broker/errors/errors';
import { MQAdminClient } from '../cluster/admin-client';
import type { SendOutcome } from '../../broker/ipc';
import type { ControlPlane } from '../control-plane';
import { KeyIndex } from './key-index';
import { brokerDownReason } from '../live/broker-availability';
import { CONSOLE_PRODUCER_GROUP, labClientId } from '../traffic/lab-clients';

const PRODUCERS_KEPT = 32;

/** An operating error the API turns into PRECONDITION_FAILED / SERVICE_UNAVAILABLE with this sentence. */
export class ConsoleError extends Error {
  constructor(message: string, readonly kind: 'unavailable' | 'not-found' | 'refused') {
    super(message);
  }
}

/** Resends made from a DLQ: the dead message's UNIQ_KEY → the UNIQ_KEYs of its copies (bounded). */
export class ResendLog {
  private readonly byOriginal = new Map<string, string[]>();

  add(original: string, resent: string): void {
    const list = this.byOriginal.get(original) ?? [];
    list.push(resent);
    this.byOriginal.set(original, list);
    if (this.byOriginal.size > 10_000) this.byOriginal.delete(this.byOriginal.keys().next().value!);
  }

  get(original: string): string[] {
    return this.byOriginal.get(original) ?? [];
  }
}

export class MessageConsole {
  readonly keys = new KeyIndex();
  readonly resends = new ResendLog();
  private instance: MQClientInstance | undefined;
  private readonly producers = new Map<string, Producer>();
  private readonly startedAt = Date.now().toString(36);

  constructor(private readonly plane: ControlPlane) {
    plane.on('outcomes', (outcomes) => this.keys.addOutcomes(outcomes));
    // Another cluster: routes, producers and connections of the last one are of no use there.
    plane.on('trafficTarget', () => void this.close().catch((error: Error) => console.error(`[console] ${error.message}`)));
  }

  /** Throws a readable ConsoleError when no broker can answer (the pages disable their actions too). */
  assertBrokerUp(action: string): void {
    const down = this.brokerDown();
    if (down) throw new ConsoleError(`cannot ${action}: ${down}`, 'unavailable');
  }

  /** Why no broker can answer now ("the broker is crashed; …"), or null when one can. */
  brokerDown(): string | null {
    // An external cluster's brokers are not the plane's to know: its requests say when they fail.
    return this.plane.trafficTarget.kind === 'external' ? null : brokerDownReason(this.plane.state());
  }

  /** The client of the Traffic and Messages pages' target (the embedded cluster unless pointed elsewhere). */
  client(): MQClientInstance {
    this.instance ??= new MQClientInstance({ namesrvAddr: this.plane.clientNamesrv(), clientId: labClientId(`console-${process.pid}`), credentials: this.plane.clientCredentials() });
    this.instance.start();
    return this.instance;
  }

  /** Sync send through a real producer; the outcome is recorded like the traffic runner's. */
  async send(message: Message): Promise<SendResult> {
    const producer = this.producerFor(message.topic);
    const sentAtMs = Date.now();
    const t0 = performance.now();
    const record = (outcome: SendOutcome) => {
      this.plane.messages.addOutcomes([outcome], { producerId: producer.options.producerId, topic: message.topic });
      this.keys.addOutcomes([outcome]);
    };
    try {
      const result = await producer.send(message);
      record({
        id: result.msgId, queueId: result.queueId, seq: result.seq, sentAtMs, latencyMs: performance.now() - t0, status: result.sendStatus,
        offsetMsgId: result.offsetMsgId, queueOffset: result.queueOffset, keys: message.keys,
      });
      return result;
    } catch (error) {
      const e = error as Error & { msgId?: string; queueId?: number; seq?: number };
      if (e.msgId) {
        record({
          id: e.msgId, queueId: e.queueId ?? -1, seq: e.seq ?? -1, sentAtMs, latencyMs: performance.now() - t0,
          status: /timeout|ran out/i.test(e.message) ? 'TIMEOUT' : 'ERROR', error: e.message, keys: message.keys,
        });
      }
      throw new ConsoleError(`the send to ${message.topic} failed: ${e.message}`, 'unavailable');
    }
  }

  /** The address to read a topic's queues from: its master, else any member of its group (a slave). */
  async readAddress(topic: string): Promise<string> {
    let route;
    try {
      route = await this.client().route(topic, true);
    } catch (error) {
      throw new ConsoleError(`topic ${topic} has no route on the name server (${(error as Error).message})`, 'not-found');
    }
    const group = [...route.brokerDatas].sort((a, b) => a.brokerName.localeCompare(b.brokerName))[0];
    const ids = Object.keys(group?.brokerAddrs ?? {}).sort((a, b) => Number(a) - Number(b));
    if (!group || ids.length === 0) throw new ConsoleError(`topic ${topic} has no live broker`, 'unavailable');
    return group.brokerAddrs['0'] ?? group.brokerAddrs[ids[0]];
  }

  /**
   * An admin request (server/cluster/admin-client.ts) over the console's own connections. A broker
   * that cannot be reached becomes an 'unavailable' ConsoleError; its refusals pass through as they are.
   */
  async admin<T>(address: string, request: (admin: MQAdminClient) => Promise<T>): Promise<T> {
    try {
      return await request(new MQAdminClient(this.client().remoting));
    } catch (error) {
      if (isZerolossError(error, 'BROKER_ERROR')) throw error;
      throw new ConsoleError(`the broker at ${address} did not answer: ${(error as Error).message}`, 'unavailable');
    }
  }

  /** GET_MIN_OFFSET / GET_MAX_OFFSET of one queue. */
  async queueRange(address: string, topic: string, queueId: number): Promise<{ minOffset: number; maxOffset: number }> {
    const ask = (request: (admin: MQAdminClient) => Promise<number>) => this.admin(address, request).catch((error: unknown) => {
      if (isZerolossError(error, 'BROKER_ERROR')) throw new ConsoleError(`the broker refused: ${error.message}`, 'refused');
      throw error;
    });
    const [minOffset, maxOffset] = await Promise.all([
      ask((admin) => admin.minOffset(address, topic, queueId)),
      ask((admin) => admin.maxOffset(address, topic, queueId)),
    ]);
    return { minOffset, maxOffset };
  }

  async close(): Promise<void> {
    const instance = this.instance;
    this.instance = undefined;
    this.producers.clear();
    if (instance) await instance.shutdown([{ producerGroup: CONSOLE_PRODUCER_GROUP }]);
  }

  /**
   * One producer per topic: a producer numbers its messages per queue (ZL_SEQ), and consumers of a
   * topic check those numbers; one producer shared by topics would look like gaps to them.
   */
  private producerFor(topic: string): Producer {
    let producer = this.producers.get(topic);
    if (!producer) {
      producer = new Producer({
        producerGroup: CONSOLE_PRODUCER_GROUP,
        producerId: `console-${this.startedAt}-${this.producers.size + 1}`,
        clientInstance: this.client(),
      });
      this.producers.set(topic, producer);
      if (this.producers.size > PRODUCERS_KEPT) this.producers.delete(this.producers.keys().next().value!);
    }
    return producer;
  }
}
