'use client';
/**
 * The simulation a drill card started (or the latest one): a drill over many seeds on the
 * deterministic simulator. Progress while it runs, then how often and how much these settings lost
 * (verdict counts, the share of seeds with a loss, histograms), the seeds that failed or lost most,
 * and any seed's event trace. Every number here is simulated, and says so.
 */
import { useId, useState } from 'react';
import type { SeedOutcome } from '@/server/sim/sim-batch';
import { errorMessage, trpc } from '../../_lib/trpc';
import { Button } from '../ui/button';
import { Card } from '../ui/card';
import { Notice } from './common';
import { SimHistograms } from './sim-histograms';

const failed = (o: SeedOutcome) => o.verdict === 'FAIL' || o.verdict === 'BUDGET' || o.verdict === 'ERROR';
const VERDICT_ORDER: SeedOutcome['verdict'][] = ['PASS', 'LOSS_EXPECTED', 'FAIL', 'BUDGET', 'ERROR'];
const VERDICT_CLASS: Record<SeedOutcome['verdict'], string> = {
  PASS: 'bg-emerald-100 text-emerald-900 dark:bg-emerald-950 dark:text-emerald-200',
  LOSS_EXPECTED: 'bg-amber-100 text-amber-900 dark:bg-amber-950 dark:text-amber-200',
  FAIL: 'bg-red-100 text-red-900 dark:bg-red-950 dark:text-red-200',
  BUDGET: 'bg-red-100 text-red-900 dark:bg-red-950 dark:text-red-200',
  ERROR: 'bg-red-100 text-red-900 dark:bg-red-950 dark:text-red-200',
};

export function SimulatedBadge() {
  return (
    <span className="rounded-full bg-violet-100 px-2 py-0.5 text-xs font-semibold uppercase tracking-wide text-violet-900 ring-1 ring-inset ring-violet-300 dark:bg-violet-950 dark:text-violet-200 dark:ring-violet-800">
      simulated
    </span>
  );
}

