/** What consumers did with one message: every delivery, reconsumes, the DLQ, duplicates suppressed. */
import { Card } from '../ui/card';
import { delta, stamp, type MessageView } from './format';

export function ConsumptionHistory({ message }: { message: MessageView }) {
  const sentAt = message.send?.sentAtMs ?? message.storedAt;
  return (
    <Card title="Consumption history" titleId="consumption-title" testId="message-consumption">
      <dl className="mb-3 grid grid-cols-2 gap-x-6 gap-y-1 text-sm sm:grid-cols-4">
        <Stat label="Deliveries" value={message.deliveryCount} testId="message-deliveries" />
        <Stat label="Reconsumes" value={message.reconsumes} testId="message-reconsumes" />
        <Stat label="Duplicates suppressed" value={message.duplicatesSuppressed} testId="message-duplicates" />
        <div>
          <dt className="text-[11px] uppercase tracking-wide text-slate-500 dark:text-slate-400">Dead-letter queue</dt>
          <dd data-testid="message-dlq" className={message.dlqAt !== null ? 'font-semibold text-red-700 dark:text-red-300' : ''}>
            {message.dlqAt !== null ? `moved at ${stamp(message.dlqAt)}` : 'no'}
          </dd>
        </div>
      </dl>
      {message.deliveries.length === 0 ? (
        <p className="text-sm text-slate-500 dark:text-slate-400">
          No consumer has received it yet{message.storedAt === null ? ' (and the broker has not reported storing it)' : ''}.
        </p>
      ) : (
        <div className="relative -mx-4 overflow-x-auto px-4">
          <table className="w-full min-w-[24rem] border-collapse text-left text-sm">
            <caption className="sr-only">Deliveries of this message</caption>
            <thead>
              <tr className="border-b border-slate-200 text-[11px] uppercase tracking-wide text-slate-500 dark:border-slate-800 dark:text-slate-400">
                <th scope="col" className="py-1.5 pr-3 font-semibold">#</th>
                <th scope="col" className="py-1.5 pr-3 font-semibold">Delivered at</th>
                <th scope="col" className="py-1.5 pr-3 font-semibold">Since sent</th>
                <th scope="col" className="py-1.5 pr-3 text-right font-semibold">reconsumeTimes</th>
                <th scope="col" className="py-1.5 text-right font-semibold">Queue offset</th>
              </tr>
            </thead>
            <tbody>
              {message.deliveries.map((d, i) => (
                <tr key={i} className="border-b border-slate-100 last:border-0 dark:border-slate-800/60">
                  <td className="py-1.5 pr-3">{i + 1}</td>
                  <td className="py-1.5 pr-3 font-mono text-xs">{stamp(d.atMs)}</td>
                  <td className="py-1.5 pr-3 text-xs">{sentAt !== null ? delta(d.atMs - sentAt) : '–'}</td>
                  <td className="py-1.5 pr-3 text-right">{d.reconsumeTimes}</td>
                  <td className="py-1.5 text-right">{d.queueOffset}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {message.deliveryCount > message.deliveries.length ? (
            <p className="mt-1 text-xs text-slate-500 dark:text-slate-400">Showing the first {message.deliveries.length} of {message.deliveryCount} deliveries.</p>
          ) : null}
        </div>
      )}
      {message.consumedAt !== null ? (
        <p className="mt-3 text-sm text-emerald-700 dark:text-emerald-300">Consumed (CONSUME_SUCCESS) at {stamp(message.consumedAt)}.</p>
      ) : null}
    </Card>
  );
}

function Stat({ label, value, testId }: { label: string; value: number; testId: string }) {
  return (
    <div>
      <dt className="text-[11px] uppercase tracking-wide text-slate-500 dark:text-slate-400">{label}</dt>
      <dd data-testid={testId} className="tabular-nums">{value}</dd>
    </div>
  );
}
