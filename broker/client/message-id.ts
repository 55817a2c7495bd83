/**
 * UNIQ_KEY (msgId) generation as CM/message/MessageClientIDSetter.java lays it out, for IPv4:
 * IP(4) · pid(2) · classLoader hash(4, here random per generator) · ms since the start of the
 * current month(4) · counter(2) → 32 uppercase hex characters. Set once per message, so every
 * retry of a send carries the same id.
 *
 * Like RocketMQ's static setter, one generator serves the whole process by default
 * (processMessageClientIDSetter), so producers of one process share its prefix and its counter.
 * A simulation gives each producer its own, built from its seeded random source and a fixed pid.
 */
import { systemRandom, type Random } from '../io/prng.js';

export class MessageClientIDSetter {
  private readonly prefix: string;
  private counter = 0;
  private monthStart = 0;
  private nextMonthStart = 0;

  constructor(random: Random, pid = process.pid) {
    const buf = Buffer.alloc(10);
    [127, 0, 0, 1].forEach((b, i) => buf.writeUInt8(b, i));
    buf.writeUInt16BE(pid & 0xffff, 4);
    random.bytes(4).copy(buf, 6);
    this.prefix = buf.toString('hex').toUpperCase();
  }

  /** A new UNIQ_KEY for a message created at `nowMs` (wall clock). */
  createUniqId(nowMs: number): string {
    if (nowMs >= this.nextMonthStart) this.refreshMonth(nowMs);
    const tail = Buffer.alloc(6);
    tail.writeUInt32BE((nowMs - this.monthStart) >>> 0, 0);
    this.counter = (this.counter + 1) & 0xffff;
    tail.writeUInt16BE(this.counter, 4);
    return this.prefix + tail.toString('hex').toUpperCase();
  }

  /** The local month around `nowMs`, as RocketMQ's setStartTime (a pure function of `nowMs`). */
  private refreshMonth(nowMs: number): void {
    const d = new Date(nowMs);
    this.monthStart = new Date(d.getFullYear(), d.getMonth(), 1).getTime();
    this.nextMonthStart = new Date(d.getFullYear(), d.getMonth() + 1, 1).getTime();
  }
}

let processSetter: MessageClientIDSetter | undefined;

/** The process's generator (RocketMQ's is static): created on first use, from the real random source. */
export function processMessageClientIDSetter(): MessageClientIDSetter {
  processSetter ??= new MessageClientIDSetter(systemRandom);
  return processSetter;
}
