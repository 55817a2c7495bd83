'use client';
/**
 * External: a RocketMQ cluster Zeroloss did not start. Read it (its brokers, roles and the settings
 * each one runs, from GET_BROKER_CLUSTER_INFO and GET_BROKER_CONFIG), see what a fault executor
 * would run (dry run), and run a drill on it with its progress and verdict. The same drill as
 * `zeroloss drill --target external` (docs/external-clusters.md).
 */
import Link from 'next/link';
import { useState, type FormEvent } from 'react';
import { errorMessage, trpc, type RouterOutputs } from '../../_lib/trpc';
import { useCan } from '../../_lib/session';
import { RoleHint } from '../auth/role-hint';
import { Button } from '../ui/button';
import { Card } from '../ui/card';
import { Field, HintedSelect, TextField, inputClass, toNumber, type HintedOption } from '../ui/form';
import { SEND_MODE_OPTIONS } from '../ui/send-modes';
import { AclAccountFields, useAclAccount } from '../ui/acl-account-fields';
import { EmptyNote, RequestError } from '../ui/query-state';
import { fieldIssues, invalidProps } from '../ui/field-errors';

const ID = 'external';
const FIELDS = ['namesrvAddr', 'accessKey', 'secretKey', 'scenario', 'sendMode', 'executor', 'durationSec', 'rate', 'producers'];
type Scenario = 'process-crash' | 'producer-network-flap';
const SCENARIOS: HintedOption<Scenario>[] = [
  { value: 'process-crash', label: 'process-crash — kill a master', hint: 'The fault executor kills one group\'s master with no grace; it comes back by the executor\'s start step or by itself.' },
  { value: 'producer-network-flap', label: 'producer-network-flap — drop the producers\' link', hint: 'A proxy here, between the traffic runners and one master, drops and resets their connections in bursts. No executor: nothing on the cluster is touched.' },
];
type SendMode = (typeof SEND_MODE_OPTIONS)[number]['value'];
const EXAMPLE_EXECUTOR = JSON.stringify({ type: 'command', timeoutMs: 20000, commands: { 'kill-broker': 'ssh {host} sudo systemctl kill -s KILL rocketmq-broker@{broker}' } }, null, 2);

