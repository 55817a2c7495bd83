/**
 * RocketMQ's properties text (broker.conf, the UPDATE_BROKER_CONFIG body): `key=value` lines,
 * `#` comments. Values are coerced by the schema's type of each key, then validated by the schema.
 */
import { BrokerSettingsPatchSchema, BrokerSettingsSchema, type BrokerIdentity, type BrokerSettings, type BrokerSettingsPatch } from './broker-config.js';

export interface ParsedConf {
  patch: BrokerSettingsPatch;
  /** keys RocketMQ knows that Zeroloss does not model; reported, not fatal */
  ignoredKeys: string[];
}

const numericKeys = new Set(Object.entries(BrokerSettingsSchema.shape).filter(([, s]) => s.def.type === 'default' && typeof (s as { def: { defaultValue: unknown } }).def.defaultValue === 'number').map(([k]) => k));
const booleanKeys = new Set(Object.entries(BrokerSettingsSchema.shape).filter(([, s]) => typeof (s as { def: { defaultValue: unknown } }).def.defaultValue === 'boolean').map(([k]) => k));

export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    const i = line.search(/[=:]/);
    if (i < 0) continue;
    out.set(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  return out;
}

const knownKeys = new Set(Object.keys(BrokerSettingsSchema.shape));

/** A property's text as the schema's type of its key: numbers and booleans coerced, anything else kept. */
function coerce(key: string, value: string): unknown {
  if (numericKeys.has(key)) return value === '' ? value : Number(value);
  if (booleanKeys.has(key)) return value === 'true' ? true : value === 'false' ? false : value;
  return value;
}

/** Throws a ZodError naming the field and rule when a known key has a bad value. */
export function parseBrokerConf(text: string): ParsedConf {
  const raw: Record<string, unknown> = {};
  const ignoredKeys: string[] = [];
  for (const [key, value] of parseProperties(text)) {
    if (!knownKeys.has(key)) {
      ignoredKeys.push(key);
      continue;
    }
    raw[key] = coerce(key, value);
  }
  return { patch: BrokerSettingsPatchSchema.parse(raw), ignoredKeys };
}

/**
 * What a broker Zeroloss did not start runs (its GET_BROKER_CONFIG), read key by key: a value outside
 * Zeroloss's own ranges (a real RocketMQ accepts some) is listed in `unreadable`, never fatal, and the
 * key keeps RocketMQ's default in `patch`'s absence, so the caller can say which settings it could not
 * take into account.
 */
export function readBrokerConfLeniently(properties: Record<string, string>): ParsedConf & { unreadable: { key: string; value: string; reason: string }[] } {
  const patch: Record<string, unknown> = {};
  const ignoredKeys: string[] = [];
  const unreadable: { key: string; value: string; reason: string }[] = [];
  for (const [key, value] of Object.entries(properties)) {
    if (!knownKeys.has(key)) {
      ignoredKeys.push(key);
      continue;
    }
    const one = BrokerSettingsPatchSchema.safeParse({ [key]: coerce(key, value) });
    if (one.success) Object.assign(patch, one.data);
    else unreadable.push({ key, value, reason: one.error.issues[0]?.message ?? 'invalid' });
  }
  return { patch: patch as BrokerSettingsPatch, ignoredKeys, unreadable };
}

/** `key=value` lines (settings, or any other keys a broker.conf carries). */
export function toBrokerConf(settings: Readonly<Record<string, string | number | boolean | undefined>>): string {
  return Object.entries(settings).map(([k, v]) => `${k}=${v}`).join('\n') + '\n';
}

/**
 * The identity keys RocketMQ's GET_BROKER_CONFIG answers beside the settings (brokerClusterName,
 * brokerName, brokerId, the port it listens on, brokerIP1, storePathRootDir, namesrvAddr), as
 * properties: a tool reading a broker it did not start (server/external/) learns where it lives.
 */
export function identityConf(identity: BrokerIdentity, listenPort: number): string {
  const { brokerClusterName, brokerName, brokerId, brokerIP1, storePathRootDir, namesrvAddr } = identity;
  return toBrokerConf({ brokerClusterName, brokerName, brokerId, listenPort, brokerIP1, storePathRootDir, ...(namesrvAddr ? { namesrvAddr } : {}) });
}
