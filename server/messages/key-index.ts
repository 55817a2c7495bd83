/**
 * KEYS → UNIQ_KEYs of the messages this lab sent (the traffic runner and the console producer), so a
 * key lookup finds them at once however old they are (within the bound). The broker keeps no index
 * file (RocketMQ's QUERY_MESSAGE reads one); messages of external producers are found by a bounded
 * scan instead (key-search.ts). RocketMQ separates several keys in one KEYS property by a space.
 */
import type { SendOutcome } from '../../broker/ipc';

/** keys remembered at most; the oldest key is forgotten first */
export const KEYS_KEPT = 100_000;
/** UNIQ_KEYs kept per key (a key reused by every run of a pattern) */
const IDS_PER_KEY = 16;
/** RocketMQ's MessageConst.KEY_SEPARATOR */
export const KEY_SEPARATOR = ' ';

export function splitKeys(keys: string | undefined): string[] {
  return (keys ?? '').split(KEY_SEPARATOR).filter((k) => k.length > 0);
}

export class KeyIndex {
  private readonly ids = new Map<string, string[]>();

  constructor(private readonly capacity = KEYS_KEPT) {}

  get size(): number {
    return this.ids.size;
  }

  add(keys: string | undefined, id: string): void {
    if (!id) return;
    for (const key of splitKeys(keys)) {
      const list = this.ids.get(key) ?? [];
      if (list.includes(id)) continue;
      list.push(id);
      if (list.length > IDS_PER_KEY) list.shift();
      this.ids.delete(key);
      this.ids.set(key, list);
      while (this.ids.size > this.capacity) this.ids.delete(this.ids.keys().next().value!);
    }
  }

  addOutcomes(outcomes: readonly SendOutcome[]): void {
    for (const o of outcomes) if (o.keys) this.add(o.keys, o.id);
  }

  /** UNIQ_KEYs of the messages that carried `key`, oldest first. */
  get(key: string): readonly string[] {
    return this.ids.get(key) ?? [];
  }
}
