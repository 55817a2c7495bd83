/**
 * The cluster's settings: parsed by the one zod schema, persisted through Prisma (one row per key
 * that differs from RocketMQ's default), so a flip survives a restart of `npm start`.
 */
import type { PrismaClient } from '@prisma/client';
import { BrokerSettingsSchema, defaultSettings, type BrokerSettings, type BrokerSettingsPatch } from '../../broker/config/broker-config';

export class SettingsService {
  private current: BrokerSettings = defaultSettings();

  constructor(private readonly prisma: PrismaClient) {}

  async load(): Promise<BrokerSettings> {
    const rows = await this.prisma.setting.findMany();
    const raw: Record<string, unknown> = {};
    for (const row of rows) {
      if (row.key in BrokerSettingsSchema.shape) raw[row.key] = JSON.parse(row.value);
    }
    const parsed = BrokerSettingsSchema.safeParse(raw);
    // A stored value that no longer validates (schema changed) falls back to the defaults, loudly.
    if (!parsed.success) console.warn(`[settings] stored settings are invalid, using defaults: ${parsed.error.message}`);
    this.current = parsed.success ? parsed.data : defaultSettings();
    return this.current;
  }

  get(): BrokerSettings {
    return this.current;
  }

  /** Validates the merged result and says what would change; nothing is saved. Throws a ZodError naming the field. */
  preview(patch: BrokerSettingsPatch): { settings: BrokerSettings; changed: SettingsChange } {
    const next = BrokerSettingsSchema.parse({ ...this.current, ...patch });
    const changed: SettingsChange = {};
    for (const key of Object.keys(patch) as (keyof BrokerSettings)[]) {
      if (next[key] !== this.current[key]) changed[key] = { from: this.current[key], to: next[key] };
    }
    return { settings: next, changed };
  }

  /** Persists settings that preview() validated: one row per key that differs from RocketMQ's default. */
  async commit(next: BrokerSettings, keys: (keyof BrokerSettings)[]): Promise<void> {
    const defaults = defaultSettings();
    await this.prisma.$transaction(keys.map((key) =>
      next[key] === defaults[key]
        ? this.prisma.setting.deleteMany({ where: { key } })
        : this.prisma.setting.upsert({ where: { key }, create: { key, value: JSON.stringify(next[key]) }, update: { value: JSON.stringify(next[key]) } })));
    this.current = next;
  }

  /** preview() then commit(): validate, save, return the new settings and what changed. */
  async update(patch: BrokerSettingsPatch): Promise<{ settings: BrokerSettings; changed: SettingsChange }> {
    const result = this.preview(patch);
    await this.commit(result.settings, Object.keys(patch) as (keyof BrokerSettings)[]);
    return result;
  }
}

export type SettingsChange = Partial<Record<keyof BrokerSettings, { from: unknown; to: unknown }>>;
