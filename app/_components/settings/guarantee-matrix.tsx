'use client';
/**
 * The config-to-guarantee matrix: for the CURRENT settings, what each crash drill is predicted to
 * lose (drills.catalog). Refetched after every Apply and import.
 */
import Link from 'next/link';
import { trpc, type RouterOutputs } from '../../_lib/trpc';
import { Card } from '../ui/card';
import { LoadError, LoadingRows } from '../ui/query-state';

type Drill = RouterOutputs['drills']['catalog'][number];

const chip = 'inline-block whitespace-nowrap rounded px-1.5 py-0.5 font-mono text-[10px] font-semibold ring-1';

function Verdict({ drill }: { drill: Drill }) {
  const p = drill.prediction;
  if (p.sendOkLossPossible) {
    return (
      <span className={`${chip} bg-red-50 text-red-800 ring-red-200 dark:bg-red-950/60 dark:text-red-200 dark:ring-red-900`}>
        SEND_OK may be lost
      </span>
    );
  }
  if (p.mayLose.length > 0) {
    return (
      <span className={`${chip} bg-amber-50 text-amber-800 ring-amber-200 dark:bg-amber-950/60 dark:text-amber-200 dark:ring-amber-900`}>
        SEND_OK kept; others may be lost
      </span>
    );
  }
  return (
    <span className={`${chip} bg-emerald-50 text-emerald-800 ring-emerald-200 dark:bg-emerald-950/60 dark:text-emerald-200 dark:ring-emerald-900`}>
      nothing lost
    </span>
  );
}

function StatusList({ statuses }: { statuses: readonly string[] }) {
  if (statuses.length === 0) return <span className="text-slate-400 dark:text-slate-600">–</span>;
  return (
    <span className="flex flex-wrap gap-1">
      {statuses.map((s) => (
        <span key={s} className="rounded bg-slate-100 px-1 font-mono text-[10px] text-slate-700 dark:bg-slate-800 dark:text-slate-300">
          {s}
        </span>
      ))}
    </span>
  );
}

export function GuaranteeMatrix({ highlight }: { highlight: ReadonlySet<string> }) {
  const catalog = trpc.drills.catalog.useQuery(undefined, { refetchInterval: 10_000 });
  return (
    <Card
      title="What the current settings guarantee"
      titleId="guarantee-title"
      testId="guarantee-matrix"
      actions={catalog.isFetching && !catalog.isPending ? <span className="text-xs text-slate-500 dark:text-slate-400">updating…</span> : null}
    >
      <p className="mb-3 text-sm text-slate-600 dark:text-slate-400">
        Each crash drill’s prediction under the settings applied now. Run them on the{' '}
        <Link href="/drills" className="font-medium text-slate-900 underline underline-offset-2 dark:text-slate-100">
          Drills
        </Link>{' '}
        page to check.
      </p>
      {catalog.isPending ? (
        <LoadingRows label="Loading the predictions" rowClassName="h-6" />
      ) : catalog.isError ? (
        <LoadError error={catalog.error} onRetry={() => void catalog.refetch()} />
      ) : (
        <div className="relative -mx-4 overflow-x-auto px-4">
          <table className="w-full min-w-[40rem] border-collapse text-left text-xs">
            <caption className="sr-only">Predicted outcome of each drill under the current settings</caption>
            <thead>
              <tr className="border-b border-slate-200 text-[11px] uppercase tracking-wide text-slate-500 dark:border-slate-800 dark:text-slate-400">
                <th scope="col" className="py-1.5 pr-3 font-semibold">Drill</th>
                <th scope="col" className="py-1.5 pr-3 font-semibold">Acknowledged messages</th>
                <th scope="col" className="py-1.5 pr-3 font-semibold">May lose</th>
                <th scope="col" className="py-1.5 pr-3 font-semibold">Expected statuses</th>
                <th scope="col" className="py-1.5 pr-3 font-semibold">Duplicates</th>
                <th scope="col" className="py-1.5 font-semibold">Decided by</th>
              </tr>
            </thead>
            <tbody>
              {catalog.data.map((drill) => (
                <tr
                  key={drill.id}
                  data-testid={`guarantee-${drill.id}`}
                  data-send-ok-loss={drill.prediction.sendOkLossPossible}
                  className="border-b border-slate-100 align-top last:border-0 dark:border-slate-800/70"
                >
                  <th scope="row" className="py-2 pr-3 font-normal">
                    <span className="block font-medium text-slate-900 dark:text-slate-100">{drill.title}</span>
                    <span className="mt-0.5 block max-w-md text-[11px] leading-4 text-slate-500 dark:text-slate-400" data-testid={`guarantee-text-${drill.id}`}>
                      {drill.prediction.text}
                    </span>
                  </th>
                  <td className="py-2 pr-3">
                    <Verdict drill={drill} />
                  </td>
                  <td className="py-2 pr-3">
                    <StatusList statuses={drill.prediction.sendOkLossPossible ? ['SEND_OK', ...drill.prediction.mayLose.filter((s) => s !== 'SEND_OK')] : drill.prediction.mayLose} />
                  </td>
                  <td className="py-2 pr-3">
                    <StatusList statuses={drill.prediction.expectedStatuses} />
                  </td>
                  <td className="py-2 pr-3">{drill.prediction.duplicatesPossible ? 'possible' : 'no'}</td>
                  <td className="py-2">
                    <span className="flex flex-wrap gap-1">
                      {drill.relevantSettings.map((key) => (
                        <span
                          key={key}
                          className={`rounded px-1 font-mono text-[10px] ${
                            highlight.has(key)
                              ? 'bg-violet-100 text-violet-800 dark:bg-violet-950 dark:text-violet-200'
                              : 'text-slate-500 dark:text-slate-400'
                          }`}
                          title={highlight.has(key) ? 'you are editing this setting: apply to see the new prediction' : undefined}
                        >
                          {key}
                        </span>
                      ))}
                    </span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}
