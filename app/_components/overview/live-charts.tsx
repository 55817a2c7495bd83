'use client';
/**
 * The live charts: every 250 ms tick redraws them (animations off). X = wall-clock time (mm:ss) over
 * the last two minutes (./live-chart-frame.tsx); setting flips, faults, process and traffic changes
 * are vertical markers. The series are the replay's too (../charts/series.tsx).
 */
import { memo, useMemo } from 'react';
import { Line, Tooltip, YAxis } from 'recharts';
import type { ChartMarker, LiveSample } from '@/server/live/types';
import { bytes, mmss, ms } from '../../_lib/format';
import { useColorScheme } from '../../_lib/use-color-scheme';
import { CHART_MARGIN, CHART_PALETTES, ChartCanvas, ChartCard, axisStyle, tooltipStyle, type ChartPalette } from '../charts/chart-kit';
import { LATENCY, STATUSES, THROUGHPUT, UNFLUSHED, chartLegend, gridLines, type StatusRow } from '../charts/series';
import { frameOf, liveChrome, markerLines, timeAxis, type LiveFrame } from './live-chart-frame';

interface ChartProps {
  data: LiveSample[];
  frame: LiveFrame;
  palette: ChartPalette;
  empty: string | null;
}

const ThroughputChart = memo(function ThroughputChart({ data, frame, palette, empty, consuming }: ChartProps & { consuming: boolean }) {
  return (
    <ChartCard
      title="Throughput"
      titleId="chart-throughput-title"
      testId="chart-throughput"
      empty={empty}
      summary={THROUGHPUT.summary(data[data.length - 1], consuming)}
    >
      <ChartCanvas type="line" data={data}>
        {liveChrome(palette, frame, THROUGHPUT.format)}
        {THROUGHPUT.draw(palette)}
        {markerLines(frame, palette)}
      </ChartCanvas>
    </ChartCard>
  );
});

const LatencyChart = memo(function LatencyChart({ data, frame, palette, empty }: ChartProps) {
  return (
    <ChartCard title="Send latency" titleId="chart-latency-title" testId="chart-latency" empty={empty} summary={LATENCY.summary(data[data.length - 1])}>
      <ChartCanvas type="line" data={data}>
        {liveChrome(palette, frame, LATENCY.format)}
        {LATENCY.draw(palette)}
        {markerLines(frame, palette)}
      </ChartCanvas>
    </ChartCard>
  );
});

const StatusChart = memo(function StatusChart({ data, frame, palette, empty }: ChartProps) {
  const rows = useMemo(() => data.map((s): StatusRow & { t: number } => ({ t: s.t, ...s.statusPerSec })), [data]);
  return (
    <ChartCard title="SendStatus per second" titleId="chart-status-title" testId="chart-status" empty={empty} summary={STATUSES.summary(rows[rows.length - 1])}>
      <ChartCanvas type="area" data={rows}>
        {liveChrome(palette, frame, STATUSES.format)}
        {STATUSES.draw(palette)}
        {markerLines(frame, palette)}
      </ChartCanvas>
    </ChartCard>
  );
});

const UnflushedChart = memo(function UnflushedChart({ data, frame, palette }: ChartProps) {
  const last = data[data.length - 1];
  return (
    <ChartCard
      title="Unflushed bytes"
      titleId="chart-unflushed-title"
      testId="chart-unflushed"
      empty={null}
      summary={last ? `${bytes(last.unflushedBytes)} at risk on a power cut` : '–'}
    >
      <ChartCanvas type="area" data={data}>
        {liveChrome(palette, frame, UNFLUSHED.format, false)}
        {UNFLUSHED.draw(palette)}
        {markerLines(frame, palette)}
      </ChartCanvas>
    </ChartCard>
  );
});

/** The master's replication lag behind its best slave: bytes on the left axis, age (ms) on the right. */
const ReplicationLagChart = memo(function ReplicationLagChart({ data, frame, palette }: ChartProps) {
  const replicating = useMemo(() => data.some((s) => s.replicationLagBytes !== null || s.replicationLagMs !== null), [data]);
  const last = data[data.length - 1];
  const summary =
    last && (last.replicationLagBytes !== null || last.replicationLagMs !== null)
      ? `${bytes(last.replicationLagBytes)} · ${last.replicationLagMessages ?? 0} msg · ${last.replicationLagMs ? ms(last.replicationLagMs) : '0 ms'} behind`
      : 'no slave replicating';
  return (
    <ChartCard
      title="Replication lag"
      titleId="chart-replication-lag-title"
      testId="chart-replication-lag"
      className="lg:col-span-2"
      empty={replicating ? null : 'No slave replicating'}
      summary={summary}
    >
      <ChartCanvas type="line" data={data} margin={{ ...CHART_MARGIN, right: 4 }} initialWidth={1200}>
        {gridLines(palette)}
        {timeAxis(palette, frame)}
        <YAxis
          yAxisId="bytes"
          width={76}
          {...axisStyle(palette)}
          stroke={palette.lagBytes}
          allowDecimals={false}
          tickFormatter={(v: number) => bytes(v)}
        />
        <YAxis
          yAxisId="ms"
          orientation="right"
          width={68}
          {...axisStyle(palette)}
          stroke={palette.lagMs}
          tickFormatter={(v: number) => (v >= 1000 ? `${Number((v / 1000).toFixed(1))} s` : `${Math.round(v)} ms`)}
        />
        <Tooltip
          {...tooltipStyle(palette)}
          labelFormatter={(t) => mmss(Number(t))}
          formatter={(value, name) => (typeof value !== 'number' ? '–' : name === 'lag (ms)' ? ms(value) : bytes(value))}
        />
        {chartLegend()}
        <Line yAxisId="bytes" name="lag (bytes)" dataKey="replicationLagBytes" type="stepAfter" stroke={palette.lagBytes} strokeWidth={2} dot={false} isAnimationActive={false} connectNulls={false} />
        <Line yAxisId="ms" name="lag (ms)" dataKey="replicationLagMs" stroke={palette.lagMs} strokeWidth={1.5} dot={false} isAnimationActive={false} connectNulls={false} strokeDasharray="4 2" />
        {markerLines(frame, palette, 'bytes')}
      </ChartCanvas>
    </ChartCard>
  );
});

export function LiveCharts({ history, markers, now, hasTraffic }: { history: LiveSample[]; markers: ChartMarker[]; now: number; hasTraffic: boolean }) {
  const palette = CHART_PALETTES[useColorScheme()];
  const frame = useMemo(() => frameOf(history, markers, now), [history, markers, now]);
  const quiet = !history.some((s) => s.sentPerSec > 0);
  const empty = !hasTraffic ? 'No traffic yet — start some' : quiet ? 'No sends in the last two minutes' : null;
  // consumers may still drain a backlog after the producer stopped: then the throughput chart has something to show
  const consuming = history.some((s) => (s.deliveredPerSec ?? 0) > 0 || (s.consumedPerSec ?? 0) > 0);
  return (
    <div className="grid gap-4 lg:grid-cols-2">
      <ThroughputChart data={history} frame={frame} palette={palette} empty={consuming ? null : empty} consuming={consuming} />
      <LatencyChart data={history} frame={frame} palette={palette} empty={empty} />
      <StatusChart data={history} frame={frame} palette={palette} empty={empty} />
      <UnflushedChart data={history} frame={frame} palette={palette} empty={null} />
      <ReplicationLagChart data={history} frame={frame} palette={palette} empty={null} />
    </div>
  );
}
