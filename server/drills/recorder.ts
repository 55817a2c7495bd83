/**
 * Stores drill runs through Prisma (the control plane's client): the run row with its settings,
 * prediction, verdict and ledger summary; its timeline events and live samples, written in batches
 * while it runs; and per-message rows for anomalies only, capped (ANOMALY_CAP per run).
 */
import type { PrismaClient } from '@prisma/client';
import type { AnomalyRow } from './loss-ledger';
import { ANOMALY_CAP } from './types';
import type {
  AnomalyKind, DrillAnomalyView, DrillEventKind, DrillId, DrillPrediction, DrillRunDetail, DrillRunInput, DrillRunSettings, DrillRunStatus,
  DrillRunView, DrillSampleView, DrillTarget, DrillTimelineEvent, FaultWindow, LedgerStage, LedgerStatus, LedgerSummary, Verdict,
} from './types';
import type { LiveSample } from '../live/types';

const parse = <T>(json: string | null): T | null => (json === null ? null : (JSON.parse(json) as T));

export class DrillRecorder {
  private pendingEvents: { t: number; kind: DrillEventKind; message: string; detail: unknown }[] = [];
  private pendingSamples: { t: number; sample: LiveSample }[] = [];
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly prisma: PrismaClient, private readonly titles: (id: DrillId) => string) {}

  async createRun(run: { runId: string; drillId: DrillId; settings: DrillRunSettings; input: DrillRunInput; prediction: DrillPrediction; startedAt: number; target?: DrillTarget }): Promise<void> {
    await this.prisma.drillRun.create({
      data: {
        id: run.runId, drillId: run.drillId, settings: JSON.stringify(run.settings), input: JSON.stringify(run.input),
        prediction: JSON.stringify(run.prediction), status: 'running', startedAt: new Date(run.startedAt),
        ...(run.target ? { target: JSON.stringify(run.target) } : {}),
      },
    });
  }

  event(t: number, kind: DrillEventKind, message: string, detail: unknown = {}): void {
    this.pendingEvents.push({ t: Math.max(0, Math.round(t)), kind, message, detail });
  }

  sample(t: number, sample: LiveSample): void {
    this.pendingSamples.push({ t: Math.max(0, Math.round(t)), sample });
  }

  /** Writes what is pending; calls are serialised, a failed write is reported, never thrown into the run. */
  flush(runId: string): Promise<void> {
    const events = this.pendingEvents;
    const samples = this.pendingSamples;
    this.pendingEvents = [];
    this.pendingSamples = [];
    if (events.length === 0 && samples.length === 0) return this.writing;
    this.writing = this.writing.then(async () => {
      try {
        if (events.length > 0) {
          await this.prisma.drillEvent.createMany({ data: events.map((e) => ({ runId, t: e.t, kind: e.kind, message: e.message, detail: JSON.stringify(e.detail ?? {}) })) });
        }
        if (samples.length > 0) {
          await this.prisma.drillSample.createMany({ data: samples.map((s) => ({ runId, t: s.t, sample: JSON.stringify(s.sample) })) });
        }
      } catch (error) {
        console.error(`[drills] could not record the timeline of ${runId}: ${(error as Error).message}`);
      }
    });
    return this.writing;
  }

  async finish(runId: string, end: { status: DrillRunStatus; verdict?: Verdict; verdictReason?: string; summary?: LedgerSummary; error?: string; anomalies?: AnomalyRow[] }): Promise<void> {
    await this.flush(runId);
    const rows = (end.anomalies ?? []).slice(0, ANOMALY_CAP);
    for (let i = 0; i < rows.length; i += 500) {
      await this.prisma.drillAnomaly.createMany({
        data: rows.slice(i, i + 500).map((a) => ({
          runId, messageId: a.messageId, kind: a.kind, sendStatus: a.sendStatus, lastStage: a.lastStage, detail: JSON.stringify(a.detail),
        })),
      });
    }
    await this.prisma.drillRun.update({
      where: { id: runId },
      data: {
        status: end.status, verdict: end.verdict ?? null, verdictReason: end.verdictReason ?? null,
        summary: end.summary ? JSON.stringify(end.summary) : null, error: end.error ?? null, endedAt: new Date(),
      },
    });
  }

  /** A run left 'running' by a control plane that died mid-drill is marked failed on the next start. */
  async failOrphans(): Promise<void> {
    await this.prisma.drillRun.updateMany({
      where: { status: 'running' },
      data: { status: 'failed', error: 'the control plane stopped while this drill ran', endedAt: new Date() },
    });
  }

  private view(row: { id: string; drillId: string; settings: string; input: string; status: string; verdict: string | null; verdictReason: string | null; prediction: string | null; summary: string | null; startedAt: Date; endedAt: Date | null; error: string | null; target: string | null }): DrillRunView {
    const drillId = row.drillId as DrillId;
    return {
      runId: row.id,
      drillId,
      title: this.titles(drillId),
      status: row.status as DrillRunStatus,
      verdict: row.verdict as Verdict | null,
      verdictReason: row.verdictReason,
      settings: JSON.parse(row.settings) as DrillRunSettings,
      input: JSON.parse(row.input) as DrillRunInput,
      prediction: parse<DrillPrediction>(row.prediction),
      summary: parse<LedgerSummary>(row.summary),
      startedAt: row.startedAt.getTime(),
      endedAt: row.endedAt?.getTime() ?? null,
      error: row.error,
      target: parse<DrillTarget>(row.target),
    };
  }

  async history(input: { limit: number; drillId?: DrillId; verdict?: Verdict }): Promise<DrillRunView[]> {
    const rows = await this.prisma.drillRun.findMany({
      where: { ...(input.drillId ? { drillId: input.drillId } : {}), ...(input.verdict ? { verdict: input.verdict } : {}) },
      orderBy: { startedAt: 'desc' },
      take: input.limit,
    });
    return rows.map((r) => this.view(r));
  }

  async get(runId: string, anomalyLimit: number): Promise<DrillRunDetail | null> {
    const row = await this.prisma.drillRun.findUnique({ where: { id: runId } });
    if (!row) return null;
    const [events, samples, anomalies, reruns] = await Promise.all([
      this.prisma.drillEvent.findMany({ where: { runId }, orderBy: [{ t: 'asc' }, { id: 'asc' }] }),
      this.prisma.drillSample.findMany({ where: { runId }, orderBy: [{ t: 'asc' }, { id: 'asc' }] }),
      this.prisma.drillAnomaly.findMany({ where: { runId }, orderBy: { id: 'asc' }, take: anomalyLimit }),
      // A re-run names its original in its input JSON (the schema has no column for it).
      this.prisma.drillRun.findMany({
        where: { input: { contains: `"rerunOf":"${runId}"` } }, orderBy: { startedAt: 'desc' }, take: 20,
        select: { id: true, status: true, verdict: true, startedAt: true },
      }),
    ]);
    const timeline: DrillTimelineEvent[] = events.map((e) => ({ t: e.t, kind: e.kind as DrillEventKind, message: e.message, detail: JSON.parse(e.detail) as unknown }));
    return {
      ...this.view(row),
      reruns: reruns.map((r) => ({ runId: r.id, status: r.status as DrillRunStatus, verdict: r.verdict as Verdict | null, startedAt: r.startedAt.getTime() })),
      events: timeline,
      samples: samples.map((s): DrillSampleView => ({ t: s.t, sample: JSON.parse(s.sample) as LiveSample })),
      faultWindows: faultWindows(timeline),
      anomalies: anomalies.map((a): DrillAnomalyView => ({
        messageId: a.messageId, kind: a.kind as AnomalyKind, sendStatus: a.sendStatus as LedgerStatus | null, lastStage: a.lastStage as LedgerStage | null,
        detail: JSON.parse(a.detail) as unknown,
      })),
    };
  }
}

/** Pairs each fault.start with the next fault.end (or leaves it open). */
export function faultWindows(events: DrillTimelineEvent[]): FaultWindow[] {
  const windows: FaultWindow[] = [];
  for (const e of events) {
    if (e.kind === 'fault.start') windows.push({ fromT: e.t, toT: null, label: e.message });
    else if (e.kind === 'fault.end') {
      const open = windows.find((w) => w.toT === null);
      if (open) open.toT = e.t;
    }
  }
  return windows;
}