export function ExternalPage() {
  const [namesrv, setNamesrvText] = useState('');
  const [executor, setExecutor] = useState(EXAMPLE_EXECUTOR);
  /** the file the executor was loaded from or saved to, for the name servers read last (null: none saved) */
  const [executorFile, setExecutorFile] = useState<{ target: string; file: string | null } | null>(null);
  const [durationSec, setDurationSec] = useState('20');
  const [rate, setRate] = useState('200');
  const [producers, setProducers] = useState('1');
  const [scenario, setScenario] = useState<Scenario>('process-crash');
  const [sendMode, setSendMode] = useState<SendMode>('sync');
  const account = useAclAccount();
  const canRead = useCan('drill');
  const canRun = useCan('admin');
  const describe = trpc.external.describe.useMutation();
  const utils = trpc.useUtils();
  const status = trpc.external.status.useQuery(undefined, { refetchInterval: (q) => (q.state.data?.state === 'running' ? 500 : 5000) });
  const onStarted = { onSuccess: () => void utils.external.status.invalidate() };
  const dryRun = trpc.external.dryRun.useMutation(onStarted);
  const run = trpc.external.run.useMutation(onStarted);
  const cancel = trpc.external.cancel.useMutation(onStarted);
  const save = trpc.external.saveExecutor.useMutation({ onSuccess: (r, sent) => setExecutorFile({ target: sent.namesrvAddr, file: r.file }) });
  const lastError = save.error ?? describe.error ?? dryRun.error ?? run.error;
  const setNamesrv = (value: string) => {
    setNamesrvText(value);
    setExecutorFile(null);
  };
  const issues = fieldIssues(lastError, FIELDS);
  const general = lastError && issues.size === 0 ? errorMessage(lastError) : null;
  const running = status.data?.state === 'running';
  const input = () => ({ namesrvAddr: namesrv, ...account.input(), scenario, sendMode, ...(scenario === 'process-crash' ? { executor } : {}), durationSec: toNumber(durationSec), rate: toNumber(rate), producers: toNumber(producers) });

  const read = (event: FormEvent) => {
    event.preventDefault();
    dryRun.reset();
    run.reset();
    save.reset();
    const target = namesrv;
    describe.mutate({ namesrvAddr: target, ...account.input() }, {
      // The executor saved for this target, if any, replaces what the field holds.
      onSuccess: async () => {
        const saved = await utils.external.savedExecutor.fetch({ namesrvAddr: target }, { staleTime: 0 }).catch(() => undefined);
        if (saved === undefined) return;
        if (saved) setExecutor(saved.text);
        setExecutorFile({ target, file: saved?.file ?? null });
      },
    });
  };

  return (
    <div className="grid gap-4">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">External cluster</h1>
        <p className="max-w-3xl text-sm text-slate-600 dark:text-slate-400">
          Drill a RocketMQ cluster you run. Zeroloss reads what it runs with RocketMQ&apos;s own admin requests, never changes its settings, and injects the fault through an executor you configure: shell commands, kubectl or Chaos Mesh.
        </p>
      </div>
      <div className="grid gap-4 xl:grid-cols-3">
        <Card title="Target" titleId="external-target-title" testId="external-target-card">
          <form onSubmit={read} noValidate aria-labelledby="external-target-title" className="grid gap-3">
            <TextField name="namesrvAddr" label="Name servers" unit="host:port;host:port" testId="external-namesrv" placeholder="10.0.0.5:9876" value={namesrv} onChange={setNamesrv} issues={issues} idPrefix={ID} announce />
            <div className="grid grid-cols-2 items-end gap-3">
              <AclAccountFields account={account} issues={issues} idPrefix={ID} accessKeyTestId="external-access-key" secretKeyTestId="external-secret-key" />
            </div>
            <div className="grid gap-2">
              <HintedSelect label="Scenario" name="scenario" testId="external-scenario" value={scenario} options={SCENARIOS} onChange={setScenario} labelClassName="text-sm" errorProps={invalidProps(issues, 'scenario', ID)} />
              <HintedSelect label="Send mode" name="sendMode" testId="external-send-mode" value={sendMode} options={SEND_MODE_OPTIONS} onChange={setSendMode} labelClassName="text-sm" errorProps={invalidProps(issues, 'sendMode', ID)} />
            </div>
            {scenario === 'process-crash' ? (
              <Field label="Fault executor" unit="JSON, docs/fault-executors.md" name="executor" issues={issues} idPrefix={ID} announce>
                {(invalid) => (
                  <textarea data-testid="external-executor" name="executor" rows={8} value={executor} onChange={(e) => setExecutor(e.target.value)} spellCheck={false} className={`${inputClass} font-mono text-xs`} {...invalid} />
                )}
              </Field>
            ) : null}
            {scenario === 'process-crash' ? (
              <div className="flex flex-wrap items-center gap-2 text-xs text-slate-600 dark:text-slate-400">
                <Button variant="ghost" data-testid="external-save-executor" busy={save.isPending} disabled={!canRun.allowed || !namesrv.trim()} title={canRun.reason ?? (namesrv.trim() ? undefined : 'give the name servers first: the file is this target\'s')} onClick={() => save.mutate({ namesrvAddr: namesrv, executor })}>Save for this target</Button>
                <span data-testid="external-executor-file" className="min-w-0 break-all">
                  {executorFile?.target === namesrv
                    ? executorFile.file
                      ? <>Saved in <code>{executorFile.file}</code>; the CLI takes the same file with <code>--executors</code>.</>
                      : 'Nothing saved for this target yet.'
                    : null}
                </span>
              </div>
            ) : null}
            <div className="grid grid-cols-3 gap-3">
              <TextField name="durationSec" label="Duration" unit="s" testId="external-duration" value={durationSec} onChange={setDurationSec} issues={issues} idPrefix={ID} />
              <TextField name="rate" label="Rate" unit="msg/s" testId="external-rate" value={rate} onChange={setRate} issues={issues} idPrefix={ID} />
              <TextField name="producers" label="Producers" unit="processes" testId="external-producers" value={producers} onChange={setProducers} issues={issues} idPrefix={ID} />
            </div>
            <div className="flex flex-wrap gap-2">
              <Button type="submit" data-testid="external-read" busy={describe.isPending} disabled={!canRead.allowed} title={canRead.reason}>Read cluster</Button>
              <Button data-testid="external-dry-run" busy={dryRun.isPending} disabled={!canRead.allowed || running} title={canRead.reason} onClick={() => { run.reset(); dryRun.mutate(input()); }}>Dry run</Button>
              <Button variant="danger" data-testid="external-run" busy={run.isPending} disabled={!canRun.allowed || running} title={canRun.reason} onClick={() => { dryRun.reset(); run.mutate(input()); }}>Run {scenario} drill</Button>
              {running ? <Button variant="ghost" data-testid="external-cancel" busy={cancel.isPending} onClick={() => cancel.mutate()} disabled={!canRun.allowed}>Cancel</Button> : null}
            </div>
            <RoleHint can={canRun} what="Running a drill (its executor runs commands on this machine)" />
            {general ? <RequestError testId="external-error">{general}</RequestError> : null}
          </form>
        </Card>
        <div className="grid content-start gap-4 xl:col-span-2">
          <ClusterCard view={describe.data} pending={describe.isPending} />
          <RunCard status={status.data ?? null} />
        </div>
      </div>
    </div>
  );
}

