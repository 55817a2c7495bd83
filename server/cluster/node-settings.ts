/**
 * The settings each broker node really runs: the truth the dashboard and the drills show.
 *
 * The control plane keeps the desired settings (what the user chose, saved through Prisma); every
 * node reports the settings it runs when it starts, when its role changes, and in answer to every
 * change (GET_BROKER_CONFIG read back after UPDATE_BROKER_CONFIG). A node's confirmed settings are
 * only ever what it said itself. Where desired and confirmed differ, the node is in drift, key by key.
 *
 * Nodes are named by identity (group/brokerId at first start: broker-a/0, broker-a/1), not by role,
 * because roles change on promotion.
 */
import type { MQAdminClient } from './admin-client';
import type { BrokerRole, BrokerSettings, BrokerSettingsPatch } from '../../broker/config/broker-config';

export interface SettingDrift {
  key: keyof BrokerSettings;
  desired: unknown;
  running: unknown;
}

export interface NodeSettingsView {
  /** broker-a/0, broker-a/1: the node's identity, whatever its role now */
  node: string;
  /** the node's role as it last confirmed it */
  role?: BrokerRole;
  /** down: not running; starting: spawned, not yet confirmed; confirmed: runs the desired settings; drift: it does not */
  state: 'down' | 'starting' | 'confirmed' | 'drift';
  /** what the node said it runs, and when */
  running?: BrokerSettings;
  confirmedAtMs?: number;
  /** key by key, where the node runs something else than desired */
  drift: SettingDrift[];
}

/** Every key whose value differs between what is desired and what runs. */
export function settingsDrift(desired: BrokerSettings, running: BrokerSettings): SettingDrift[] {
  const out: SettingDrift[] = [];
  for (const key of Object.keys(desired) as (keyof BrokerSettings)[]) {
    if (desired[key] !== running[key]) out.push({ key, desired: desired[key], running: running[key] });
  }
  return out;
}

export function describeDrift(node: string, drift: SettingDrift[]): string {
  return `${node} runs ${drift.map((d) => `${d.key}=${String(d.running)} (wanted ${String(d.desired)})`).join(', ')}`;
}

/**
 * UPDATE_BROKER_CONFIG, then the settings read back with GET_BROKER_CONFIG: a change counts only
 * once the node says it runs it. Throws with the node's own reason when it refuses.
 */
export async function pushNodeSettings(admin: MQAdminClient, address: string, patch: BrokerSettingsPatch): Promise<BrokerSettings> {
  if (Object.keys(patch).length > 0) await admin.updateBrokerConfig(address, patch);
  return admin.getBrokerConfig(address);
}

/** The confirmed settings of one node, as it reported them. */
export class NodeSettingsRecord {
  private running: BrokerSettings | undefined;
  private confirmedAtMs: number | undefined;
  private starting = false;

  constructor(readonly node: string) {}

  /** the node was spawned: until it reports, nothing is known of what it runs */
  spawned(): void {
    this.starting = true;
    this.running = undefined;
    this.confirmedAtMs = undefined;
  }

  confirm(settings: BrokerSettings, atMs = Date.now()): void {
    this.starting = false;
    this.running = settings;
    this.confirmedAtMs = atMs;
  }

  /** the process is gone: it runs nothing */
  gone(): void {
    this.starting = false;
    this.running = undefined;
    this.confirmedAtMs = undefined;
  }

  get confirmed(): BrokerSettings | undefined {
    return this.running;
  }

  view(desired: BrokerSettings): NodeSettingsView {
    if (!this.running) return { node: this.node, state: this.starting ? 'starting' : 'down', drift: [] };
    const drift = settingsDrift(desired, this.running);
    return { node: this.node, role: this.running.brokerRole, state: drift.length > 0 ? 'drift' : 'confirmed', running: this.running, confirmedAtMs: this.confirmedAtMs, drift };
  }
}

/** Runs tasks one at a time, in call order: settings changes and node starts never interleave. */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
