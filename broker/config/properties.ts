/**
 * RocketMQ's properties text (broker.conf, the UPDATE_BROKER_CONFIG body): `key=value` lines,
 * `#` comments. Values are coerced by the schema's type of each key, then validated by the schema.
 */
import { BrokerSettingsPatchSchema, BrokerSettingsSchema, type BrokerSettings, type BrokerSettingsPatch } from './broker-config.js';

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

/** Throws a ZodError naming the field and rule when a known key has a bad value. */
export function parseBrokerConf(text: string): ParsedConf {
  const known = new Set(Object.keys(BrokerSettingsSchema.shape));
  const raw: Record<string, unknown> = {};
  const ignoredKeys: string[] = [];
  for (const [key, value] of parseProperties(text)) {
    if (!known.has(key)) {
      ignoredKeys.push(key);
      continue;
    }
    if (numericKeys.has(key)) raw[key] = value === '' ? value : Number(value);
    else if (booleanKeys.has(key)) raw[key] = value === 'true' ? true : value === 'false' ? false : value;
    else raw[key] = value;
  }
  return { patch: BrokerSettingsPatchSchema.parse(raw), ignoredKeys };
}

export function toBrokerConf(settings: Partial<BrokerSettings>): string {
  return Object.entries(settings).map(([k, v]) => `${k}=${v}`).join('\n') + '\n';
}
