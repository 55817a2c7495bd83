/**
 * A seeded stream of what a run reports to its loss ledger, tick by tick, as the control plane hands
 * it over: send outcomes, the master's stage batches (stored records and watermarks) and consumer
 * reports. Some messages are never consumed, some fail to send, some come back (redelivered soon after
 * their first delivery, or long after it), and a window of sends fails after a fault. Used by the
 * ledger's folding test (same verdict folded or not) and by its memory bench (a long run at a high
 * rate in flat memory), which is why it is a generator: an hour at 10,000 msg/s never exists at once.
 */
import type { ConsumeEvent, SendOutcome } from '../../broker/ipc';
import { seededRandom } from '../../broker/io/prng';

export interface StreamShape {
  seed: number;
  startMs: number;
  /** messages per second, over all producers */
  rate: number;
  durationMs: number;
  producers: number;
  /** queues per producer (each a sequence stream) */
  queues: number;
  /** chance a sent message is never consumed */
  lossRate: number;
  /** chance a consumed message is delivered and applied again within a second */
  soonRedeliveryRate: number;
  /** chance a consumed message is delivered and applied again `lateRedeliveryMs` later */
  lateRedeliveryRate: number;
  lateRedeliveryMs: number;
  /** sends started in [faultAtMs, faultAtMs + faultForMs) time out */
  faultAtMs?: number;
  faultForMs?: number;
  /** a consumer reports a message nobody of the run sent, this often per tick */
  foreignRate?: number;
  tickMs?: number;
}

export interface StreamTick {
  atMs: number;
  outcomes: SendOutcome[];
  stage: { atMs: number; stored: [string, number, number][]; flushedOffset: number; replicatedOffset: number };
  consumed: ConsumeEvent[];
  /** the fault starts in this tick */
  fault: boolean;
}

const SIZE = 180;

/** A UNIQ_KEY-like id: 32 hex digits, as RocketMQ's MessageClientIDSetter makes them. */
const idOf = (producer: number, n: number) => `7F000001${(4000 + producer).toString(16).padStart(8, '0')}1B2C3D4E${n.toString(16).padStart(8, '0')}`;

export function* ledgerStream(shape: StreamShape): Generator<StreamTick> {
  const random = seededRandom(shape.seed);
  const tickMs = shape.tickMs ?? 100;
  const perTick = (shape.rate * tickMs) / 1000;
  const seqs = new Map<string, number>();
  const later = new Map<number, ConsumeEvent[]>();
  const schedule = (tick: number, e: ConsumeEvent) => {
    const list = later.get(tick);
    if (list) list.push(e);
    else later.set(tick, [e]);
  };
  let offset = 0;
  let n = 0;
  let carry = 0;
  const ticks = Math.ceil(shape.durationMs / tickMs);
  const faultTick = shape.faultAtMs === undefined ? -1 : Math.floor((shape.faultAtMs - shape.startMs) / tickMs);
  for (let tick = 0; tick < ticks + 200 || later.size > 0; tick++) {
    const atMs = shape.startMs + tick * tickMs;
    const outcomes: SendOutcome[] = [];
    const stored: [string, number, number][] = [];
    carry += tick < ticks ? perTick : 0;
    for (; carry >= 1; carry--) {
      const producer = random.int(shape.producers);
      const queueId = random.int(shape.queues);
      const queue = `broker-a:${queueId}`;
      const key = `${producer}|${queue}`;
      const seq = (seqs.get(key) ?? 0) + 1;
      seqs.set(key, seq);
      const id = idOf(producer, n++);
      const sentAtMs = atMs + random.int(tickMs);
      const failed = shape.faultAtMs !== undefined && sentAtMs >= shape.faultAtMs && sentAtMs < shape.faultAtMs + (shape.faultForMs ?? 0);
      outcomes.push({ id, queueId, seq, sentAtMs, latencyMs: failed ? 3000 : 1 + random.int(5), status: failed ? 'TIMEOUT' : 'SEND_OK' });
      if (failed || random.next() < shape.lossRate) continue;
      stored.push([id, offset, SIZE]);
      offset += SIZE;
      const producerId = `producer-${producer}`;
      const base = { id, producerId, queue, seq, topic: 'ZL_DRILL', brokerName: 'broker-a', queueId, queueOffset: seq - 1, reconsumeTimes: 0 };
      const consumeTick = tick + 2 + random.int(4);
      const at = (t: number) => shape.startMs + t * tickMs + random.int(tickMs);
      schedule(consumeTick, { ...base, kind: 'delivered', atMs: at(consumeTick) });
      schedule(consumeTick, { ...base, kind: 'consumed', atMs: at(consumeTick) });
      const again = random.next();
      if (again < shape.soonRedeliveryRate) {
        schedule(consumeTick + 3, { ...base, kind: 'delivered', atMs: at(consumeTick + 3) });
        schedule(consumeTick + 3, { ...base, kind: random.next() < 0.5 ? 'consumed' : 'duplicate-suppressed', atMs: at(consumeTick + 3) });
      } else if (again < shape.soonRedeliveryRate + shape.lateRedeliveryRate) {
        const lateTick = consumeTick + Math.ceil(shape.lateRedeliveryMs / tickMs);
        schedule(lateTick, { ...base, kind: 'delivered', atMs: at(lateTick) });
        schedule(lateTick, { ...base, kind: random.next() < 0.5 ? 'consumed' : 'duplicate-suppressed', atMs: at(lateTick) });
      }
    }
    if (shape.foreignRate && random.next() < shape.foreignRate) {
      const id = idOf(99, n++);
      schedule(tick, { kind: 'consumed', id, producerId: 'someone-else', queue: 'broker-a:0', seq: 1, topic: 'ZL_DRILL', brokerName: 'broker-a', queueId: 0, queueOffset: 0, reconsumeTimes: 0, atMs });
    }
    const consumed = later.get(tick) ?? [];
    later.delete(tick);
    consumed.sort((a, b) => a.atMs - b.atMs);
    // The master flushes and replicates what it stored a tick ago.
    const confirmed = Math.max(0, offset - stored.length * SIZE);
    yield { atMs, outcomes, stage: { atMs, stored, flushedOffset: confirmed, replicatedOffset: confirmed }, consumed, fault: tick === faultTick };
  }
}
