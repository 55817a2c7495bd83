/**
 * AllocateMessageQueueAveragely (C/consumer/rebalance/, docs/rocketmq-semantics.md#rebalancing): with N queues and
 * M consumers, consumer i takes a run of consecutive queues; the first N % M consumers take one more.
 * Both lists must be sorted the same way on every consumer, so each queue goes to exactly one.
 */
export function allocateAveragely<T>(queues: readonly T[], consumerIds: readonly string[], me: string): T[] {
  const index = consumerIds.indexOf(me);
  if (index < 0 || queues.length === 0) return [];
  const n = queues.length;
  const m = consumerIds.length;
  const mod = n % m;
  const size = n <= m ? 1 : Math.floor(n / m) + (index < mod ? 1 : 0);
  const start = index < mod ? index * size : index * size + mod;
  const range = Math.min(size, n - start);
  const out: T[] = [];
  for (let i = 0; i < range; i++) out.push(queues[(start + i) % n]);
  return out;
}