export function SimulatePanel({ canCancel }: { canCancel: boolean }) {
  const uid = useId();
  const current = trpc.sim.current.useQuery(undefined, { refetchInterval: (q) => (q.state.data?.state === 'running' ? 500 : 5000) });
  const cancel = trpc.sim.cancel.useMutation({ onSettled: () => void current.refetch() });
  const [traced, setTraced] = useState<number | null>(null);
  const batch = current.data;
  if (!batch) return null;

  const outcomes = batch.outcomes;
  const withLoss = outcomes.filter((o) => o.lostBelievedSent > 0).length;
  const withSendOkLoss = outcomes.filter((o) => o.lostAcked > 0).length;
  const counts = VERDICT_ORDER.map((v) => [v, outcomes.filter((o) => o.verdict === v).length] as const).filter(([, n]) => n > 0);
  const notable = [...outcomes.filter(failed), ...outcomes.filter((o) => !failed(o)).sort((a, b) => b.lostBelievedSent - a.lostBelievedSent || b.duplicated - a.duplicated)].slice(0, 8);
  const pct = batch.total > 0 ? Math.round((batch.done / batch.total) * 100) : 0;

  return (
    <Card
      title={<span className="flex items-center gap-2">Simulation: {batch.title} <SimulatedBadge /></span>}
      titleId={`${uid}-title`}
      testId="sim-panel"
      actions={batch.state === 'running' && canCancel ? <Button onClick={() => cancel.mutate()} busy={cancel.isPending}>Cancel</Button> : null}
    >
      <div className="grid gap-3 text-sm">
        <p className="text-slate-700 dark:text-slate-300">
          {batch.total} seeds from {batch.fromSeed} on the deterministic simulator: the real broker, client and ledger code on a simulated clock, network and disk.
          Prediction: {batch.prediction}
        </p>
        {cancel.isError ? <Notice tone="error" role="alert">{errorMessage(cancel.error)}</Notice> : null}
        <div>
          <div className="flex justify-between text-xs text-slate-600 dark:text-slate-400">
            <span data-testid="sim-progress">
              {batch.state === 'running' ? 'running' : batch.state}: {batch.done}/{batch.total} seeds
            </span>
            <span>{batch.seedsPerMinute > 0 ? `${Math.round(batch.seedsPerMinute)} seeds/minute` : ''}</span>
          </div>
          <div className="mt-1 h-2 overflow-hidden rounded-full bg-slate-200 dark:bg-slate-800" role="progressbar" aria-valuenow={pct} aria-valuemin={0} aria-valuemax={100} aria-label="Seeds simulated">
            <div className="h-full bg-violet-500 transition-[width]" style={{ width: `${pct}%` }} />
          </div>
        </div>
        {outcomes.length > 0 ? (
          <>
            <p data-testid="sim-loss-share">
              <strong>{withLoss}</strong> of {outcomes.length} seeds ({Math.round((withLoss / outcomes.length) * 100)}%) lost a message the producer believed sent;{' '}
              <strong>{withSendOkLoss}</strong> lost a SEND_OK one.
            </p>
            <ul className="flex flex-wrap gap-1.5" aria-label="Verdicts">
              {counts.map(([v, n]) => (
                <li key={v} data-testid={`sim-verdict-${v}`} className={`rounded-full px-2 py-0.5 text-xs font-medium ${VERDICT_CLASS[v]}`}>
                  {v} × {n}
                </li>
              ))}
            </ul>
            <SimHistograms outcomes={outcomes} />
            <div>
              <h3 className="text-xs font-semibold uppercase tracking-wide text-slate-600 dark:text-slate-300">Seeds to look at</h3>
              <table className="mt-1 w-full text-left text-xs tabular-nums">
                <thead className="text-slate-500 dark:text-slate-400">
                  <tr><th className="py-1 pr-2 font-medium">seed</th><th className="pr-2 font-medium">verdict</th><th className="pr-2 font-medium">lost SEND_OK</th><th className="pr-2 font-medium">lost, believed sent</th><th className="pr-2 font-medium">duplicates</th><th className="font-medium">trace</th></tr>
                </thead>
                <tbody>
                  {notable.map((o) => (
                    <tr key={o.seed} className="border-t border-slate-100 dark:border-slate-800">
                      <td className="py-1 pr-2 font-mono">{o.seed}</td>
                      <td className="pr-2">{o.verdict}</td>
                      <td className="pr-2">{o.lostAcked}</td>
                      <td className="pr-2">{o.lostBelievedSent}</td>
                      <td className="pr-2">{o.duplicated}</td>
                      <td><Button variant="ghost" className="px-1.5 py-0.5 text-xs" data-testid={`sim-trace-${o.seed}`} onClick={() => setTraced(o.seed)}>show</Button></td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
        ) : null}
        {traced !== null ? <SeedTrace batchId={batch.batchId} seed={traced} onClose={() => setTraced(null)} /> : null}
      </div>
    </Card>
  );
}

/** One seed replayed on the server and its event trace; sends and consume events folded away unless asked for. */
function SeedTrace({ batchId, seed, onClose }: { batchId: string; seed: number; onClose(): void }) {
  const trace = trpc.sim.trace.useQuery({ batchId, seed }, { staleTime: Infinity, retry: false });
  const [everything, setEverything] = useState(false);
  const lines = trace.data?.trace.filter((l) => everything || !/ (send|delivered|consumed|reconsume|duplicate-suppressed) /.test(l)) ?? [];
  return (
    <section aria-label={`Trace of seed ${seed}`} data-testid="sim-trace" className="rounded-lg border border-slate-200 p-3 dark:border-slate-800">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h3 className="text-sm font-semibold">Seed {seed}, replayed <SimulatedBadge /></h3>
        <div className="flex gap-2">
          <label className="flex items-center gap-1 text-xs"><input type="checkbox" checked={everything} onChange={(e) => setEverything(e.target.checked)} /> every message</label>
          <Button variant="ghost" onClick={onClose}>Close</Button>
        </div>
      </div>
      {trace.isPending ? <p className="text-xs text-slate-500">Replaying seed {seed}…</p> : null}
      {trace.isError ? <Notice tone="error" role="alert">{errorMessage(trace.error)}</Notice> : null}
      {trace.data ? (
        <>
          <p className="mt-1 text-xs">{trace.data.outcome.verdict}: {trace.data.outcome.reason}</p>
          <pre className="mt-2 max-h-80 overflow-auto rounded bg-slate-50 p-2 text-xs dark:bg-slate-950">{lines.join('\n')}</pre>
          <p className="mt-1 text-xs text-slate-500">Replay it from a shell: <code>npm run sim -- --seed {seed} --drills {trace.data.outcome.drillId} --trace</code> (with the batch&apos;s settings as --config).</p>
        </>
      ) : null}
    </section>
  );
}
