/**
 * What the settings form needs to know about each key, read from the one zod schema
 * (broker/config/broker-config.ts; zod only, safe in the browser): the input kind, enum options,
 * bounds and the unit the name implies.
 */
import { BrokerSettingsSchema, type BrokerSettings, type SettingGroup } from '@/server/settings/schema';
import { bytes } from '../../_lib/format';
import type { ApiError } from '../../_lib/trpc';
import { fieldIssues } from '../ui/field-errors';

export type SettingKey = keyof BrokerSettings;
export type SettingValue = BrokerSettings[SettingKey];

export const GROUPS: { id: SettingGroup; title: string; blurb: string }[] = [
  { id: 'storage', title: 'Storage', blurb: 'When a stored message is safe on disk: flushing, segment sizes, limits.' },
  { id: 'replication', title: 'Replication', blurb: 'Whether a send waits for the slave, and how the HA link behaves.' },
  { id: 'producer', title: 'Producer', blurb: 'How the lab producer times out and retries (client-side in RocketMQ).' },
  { id: 'consumer', title: 'Consumer', blurb: 'Redelivery of failed messages and the road to the DLQ.' },
  { id: 'transaction', title: 'Transaction', blurb: 'Half messages: when they are checked back, and when given up.' },
  { id: 'controller', title: 'Controller mode', blurb: 'RocketMQ 5: a controller elects each group’s master from its SyncStateSet. Fixed for the life of a process: applying any of these restarts the cluster.' },
];

export type Unit = 'ms' | 'bytes' | 'pages' | null;

export interface SettingMeta {
  key: SettingKey;
  kind: 'enum' | 'number' | 'boolean' | 'string';
  options: string[];
  min?: number;
  max?: number;
  unit: Unit;
}

/** The unit a RocketMQ name implies: …Timeout/…Interval/…TimeOut/…Ms are milliseconds, …Size/…Gap… bytes. */
function unitOf(key: string): Unit {
  if (/(Timeout|TimeOut|Interval|Ms)$/.test(key) || /Interval/.test(key)) return 'ms';
  if (/Size|Gap/.test(key)) return 'bytes';
  if (/Pages$/.test(key)) return 'pages';
  return null;
}

interface Unwrappable {
  unwrap(): { def: { type: string }; options?: readonly string[]; minValue?: number | null; maxValue?: number | null };
}

function metaOf(key: SettingKey): SettingMeta {
  const inner = (BrokerSettingsSchema.shape[key] as unknown as Unwrappable).unwrap();
  const type = inner.def.type;
  if (type === 'enum') return { key, kind: 'enum', options: [...(inner.options ?? [])], unit: null };
  if (type === 'boolean') return { key, kind: 'boolean', options: ['true', 'false'], unit: null };
  if (type === 'number') {
    return {
      key,
      kind: 'number',
      options: [],
      min: inner.minValue ?? undefined,
      max: inner.maxValue ?? undefined,
      unit: unitOf(key),
    };
  }
  return { key, kind: 'string', options: [], unit: null };
}

const SETTING_KEYS = Object.keys(BrokerSettingsSchema.shape) as SettingKey[];

export const SETTING_META: Record<SettingKey, SettingMeta> = Object.fromEntries(
  SETTING_KEYS.map((key) => [key, metaOf(key)]),
) as Record<SettingKey, SettingMeta>;

/** Enum values the form cannot apply to the master, with the reason (shown disabled). */
export const DISABLED_OPTIONS: Partial<Record<SettingKey, Record<string, string>>> = {
  brokerRole: { SLAVE: 'SLAVE is the slave process’s role, not a setting of the master: start a slave on the overview page' },
};

/** Human reading of a value: "65536 bytes" → "64.0 MiB", 60000 ms → "60 s". */
export function readable(meta: SettingMeta, value: unknown): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) return String(value);
  if (meta.unit === 'bytes') return value >= 1024 ? `${value} B (${bytes(value)})` : `${value} B`;
  if (meta.unit === 'ms') {
    if (value >= 60_000 && value % 60_000 === 0) return `${value} ms (${value / 60_000} min)`;
    if (value >= 1000) return `${value} ms (${Number((value / 1000).toFixed(2))} s)`;
    return `${value} ms`;
  }
  if (meta.unit === 'pages') return `${value} pages (${bytes(value * 4096)})`;
  return String(value);
}

/** Short form for badges and the confirmation: unit included. */
export function short(meta: SettingMeta, value: unknown): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) return String(value);
  if (meta.unit === 'bytes') return value >= 1024 ? bytes(value) : `${value} B`;
  if (meta.unit === 'ms') return `${value} ms`;
  if (meta.unit === 'pages') return `${value} pages`;
  return String(value);
}

/** The form's text for a value; and back. '' or junk becomes NaN so the server's message names the field. */
export function toDraft(value: unknown): string {
  return typeof value === 'boolean' ? String(value) : String(value ?? '');
}

export function fromDraft(meta: SettingMeta, text: string): SettingValue {
  if (meta.kind === 'number') return (text.trim() === '' ? Number.NaN : Number(text)) as SettingValue;
  if (meta.kind === 'boolean') return (text === 'true') as SettingValue;
  return text as SettingValue;
}

/** The server's sentence for each setting it refused (data.fieldErrors by key, server/routers/trpc.ts). */
export function fieldErrors(error: ApiError | null | undefined): Partial<Record<SettingKey, string>> {
  return Object.fromEntries(fieldIssues(error, SETTING_KEYS));
}
