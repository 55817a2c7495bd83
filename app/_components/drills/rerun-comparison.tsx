/**
 * A run and its re-run side by side: the settings that may differ, then the ledgers (attempted, told
 * per status, consumed, lost, duplicated, gaps, recovery, transactions) and why each was judged as
 * it was. A value that differs is bold; a loss that differs is red.
 */
import Link from 'next/link';
import { ACK_MODES } from '@/broker/client/ack-mode';
import { SEND_MODES } from '@/broker/client/send-mode';
import { int } from '../../_lib/format';
import { LEDGER_STATUSES, RunOutcomeBadge, type DrillRunDetail } from './common';

/** The settings a re-run may change, as the comparison lists them first. */
export type Knob = 'flushDiskType' | 'brokerRole' | 'sendMode' | 'ackMode' | 'idempotent';

export const CHOICES: Record<Knob, { label: string; options: readonly string[] }> = {
  flushDiskType: { label: 'flushDiskType', options: ['SYNC_FLUSH', 'ASYNC_FLUSH'] },
  brokerRole: { label: 'brokerRole', options: ['SYNC_MASTER', 'ASYNC_MASTER'] },
  sendMode: { label: 'send mode', options: SEND_MODES },
  ackMode: { label: 'consumer ack', options: ACK_MODES },
  idempotent: { label: 'idempotent consumer', options: ['yes', 'no'] },
};

export function knobOf(run: DrillRunDetail, knob: Knob): string {
  switch (knob) {
    case 'flushDiskType': return run.settings.broker.flushDiskType;
    case 'brokerRole': return run.settings.broker.brokerRole;
    case 'sendMode': return run.settings.traffic.sendMode;
    case 'ackMode': return run.settings.traffic.ackMode;
    case 'idempotent': return run.settings.traffic.idempotent ? 'yes' : 'no';
  }
}

export function Comparison({ left, right }: { left: DrillRunDetail; right: DrillRunDetail }) {
  const l = left.summary;
  const r = right.summary;
  const statuses = LEDGER_STATUSES.filter((s) => (l?.acknowledged[s] ?? 0) + (r?.acknowledged[s] ?? 0) > 0);
  const rows: { label: string; a: string; b: string; bad?: boolean }[] = [
    ...(Object.keys(CHOICES) as Knob[]).map((k) => ({ label: CHOICES[k].label, a: knobOf(left, k), b: knobOf(right, k) })),
    { label: 'attempted', a: num(l?.attempted), b: num(r?.attempted) },
    ...statuses.map((s) => ({ label: `told ${s}`, a: num(l?.acknowledged[s]), b: num(r?.acknowledged[s]) })),
    { label: 'consumed', a: num(l?.consumed), b: num(r?.consumed) },
    { label: 'lost SEND_OK', a: num(l?.lostAcked), b: num(r?.lostAcked), bad: true },
    { label: 'lost (all)', a: num(l?.lostTotal), b: num(r?.lostTotal), bad: true },
    { label: 'duplicated', a: num(l?.duplicated), b: num(r?.duplicated) },
    { label: 'sequence gaps', a: num(l?.gaps), b: num(r?.gaps) },
    { label: 'recovery (ms)', a: num(l?.recovery.rtoMs), b: num(r?.recovery.rtoMs) },
    ...(l?.transactions || r?.transactions
      ? [
          { label: 'committed', a: num(l?.transactions?.committed), b: num(r?.transactions?.committed) },
          { label: 'rolled back', a: num(l?.transactions?.rolledBack), b: num(r?.transactions?.rolledBack) },
          { label: 'rolled back, delivered', a: num(l?.transactions?.rolledBackDelivered), b: num(r?.transactions?.rolledBackDelivered), bad: true },
          { label: 'half messages resolved', a: halves(l?.transactions), b: halves(r?.transactions) },
        ]
      : []),
  ];
  const head = (run: DrillRunDetail, role: string) => (
    <th scope="col" className="px-2 py-1.5 text-left align-top font-medium">
      <span className="text-xs uppercase tracking-wide text-slate-500 dark:text-slate-400">{role}</span>
      <br />
      <Link href={`/drills/${run.runId}`} className="font-mono text-xs underline">
        {run.runId}
      </Link>{' '}
      <RunOutcomeBadge run={run} />
    </th>
  );
  return (
    <div className="relative overflow-x-auto" data-testid="rerun-comparison">
      <table className="w-full min-w-[28rem] text-sm">
        <caption className="sr-only">The two runs side by side</caption>
        <thead>
          <tr className="border-b border-slate-200 dark:border-slate-800">
            <th scope="col" className="px-2 py-1.5 text-left font-medium">
              {left.title}
            </th>
            {head(left, 'original')}
            {head(right, 're-run')}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => {
            const differs = row.a !== row.b;
            return (
              <tr key={row.label} className="border-b border-slate-100 last:border-0 dark:border-slate-800/60">
                <th scope="row" className="px-2 py-1 text-left font-normal text-slate-600 dark:text-slate-400">
                  {row.label}
                </th>
                {[row.a, row.b].map((v, i) => (
                  <td key={i} className={`px-2 py-1 font-mono tabular-nums ${differs ? 'font-semibold' : ''} ${differs && row.bad && v !== '0' ? 'text-red-700 dark:text-red-300' : ''}`}>
                    {v}
                  </td>
                ))}
              </tr>
            );
          })}
          <tr>
            <th scope="row" className="px-2 py-1 text-left align-top font-normal text-slate-600 dark:text-slate-400">
              why
            </th>
            <td className="px-2 py-1 align-top text-xs">{left.verdictReason ?? left.error ?? '-'}</td>
            <td className="px-2 py-1 align-top text-xs">{right.verdictReason ?? right.error ?? '-'}</td>
          </tr>
        </tbody>
      </table>
    </div>
  );
}

const num = (n: number | null | undefined) => (n === null || n === undefined ? '-' : int(n));
const halves = (t: { halfOpen: number; halfOpenResolved: number } | undefined) => (t ? `${int(t.halfOpenResolved)} of ${int(t.halfOpen)}` : '-');
