'use client';
/**
 * The live charts: every 250 ms tick redraws them (animations off). X = wall-clock time (mm:ss) over
 * the last two minutes; setting flips, faults, process and traffic changes are vertical markers.
 */
import { memo, useMemo, type ReactNode } from 'react';
import {
  Area,
  AreaChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type { ChartMarker, LiveSample } from '@/server/live/types';
import { bytes, mmss, ms, rate, truncate } from '../../_lib/format';
import { OUTCOME_STATUSES, STATUS_COLOR } from '../../_lib/status';
import { useColorScheme } from '../../_lib/use-color-scheme';
import { LIVE_HISTORY_CAP } from '../../_lib/use-live';
import { CHART_PALETTES, ChartCard, axisStyle, legendStyle, tooltipStyle, type ChartPalette } from '../charts/chart-kit';

const WINDOW_MS = LIVE_HISTORY_CAP * 250;
const TICK_EVERY_MS = 20_000;

interface Palette extends ChartPalette {
  marker: Record<ChartMarker['kind'], string>;
  lagBytes: string;
  lagMs: string;
}

const LIGHT: Palette = {
  ...CHART_PALETTES.light,
  marker: { setting: '#7c3aed', fault: CHART_PALETTES.light.fault, process: '#0284c7', traffic: '#64748b' },
  lagBytes: '#0d9488',
  lagMs: '#e11d48',
};

const DARK: Palette = {
  ...CHART_PALETTES.dark,
  marker: { setting: '#a78bfa', fault: CHART_PALETTES.dark.fault, process: '#38bdf8', traffic: '#94a3b8' },
  lagBytes: '#2dd4bf',
  lagMs: '#fb7185',
};

interface PlacedMarker extends ChartMarker {
  /** label row (0 = top), or null: too crowded, the line is drawn without a label */
  row: number | null;
  /** the label runs left of the line near the right edge */
  anchor: 'start' | 'end';
  text: string;
}

interface Frame {
  domain: [number, number];
  ticks: number[];
  markers: PlacedMarker[];
}

const LABEL_ROWS = 4;
/** how much of the time axis one label covers (about 26 characters on a half-width chart) */
const LABEL_SPAN_SHARE = 0.3;
/** the axis never spans less than this, so a fresh start is not stretched across the chart */
const MIN_SPAN_MS = 30_000;

/** Places each marker's label in the first row where it overlaps no other label. */
function placeMarkers(markers: ChartMarker[], start: number, end: number): PlacedMarker[] {
  const labelSpanMs = (end - start) * LABEL_SPAN_SHARE;
  const rows: [number, number][][] = Array.from({ length: LABEL_ROWS }, () => []);
  const inWindow = markers.filter((m) => m.t >= start && m.t <= end).sort((a, b) => a.t - b.t);
  // the newest markers matter most: place them first
  const placed = [...inWindow].reverse().map((m): PlacedMarker => {
    const anchor = m.t > end - labelSpanMs ? 'end' : 'start';
    const span: [number, number] = anchor === 'start' ? [m.t, m.t + labelSpanMs] : [m.t - labelSpanMs, m.t];
    const row = rows.findIndex((taken) => taken.every(([a, b]) => span[1] < a || span[0] > b));
    if (row >= 0) rows[row].push(span);
    const strong = m.kind === 'setting' || m.kind === 'fault';
    return { ...m, row: row >= 0 ? row : null, anchor, text: truncate(m.label, strong ? 28 : 24) };
  });
  return placed.reverse();
}

/** The shared time window: up to two minutes of the history, at least MIN_SPAN_MS, ending at the newest sample. */
function frameOf(history: LiveSample[], markers: ChartMarker[], now: number): Frame {
  const end = history.length > 0 ? history[history.length - 1].t : now;
  const oldest = history.length > 0 ? history[0].t : end;
  const start = Math.max(end - WINDOW_MS, Math.min(oldest, end - MIN_SPAN_MS));
  const span = end - start;
  const tickEvery = span <= 40_000 ? 5_000 : span <= 90_000 ? 10_000 : TICK_EVERY_MS;
  const ticks: number[] = [];
  for (let t = Math.ceil(start / tickEvery) * tickEvery; t <= end; t += tickEvery) ticks.push(t);
  return { domain: [start, end], ticks, markers: placeMarkers(markers, start, end) };
}

function MarkerLabel({
  viewBox,
  marker,
  color,
}: {
  viewBox?: { x?: number; y?: number };
  marker: PlacedMarker;
  color: string;
}) {
  if (marker.row === null || !viewBox || viewBox.x === undefined || viewBox.y === undefined) return null;
  const end = marker.anchor === 'end';
  return (
    <text
      x={viewBox.x + (end ? -3 : 3)}
      y={viewBox.y + 10 + marker.row * 11}
      textAnchor={end ? 'end' : 'start'}
      fill={color}
      fontSize={10}
      fontWeight={600}
      className="pointer-events-none"
    >
      <title>{marker.label}</title>
      {marker.text}
    </text>
  );
}

function markerLines(frame: Frame, palette: Palette, yAxisId?: string): ReactNode[] {
  return frame.markers.map((m, i) => {
    const color = palette.marker[m.kind];
    const strong = m.kind === 'setting' || m.kind === 'fault';
    return (
      <ReferenceLine
        key={`${m.t}-${i}`}
        x={m.t}
        {...(yAxisId ? { yAxisId } : {})}
        stroke={color}
        strokeWidth={strong ? 1.5 : 1}
        strokeDasharray={strong ? undefined : '3 3'}
        ifOverflow="discard"
        label={(props: { viewBox?: { x?: number; y?: number } }) => <MarkerLabel viewBox={props.viewBox} marker={m} color={color} />}
      />
    );
  });
}

function chartChrome(palette: Palette, frame: Frame) {
  return {
    grid: <CartesianGrid stroke={palette.grid} strokeDasharray="3 3" vertical={false} />,
    xAxis: (
      <XAxis
        dataKey="t"
        type="number"
        scale="time"
        domain={frame.domain}
        ticks={frame.ticks}
        allowDataOverflow
        tickFormatter={mmss}
        {...axisStyle(palette)}
      />
    ),
    tooltip: (formatter: (value: number) => string) => (
      <Tooltip
        {...tooltipStyle(palette)}
        labelFormatter={(t) => mmss(Number(t))}
        formatter={(value) => (typeof value === 'number' ? formatter(value) : String(value ?? '–'))}
      />
    ),
    legend: <Legend {...legendStyle} />,
  };
}

const ThroughputChart = memo(function ThroughputChart({ data, frame, palette, empty }: ChartProps) {
  const c = chartChrome(palette, frame);
  const last = data[data.length - 1];
  const hasConsumers = useMemo(() => data.some((s) => (s.deliveredPerSec ?? 0) > 0 || (s.consumedPerSec ?? 0) > 0), [data]);
  return (
    <ChartCard
      title="Throughput"
      titleId="chart-throughput-title"
      testId="chart-throughput"
      empty={empty}
      summary={
        last
          ? `sent ${rate(last.sentPerSec)}/s · stored ${rate(last.storedPerSec)}/s${
              hasConsumers ? ` · consumed ${rate(last.consumedPerSec)}/s` : ''
            }`
          : '–'
      }
    >
      <ResponsiveContainer width="100%" height="100%" minWidth={0} initialDimension={{ width: 600, height: 240 }}>
        <LineChart data={data} margin={{ top: 8, right: 12, bottom: 0, left: 0 }}>
          {c.grid}
          {c.xAxis}
          <YAxis width={48} {...axisStyle(palette)} allowDecimals={false} unit="" />
          {c.tooltip((v) => `${rate(v)} msg/s`)}
          {c.legend}
          <Line name="sent/s" dataKey="sentPerSec" stroke={palette.sent} strokeWidth={2} dot={false} isAnimationActive={false} />
          <Line name="stored/s" dataKey="storedPerSec" stroke={palette.stored} strokeWidth={2} dot={false} isAnimationActive={false} strokeDasharray="5 3" />
          <Line name="delivered/s" dataKey="deliveredPerSec" stroke={palette.delivered} strokeWidth={1.5} dot={false} isAnimationActive={false} strokeDasharray="2 2" />
          <Line name="consumed/s" dataKey="consumedPerSec" stroke={palette.consumed} strokeWidth={2} dot={false} isAnimationActive={false} />
          {markerLines(frame, palette)}
        </LineChart>
      </ResponsiveContainer>
    </ChartCard>
  );
});

const LatencyChart = memo(function LatencyChart({ data, frame, palette, empty }: ChartProps) {
  const c = chartChrome(palette, frame);
  const last = data[data.length - 1];
  return (
    <ChartCard
      title="Send latency"
      titleId="chart-latency-title"
      testId="chart-latency"
      empty={empty}
      summary={last ? `p50 ${ms(last.latencyP50Ms)} · p99 ${ms(last.latencyP99Ms)}` : '–'}
    >
      <ResponsiveContainer width="100%" height="100%" minWidth={0} initialDimension={{ width: 600, height: 240 }}>
        <LineChart data={data} margin={{ top: 8, right: 12, bottom: 0, left: 0 }}>
          {c.grid}
          {c.xAxis}
          <YAxis width={48} {...axisStyle(palette)} unit=" ms" />
          {c.tooltip((v) => ms(v))}
          {c.legend}
          <Line name="p50" dataKey="latencyP50Ms" stroke={palette.p50} strokeWidth={2} dot={false} isAnimationActive={false} connectNulls={false} />
          <Line name="p99" dataKey="latencyP99Ms" stroke={palette.p99} strokeWidth={2} dot={false} isAnimationActive={false} connectNulls={false} />
          {markerLines(frame, palette)}
        </LineChart>
      </ResponsiveContainer>
    </ChartCard>
  );
});

type StatusRow = { t: number } & Record<string, number>;

const StatusChart = memo(function StatusChart({ data, frame, palette, empty }: ChartProps) {
  const c = chartChrome(palette, frame);
  const rows = useMemo<StatusRow[]>(
    () => data.map((s) => ({ t: s.t, ...s.statusPerSec }) as StatusRow),
    [data],
  );
  const last = data[data.length - 1];
  const notOk = last ? OUTCOME_STATUSES.filter((s) => s !== 'SEND_OK').reduce((n, s) => n + last.statusPerSec[s], 0) : 0;
  return (
    <ChartCard
      title="SendStatus per second"
      titleId="chart-status-title"
      testId="chart-status"
      empty={empty}
      summary={last ? `SEND_OK ${rate(last.statusPerSec.SEND_OK)}/s · other ${rate(notOk)}/s` : '–'}
    >
      <ResponsiveContainer width="100%" height="100%" minWidth={0} initialDimension={{ width: 600, height: 240 }}>
        <AreaChart data={rows} margin={{ top: 8, right: 12, bottom: 0, left: 0 }}>
          {c.grid}
          {c.xAxis}
          <YAxis width={48} {...axisStyle(palette)} allowDecimals={false} />
          {c.tooltip((v) => `${rate(v)}/s`)}
          {c.legend}
          {OUTCOME_STATUSES.map((status) => (
            <Area
              key={status}
              name={status}
              dataKey={status}
              stackId="status"
              type="linear"
              stroke={STATUS_COLOR[status]}
              fill={STATUS_COLOR[status]}
              fillOpacity={0.55}
              strokeWidth={1}
              dot={false}
              isAnimationActive={false}
            />
          ))}
          {markerLines(frame, palette)}
        </AreaChart>
      </ResponsiveContainer>
    </ChartCard>
  );
});

const UnflushedChart = memo(function UnflushedChart({ data, frame, palette }: ChartProps) {
  const c = chartChrome(palette, frame);
  const last = data[data.length - 1];
  return (
    <ChartCard
      title="Unflushed bytes"
      titleId="chart-unflushed-title"
      testId="chart-unflushed"
      empty={null}
      summary={last ? `${bytes(last.unflushedBytes)} at risk on a power cut` : '–'}
    >
      <ResponsiveContainer width="100%" height="100%" minWidth={0} initialDimension={{ width: 600, height: 240 }}>
        <AreaChart data={data} margin={{ top: 8, right: 12, bottom: 0, left: 0 }}>
          {c.grid}
          {c.xAxis}
          <YAxis width={64} {...axisStyle(palette)} tickFormatter={(v: number) => bytes(v)} />
          {c.tooltip((v) => bytes(v))}
          <Area
            name="unflushed"
            dataKey="unflushedBytes"
            type="stepAfter"
            stroke={palette.unflushed}
            fill={palette.unflushed}
            fillOpacity={0.35}
            strokeWidth={1.5}
            dot={false}
            isAnimationActive={false}
          />
          {markerLines(frame, palette)}
        </AreaChart>
      </ResponsiveContainer>
    </ChartCard>
  );
});


/** The master's replication lag behind its best slave: bytes on the left axis, age (ms) on the right. */
const ReplicationLagChart = memo(function ReplicationLagChart({ data, frame, palette }: ChartProps) {
  const c = chartChrome(palette, frame);
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
      <ResponsiveContainer width="100%" height="100%" minWidth={0} initialDimension={{ width: 1200, height: 240 }}>
        <LineChart data={data} margin={{ top: 8, right: 4, bottom: 0, left: 0 }}>
          {c.grid}
          {c.xAxis}
          <YAxis
            yAxisId="bytes"
            width={76}
            stroke={palette.lagBytes}
            tick={{ fontSize: 11, fill: palette.axis }}
            tickLine={false}
            allowDecimals={false}
            tickFormatter={(v: number) => bytes(v)}
          />
          <YAxis
            yAxisId="ms"
            orientation="right"
            width={68}
            stroke={palette.lagMs}
            tick={{ fontSize: 11, fill: palette.axis }}
            tickLine={false}
            tickFormatter={(v: number) => (v >= 1000 ? `${Number((v / 1000).toFixed(1))} s` : `${Math.round(v)} ms`)}
          />
          <Tooltip
            {...tooltipStyle(palette)}
            labelFormatter={(t) => mmss(Number(t))}
            formatter={(value, name) =>
              typeof value !== 'number' ? '–' : name === 'lag (ms)' ? ms(value) : bytes(value)
            }
          />
          {c.legend}
          <Line yAxisId="bytes" name="lag (bytes)" dataKey="replicationLagBytes" type="stepAfter" stroke={palette.lagBytes} strokeWidth={2} dot={false} isAnimationActive={false} connectNulls={false} />
          <Line yAxisId="ms" name="lag (ms)" dataKey="replicationLagMs" stroke={palette.lagMs} strokeWidth={1.5} dot={false} isAnimationActive={false} connectNulls={false} strokeDasharray="4 2" />
          {markerLines(frame, palette, 'bytes')}
        </LineChart>
      </ResponsiveContainer>
    </ChartCard>
  );
});

