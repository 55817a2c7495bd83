'use client';
/**
 * The recorded samples of a drill run, drawn up to the scrubber position over the run's whole time
 * axis (ms since its start), with the fault windows shaded and a vertical line at the scrubber.
 */
import { memo, type ReactNode } from 'react';
import {
  Area,
  AreaChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ReferenceArea,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type { FaultWindow } from '@/server/drills/types';
import type { LiveSample, OutcomeStatus } from '@/server/live/types';
import { bytes, ms, rate } from '../../_lib/format';
import { OUTCOME_STATUSES, STATUS_COLOR } from '../../_lib/status';
import { useColorScheme } from '../../_lib/use-color-scheme';
import { CHART_PALETTES, ChartCard, axisStyle, legendStyle, tooltipStyle, type ChartPalette } from '../charts/chart-kit';
import { runClock } from './common';

/** One chart row: a recorded sample at t ms since the run's start, statuses spread out. */
export type ReplayRow = Omit<LiveSample, 't' | 'statusPerSec'> & { t: number } & Record<OutcomeStatus, number>;

export function toRows(samples: { t: number; sample: LiveSample }[]): ReplayRow[] {
  return samples.map(({ t, sample }) => {
    const { statusPerSec, t: _wall, ...rest } = sample;
    void _wall;
    return { ...rest, ...statusPerSec, t } as ReplayRow;
  });
}

interface Palette extends ChartPalette {
  cursor: string;
  lag: string;
}
const LIGHT: Palette = { ...CHART_PALETTES.light, cursor: '#0f172a', lag: '#7c3aed' };
const DARK: Palette = { ...CHART_PALETTES.dark, cursor: '#f8fafc', lag: '#a78bfa' };


interface ChartProps {
  rows: ReplayRow[];
  duration: number;
  cursor: number;
  faults: FaultWindow[];
  palette: Palette;
}

function ticksFor(duration: number): number[] {
  const s = duration / 1000;
  const step = s <= 15 ? 2000 : s <= 40 ? 5000 : s <= 120 ? 10_000 : s <= 300 ? 30_000 : 60_000;
  const out: number[] = [];
  for (let t = 0; t <= duration; t += step) out.push(t);
  return out;
}

function chrome(p: ChartProps, format: (v: number) => string): ReactNode[] {
  const { palette, duration, cursor, faults } = p;
  return [
    <CartesianGrid key="grid" stroke={palette.grid} strokeDasharray="3 3" vertical={false} />,
    <XAxis
      key="x"
      dataKey="t"
      type="number"
      domain={[0, duration]}
      ticks={ticksFor(duration)}
      allowDataOverflow
      tickFormatter={(t: number) => `${Math.round(t / 1000)}s`}
      {...axisStyle(palette)}
    />,
    <Tooltip
      key="tip"
      {...tooltipStyle(palette)}
      labelFormatter={(t) => `+${runClock(Number(t))}`}
      formatter={(value) => (typeof value === 'number' ? format(value) : String(value ?? '–'))}
    />,
    <Legend key="legend" {...legendStyle} />,
    ...faults.map((f, i) => (
      <ReferenceArea
        key={`fault-${i}`}
        x1={f.fromT}
        x2={Math.max(f.toT ?? duration, f.fromT + 50)}
        fill={palette.fault}
        fillOpacity={0.12}
        stroke={palette.fault}
        strokeOpacity={0.35}
        ifOverflow="hidden"
        label={{ value: faults.length > 1 ? `fault ${i + 1}` : 'fault', position: 'insideTopLeft', fill: palette.fault, fontSize: 10, fontWeight: 600 }}
      />
    )),
    <ReferenceLine key="cursor" x={cursor} stroke={palette.cursor} strokeWidth={1.5} ifOverflow="hidden" />,
  ];
}

function Frame({ title, titleId, summary, empty, children }: { title: string; titleId: string; summary: string; empty: string | null; children: ReactNode }) {
  return (
    <ChartCard title={title} titleId={titleId} testId={titleId.replace(/-title$/, '')} summary={summary} empty={empty} heightClass="h-52 sm:h-60">
      {children}
    </ChartCard>
  );
}

const MARGIN = { top: 8, right: 12, bottom: 0, left: 0 };
const CONTAINER = { width: '100%', height: '100%', minWidth: 0, initialDimension: { width: 600, height: 220 } } as const;

const Throughput = memo(function Throughput(p: ChartProps & { at: ReplayRow | undefined; empty: string | null }) {
  return (
    <Frame
      title="Throughput per stage"
      titleId="replay-chart-throughput-title"
      empty={p.empty}
      summary={p.at ? `sent ${rate(p.at.sentPerSec)}/s · stored ${rate(p.at.storedPerSec)}/s · consumed ${rate(p.at.consumedPerSec)}/s` : '–'}
    >
      <ResponsiveContainer {...CONTAINER}>
        <LineChart data={p.rows} margin={MARGIN}>
          {chrome(p, (v) => `${rate(v)} msg/s`)}
          <YAxis width={44} {...axisStyle(p.palette)} allowDecimals={false} />
          <Line name="sent/s" dataKey="sentPerSec" stroke={p.palette.sent} strokeWidth={2} dot={false} isAnimationActive={false} />
          <Line name="stored/s" dataKey="storedPerSec" stroke={p.palette.stored} strokeWidth={2} dot={false} isAnimationActive={false} strokeDasharray="5 3" />
          <Line name="delivered/s" dataKey="deliveredPerSec" stroke={p.palette.delivered} strokeWidth={1.5} dot={false} isAnimationActive={false} strokeDasharray="2 2" />
          <Line name="consumed/s" dataKey="consumedPerSec" stroke={p.palette.consumed} strokeWidth={2} dot={false} isAnimationActive={false} />
        </LineChart>
      </ResponsiveContainer>
    </Frame>
  );
});

const Statuses = memo(function Statuses(p: ChartProps & { at: ReplayRow | undefined; empty: string | null }) {
  const notOk = p.at ? OUTCOME_STATUSES.filter((s) => s !== 'SEND_OK').reduce((n, s) => n + (p.at?.[s] ?? 0), 0) : 0;
  return (
    <Frame
      title="SendStatus per second"
      titleId="replay-chart-status-title"
      empty={p.empty}
      summary={p.at ? `SEND_OK ${rate(p.at.SEND_OK)}/s · other ${rate(notOk)}/s` : '–'}
    >
      <ResponsiveContainer {...CONTAINER}>
        <AreaChart data={p.rows} margin={MARGIN}>
          {chrome(p, (v) => `${rate(v)}/s`)}
          <YAxis width={44} {...axisStyle(p.palette)} allowDecimals={false} />
          {OUTCOME_STATUSES.map((s) => (
            <Area
              key={s}
              name={s}
              dataKey={s}
              stackId="status"
              type="linear"
              stroke={STATUS_COLOR[s]}
              fill={STATUS_COLOR[s]}
              fillOpacity={0.55}
              strokeWidth={1}
              dot={false}
              isAnimationActive={false}
            />
          ))}
        </AreaChart>
      </ResponsiveContainer>
    </Frame>
  );
});

const Latency = memo(function Latency(p: ChartProps & { at: ReplayRow | undefined; empty: string | null }) {
  return (
    <Frame title="Send latency" titleId="replay-chart-latency-title" empty={p.empty} summary={p.at ? `p50 ${ms(p.at.latencyP50Ms)} · p99 ${ms(p.at.latencyP99Ms)}` : '–'}>
      <ResponsiveContainer {...CONTAINER}>
        <LineChart data={p.rows} margin={MARGIN}>
          {chrome(p, (v) => ms(v))}
          <YAxis width={52} {...axisStyle(p.palette)} unit=" ms" />
          <Line name="p50" dataKey="latencyP50Ms" stroke={p.palette.p50} strokeWidth={2} dot={false} isAnimationActive={false} connectNulls={false} />
          <Line name="p99" dataKey="latencyP99Ms" stroke={p.palette.p99} strokeWidth={2} dot={false} isAnimationActive={false} connectNulls={false} />
        </LineChart>
      </ResponsiveContainer>
    </Frame>
  );
});

const Durability = memo(function Durability(p: ChartProps & { at: ReplayRow | undefined; hasLag: boolean }) {
  return (
    <Frame
      title={p.hasLag ? 'Unflushed bytes and replication lag' : 'Unflushed bytes'}
      titleId="replay-chart-durability-title"
      empty={null}
      summary={p.at ? `unflushed ${bytes(p.at.unflushedBytes)}${p.hasLag ? ` · lag ${bytes(p.at.replicationLagBytes)}` : ''}` : '–'}
    >
      <ResponsiveContainer {...CONTAINER}>
        <AreaChart data={p.rows} margin={MARGIN}>
          {chrome(p, (v) => bytes(v))}
          <YAxis width={64} {...axisStyle(p.palette)} tickFormatter={(v: number) => bytes(v)} />
          <Area
            name="unflushed"
            dataKey="unflushedBytes"
            type="stepAfter"
            stroke={p.palette.unflushed}
            fill={p.palette.unflushed}
            fillOpacity={0.3}
            strokeWidth={1.5}
            dot={false}
            isAnimationActive={false}
          />
          {p.hasLag ? (
            <Area
              name="replication lag"
              dataKey="replicationLagBytes"
              type="stepAfter"
              stroke={p.palette.lag}
              fill={p.palette.lag}
              fillOpacity={0.2}
              strokeWidth={1.5}
              dot={false}
              connectNulls={false}
              isAnimationActive={false}
            />
          ) : null}
        </AreaChart>
      </ResponsiveContainer>
    </Frame>
  );
});

export function ReplayCharts({ rows, duration, cursor, faults, hasLag }: { rows: ReplayRow[]; duration: number; cursor: number; faults: FaultWindow[]; hasLag: boolean }) {
  const scheme = useColorScheme();
  const palette = scheme === 'dark' ? DARK : LIGHT;
  // the charts as they were at the scrubber position: the samples up to it
  let hi = rows.length;
  let lo = 0;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (rows[mid].t <= cursor) lo = mid + 1;
    else hi = mid;
  }
  const shown = rows.slice(0, lo);
  const at = shown[shown.length - 1];
  const props = { rows: shown, duration, cursor, faults, palette };
  const empty = rows.length === 0 ? 'No samples were recorded' : shown.length === 0 ? 'Move the scrubber forward' : null;
  return (
    <div className="grid gap-4 lg:grid-cols-2">
      <Throughput {...props} at={at} empty={empty} />
      <Statuses {...props} at={at} empty={empty} />
      <Latency {...props} at={at} empty={empty} />
      <Durability {...props} at={at} hasLag={hasLag} />
    </div>
  );
}