type ClusterView = RouterOutputs['external']['describe'];

function ClusterCard({ view, pending }: { view: ClusterView | undefined; pending: boolean }) {
  return (
    <Card title="Brokers, as the cluster says it runs" titleId="external-cluster-title" testId="external-cluster-card">
      {!view ? (
        <EmptyNote>{pending ? 'Reading the cluster…' : 'Read a cluster to see its brokers and the settings each one runs.'}</EmptyNote>
      ) : (
        <div className="-mx-4 overflow-x-auto px-4">
          <p className="mb-2 text-xs text-slate-500 dark:text-slate-400">Name server {view.answeredBy} answered.</p>
          <table data-testid="external-brokers" className="w-full min-w-[36rem] border-collapse text-left text-sm">
            <caption className="sr-only">Brokers of the external cluster</caption>
            <thead>
              <tr className="border-b border-slate-200 text-[11px] uppercase tracking-wide text-slate-500 dark:border-slate-800 dark:text-slate-400">
                <th scope="col" className="py-1.5 pr-3 font-semibold">Broker</th>
                <th scope="col" className="py-1.5 pr-3 font-semibold">Address</th>
                <th scope="col" className="py-1.5 pr-3 font-semibold">brokerRole</th>
                <th scope="col" className="py-1.5 pr-3 font-semibold">flushDiskType</th>
                <th scope="col" className="py-1.5 font-semibold">Not understood</th>
              </tr>
            </thead>
            <tbody>
              {view.brokers.map((b) => (
                <tr key={b.addr} data-testid={`external-broker-${b.brokerName}-${b.brokerId}`} className="border-b border-slate-100 last:border-0 dark:border-slate-800/70">
                  <td className="py-1.5 pr-3 font-mono text-xs">{b.cluster}/{b.brokerName}/{b.brokerId}</td>
                  <td className="py-1.5 pr-3 font-mono text-xs">{b.addr}</td>
                  <td className="py-1.5 pr-3 text-xs">{b.settings.brokerRole}</td>
                  <td className="py-1.5 pr-3 text-xs">{b.settings.flushDiskType}</td>
                  <td className="py-1.5 text-xs">{b.unreadable.length === 0 ? '–' : b.unreadable.map((u) => `${u.key}=${u.value}`).join(', ')}</td>
                </tr>
              ))}
              {view.unreachable.map((u) => (
                <tr key={u.addr} className="border-b border-slate-100 text-red-700 last:border-0 dark:border-slate-800/70 dark:text-red-300">
                  <td className="py-1.5 pr-3 font-mono text-xs">{u.brokerName}/{u.brokerId}</td>
                  <td className="py-1.5 pr-3 font-mono text-xs">{u.addr}</td>
                  <td colSpan={3} className="py-1.5 text-xs">did not answer: {u.error}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}

type RunStatus = NonNullable<RouterOutputs['external']['status']>;

function RunCard({ status }: { status: RunStatus | null }) {
  const r = status?.result;
  const verdictTone = r?.verdict === 'FAIL' || (r?.lostAcked ?? 0) > 0 ? 'text-red-700 dark:text-red-300' : 'text-emerald-700 dark:text-emerald-300';
  return (
    <Card title={status?.dryRun ? 'Dry run' : 'Drill on the external cluster'} titleId="external-run-title" testId="external-run-card">
      {!status ? (
        <EmptyNote>No run yet. A dry run prints the commands or manifests the fault would run, and runs nothing.</EmptyNote>
      ) : (
        <div className="grid gap-3 text-sm">
          <p data-testid="external-run-state">
            Run {status.runId} against {status.target}: <strong>{status.state}</strong>
            {status.state === 'done' && r && !status.dryRun ? <span className={`ml-2 font-semibold ${verdictTone}`} data-testid="external-verdict">{r.verdict}: {r.verdictReason}</span> : null}
            {status.error ? <span className="ml-2 text-red-700 dark:text-red-300" data-testid="external-run-error">{status.error}</span> : null}
          </p>
          {r && !status.dryRun && r.summary ? (
            <dl className="grid grid-cols-2 gap-x-4 gap-y-1 sm:grid-cols-4" data-testid="external-ledger">
              <dt className="text-slate-500">sent</dt><dd className="tabular-nums">{r.sent}</dd>
              <dt className="text-slate-500">SEND_OK</dt><dd className="tabular-nums">{r.statuses?.SEND_OK ?? 0}</dd>
              <dt className="text-slate-500">consumed</dt><dd className="tabular-nums">{r.consumed}</dd>
              <dt className="text-slate-500">SEND_OK lost</dt><dd className="tabular-nums">{r.lostAcked}</dd>
              <dt className="text-slate-500">duplicates</dt><dd className="tabular-nums">{r.duplicates}</dd>
              <dt className="text-slate-500">recovery</dt><dd className="tabular-nums">{r.recoveryMs == null ? '–' : `${r.recoveryMs} ms`}</dd>
            </dl>
          ) : null}
          {status.recordedRunId ? (
            <p>
              Recorded in the drill history:{' '}
              <Link href={`/drills/${status.recordedRunId}`} data-testid="external-replay-link" className="font-medium text-emerald-700 underline dark:text-emerald-300">
                replay run {status.recordedRunId}
              </Link>
            </p>
          ) : null}
          {status.plan ? <pre data-testid="external-plan" className="max-h-96 overflow-auto whitespace-pre-wrap break-words rounded bg-slate-50 p-2 font-mono text-xs dark:bg-slate-950">{status.plan}</pre> : null}
          <pre data-testid="external-log" aria-live="polite" className="max-h-72 overflow-auto whitespace-pre-wrap break-words rounded bg-slate-50 p-2 font-mono text-xs dark:bg-slate-950">{status.lines.join('\n')}</pre>
        </div>
      )}
    </Card>
  );
}