interface ChartProps {
  data: LiveSample[];
  frame: Frame;
  palette: Palette;
  empty: string | null;
}

export function LiveCharts({ history, markers, now, hasTraffic }: { history: LiveSample[]; markers: ChartMarker[]; now: number; hasTraffic: boolean }) {
  const scheme = useColorScheme();
  const palette = scheme === 'dark' ? DARK : LIGHT;
  const frame = useMemo(() => frameOf(history, markers, now), [history, markers, now]);
  const quiet = !history.some((s) => s.sentPerSec > 0);
  const empty = !hasTraffic ? 'No traffic yet — start some' : quiet ? 'No sends in the last two minutes' : null;
  // consumers may still drain a backlog after the producer stopped: then the throughput chart has something to show
  const consuming = history.some((s) => (s.deliveredPerSec ?? 0) > 0 || (s.consumedPerSec ?? 0) > 0);
  return (
    <div className="grid gap-4 lg:grid-cols-2">
      <ThroughputChart data={history} frame={frame} palette={palette} empty={consuming ? null : empty} />
      <LatencyChart data={history} frame={frame} palette={palette} empty={empty} />
      <StatusChart data={history} frame={frame} palette={palette} empty={empty} />
      <UnflushedChart data={history} frame={frame} palette={palette} empty={null} />
      <ReplicationLagChart data={history} frame={frame} palette={palette} empty={null} />
    </div>
  );
}
