'use client';
/**
 * The recorded samples of a drill run, drawn up to the scrubber position over the run's whole time
 * axis (ms since its start), with the fault windows shaded and a vertical line at the scrubber. The
 * series are the live overview's (../charts/series.tsx).
 */
import { memo, type ReactNode } from 'react';
import { Area, ReferenceArea, ReferenceLine, XAxis } from 'recharts';
import type { FaultWindow } from '@/server/drills/types';
import type { LiveSample, OutcomeStatus } from '@/server/live/types';
import { bytes } from '../../_lib/format';
import { useColorScheme } from '../../_lib/use-color-scheme';
import { CHART_PALETTES, ChartCanvas, ChartCard, axisStyle, type ChartPalette } from '../charts/chart-kit';
import { LATENCY, STATUSES, THROUGHPUT, UNFLUSHED, chartLegend, gridLines, valueTooltip } from '../charts/series';
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

interface ChartProps {
  rows: ReplayRow[];
  duration: number;
  cursor: number;
  faults: FaultWindow[];
  palette: ChartPalette;
}

function ticksFor(duration: number): number[] {
  const s = duration / 1000;
  const step = s <= 15 ? 2000 : s <= 40 ? 5000 : s <= 120 ? 10_000 : s <= 300 ? 30_000 : 60_000;
  const out: number[] = [];
  for (let t = 0; t <= duration; t += step) out.push(t);
  return out;
}

/** Grid, the run's time axis, tooltip and legend, the fault windows shaded and the scrubber's line. */
function chrome(p: ChartProps, format: (v: number) => string): ReactNode[] {
  const { palette, duration, cursor, faults } = p;
  return [
    gridLines(palette),
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
    valueTooltip(palette, (t) => `+${runClock(t)}`, format),
    chartLegend(),
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

type AtProps = ChartProps & { at: ReplayRow | undefined };

const Throughput = memo(function Throughput(p: AtProps & { empty: string | null }) {
  return (
    <Frame title="Throughput per stage" titleId="replay-chart-throughput-title" empty={p.empty} summary={THROUGHPUT.summary(p.at)}>
      <ChartCanvas type="line" data={p.rows}>
        {chrome(p, THROUGHPUT.format)}
        {THROUGHPUT.draw(p.palette)}
      </ChartCanvas>
    </Frame>
  );
});

const Statuses = memo(function Statuses(p: AtProps & { empty: string | null }) {
  return (
    <Frame title="SendStatus per second" titleId="replay-chart-status-title" empty={p.empty} summary={STATUSES.summary(p.at)}>
      <ChartCanvas type="area" data={p.rows}>
        {chrome(p, STATUSES.format)}
        {STATUSES.draw(p.palette)}
      </ChartCanvas>
    </Frame>
  );
});

const Latency = memo(function Latency(p: AtProps & { empty: string | null }) {
  return (
    <Frame title="Send latency" titleId="replay-chart-latency-title" empty={p.empty} summary={LATENCY.summary(p.at)}>
      <ChartCanvas type="line" data={p.rows}>
        {chrome(p, LATENCY.format)}
        {LATENCY.draw(p.palette)}
      </ChartCanvas>
    </Frame>
  );
});

/** Unflushed bytes and, when a slave replicated during the run, its lag (the live overview draws the lag on its own chart). */
const Durability = memo(function Durability(p: AtProps & { hasLag: boolean }) {
  return (
    <Frame
      title={p.hasLag ? 'Unflushed bytes and replication lag' : 'Unflushed bytes'}
      titleId="replay-chart-durability-title"
      empty={null}
      summary={p.at ? `unflushed ${bytes(p.at.unflushedBytes)}${p.hasLag ? ` · lag ${bytes(p.at.replicationLagBytes)}` : ''}` : '–'}
    >
      <ChartCanvas type="area" data={p.rows}>
        {chrome(p, UNFLUSHED.format)}
        {UNFLUSHED.draw(p.palette)}
        {p.hasLag ? (
          <Area
            name="replication lag"
            dataKey="replicationLagBytes"
            type="stepAfter"
            stroke={p.palette.lagBytes}
            fill={p.palette.lagBytes}
            fillOpacity={0.2}
            strokeWidth={1.5}
            dot={false}
            connectNulls={false}
            isAnimationActive={false}
          />
        ) : null}
      </ChartCanvas>
    </Frame>
  );
});

export function ReplayCharts({ rows, duration, cursor, faults, hasLag }: { rows: ReplayRow[]; duration: number; cursor: number; faults: FaultWindow[]; hasLag: boolean }) {
  const palette = CHART_PALETTES[useColorScheme()];
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
