/**
 * UNIQ_KEY (msgId) generation as CM/message/MessageClientIDSetter.java lays it out, for IPv4:
 * IP(4) · pid(2) · classLoader hash(4, here a random per-process value) · ms since the start of
 * the current month(4) · counter(2) → 32 uppercase hex characters. Set once per message, so every
 * retry of a send carries the same id.
 */
import { randomBytes } from 'node:crypto';

const prefix = (() => {
  const buf = Buffer.alloc(10);
  [127, 0, 0, 1].forEach((b, i) => buf.writeUInt8(b, i));
  buf.writeUInt16BE(process.pid & 0xffff, 4);
  randomBytes(4).copy(buf, 6);
  return buf.toString('hex').toUpperCase();
})();

let counter = 0;
let monthStart = 0;
let nextMonthStart = 0;

function refreshMonth(now: number): void {
  const d = new Date(now);
  monthStart = new Date(d.getFullYear(), d.getMonth(), 1).getTime();
  nextMonthStart = new Date(d.getFullYear(), d.getMonth() + 1, 1).getTime();
}

export function createUniqId(now = Date.now()): string {
  if (now >= nextMonthStart) refreshMonth(now);
  const tail = Buffer.alloc(6);
  tail.writeUInt32BE((now - monthStart) >>> 0, 0);
  counter = (counter + 1) & 0xffff;
  tail.writeUInt16BE(counter, 4);
  return prefix + tail.toString('hex').toUpperCase();
}
