'use client';
/**
 * The distribution of a simulated batch's outcomes: how many seeds lost how many messages the
 * producer believed sent, how many duplicates, how long recovery took. One bar chart each, seeds on
 * the y axis, so "how often, and how much" reads at a glance.
 */
import { Bar, BarChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { SeedOutcome } from '@/server/sim/sim-batch';
import { useColorScheme } from '../../_lib/use-color-scheme';
import { CHART_PALETTES, ChartCard, axisStyle, tooltipStyle } from '../charts/chart-kit';

/** Counts of `values` in up to `maxBins` equal bins from 0; the first bin holds exactly 0. */
export function histogram(values: number[], maxBins = 12): { bin: string; seeds: number }[] {
  if (values.length === 0) return [];
  const max = Math.max(...values);
  if (max === 0) return [{ bin: '0', seeds: values.length }];
  const width = Math.max(1, Math.ceil(max / (maxBins - 1)));
  const bins = [{ bin: '0', seeds: 0 }];
  for (let from = 1; from <= max; from += width) bins.push({ bin: width === 1 ? String(from) : `${from}–${Math.min(max, from + width - 1)}`, seeds: 0 });
  for (const v of values) bins[v === 0 ? 0 : 1 + Math.floor((v - 1) / width)]!.seeds++;
  return bins;
}

function Histogram({ title, id, unit, values, color, note }: { title: string; id: string; unit: string; values: number[]; color: string; note: string }) {
  const palette = CHART_PALETTES[useColorScheme()];
  const data = histogram(values);
  const withAny = values.filter((v) => v > 0).length;
  return (
    <ChartCard
      title={title}
      titleId={id}
      testId={id}
      heightClass="h-44"
      summary={values.length === 0 ? 'no seed yet' : `${withAny} of ${values.length} seeds ${note}`}
      empty={values.length === 0 ? 'No seed has finished yet.' : null}
    >
      <ResponsiveContainer width="100%" height="100%" minWidth={0} initialDimension={{ width: 300, height: 176 }}>
        <BarChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
          <XAxis dataKey="bin" {...axisStyle(palette)} label={{ value: unit, position: 'insideBottomRight', offset: -2, fontSize: 11, fill: palette.axis }} />
          <YAxis allowDecimals={false} width={36} {...axisStyle(palette)} />
          <Tooltip {...tooltipStyle(palette)} formatter={(v) => [`${String(v)} seeds`, '']} labelFormatter={(l) => `${String(l)} ${unit}`} />
          <Bar dataKey="seeds" fill={color} isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </ChartCard>
  );
}

export function SimHistograms({ outcomes }: { outcomes: SeedOutcome[] }) {
  const palette = CHART_PALETTES[useColorScheme()];
  const rto = outcomes.filter((o) => o.rtoMs !== null).map((o) => Math.round(o.rtoMs! / 100) / 10);
  return (
    <div className="grid gap-3 md:grid-cols-3">
      <Histogram title="Lost, believed sent" id="sim-hist-lost" unit="messages" values={outcomes.map((o) => o.lostBelievedSent)} color={palette.fault} note="lost at least one" />
      <Histogram title="Applied twice" id="sim-hist-dup" unit="messages" values={outcomes.map((o) => o.duplicated)} color={palette.delivered} note="had duplicates" />
      <Histogram title="Recovery time" id="sim-hist-rto" unit="s" values={rto.map((s) => Math.round(s))} color={palette.p50} note="measured one" />
    </div>
  );
}
