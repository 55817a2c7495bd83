'use client';
/**
 * Where the Traffic and Messages pages' clients go: the embedded cluster, or a RocketMQ cluster
 * Zeroloss did not start, by its name servers (server/traffic/traffic-target.ts). The control plane
 * checks that a name server answers before it switches, and refuses while traffic or consumers run.
 * TargetNote says so on every page whose producer, consumers or lookups follow the target.
 */
import { useState, type FormEvent } from 'react';
import type { LiveState } from '@/server/live/types';
import { errorMessage, trpc } from '../../_lib/trpc';
import { useCan } from '../../_lib/session';
import { Button } from '../ui/button';
import { Card } from '../ui/card';
import { RequestError } from '../ui/query-state';
import { TextField } from '../ui/form';
import { fieldIssues } from '../ui/field-errors';
import { AclAccountFields, useAclAccount } from '../ui/acl-account-fields';

const ID = 'target';

export function TargetCard({ state }: { state: LiveState }) {
  const can = useCan('operator');
  const [namesrv, setNamesrv] = useState('');
  const account = useAclAccount();
  const setTarget = trpc.traffic.setTarget.useMutation();
  const issues = fieldIssues(setTarget.error, ['namesrvAddr', 'accessKey', 'secretKey']);
  const busy = state.traffic.state === 'running' || state.consumers.running;
  const blocked = !can.allowed ? can.reason : busy ? 'stop the traffic and the consumers first: they run against the current target' : undefined;
  const external = state.target.kind === 'external';

  const useExternal = (event: FormEvent) => {
    event.preventDefault();
    if (!blocked) setTarget.mutate({ kind: 'external', namesrvAddr: namesrv, ...account.input() });
  };

  return (
    <Card title="Target" titleId="target-title" testId="target-card" className="lg:col-span-2">
      <div className="grid gap-3 text-sm">
        <p data-testid="target-current">
          The producer, the consumers and the Messages page use{' '}
          {external ? (
            <strong>
              the external cluster at <span className="font-mono">{state.target.namesrv}</span>
              {state.target.accessKey ? <> as ACL account <span className="font-mono" data-testid="target-access-key">{state.target.accessKey}</span></> : null}
            </strong>
          ) : (
            <strong>the embedded cluster{state.target.namesrv ? <> (name server <span className="font-mono">{state.target.namesrv}</span>)</> : null}</strong>
          )}
          .
        </p>
        <form onSubmit={useExternal} noValidate aria-labelledby="target-title" className="flex flex-wrap items-end gap-2">
          <TextField name="namesrvAddr" label="External name servers" unit="host:port;host:port" testId="target-namesrv" placeholder="10.0.0.5:9876" value={namesrv} onChange={setNamesrv} issues={issues} idPrefix={ID} className="min-w-64 flex-1" />
          <AclAccountFields account={account} issues={issues} idPrefix={ID} accessKeyTestId="target-access-key-input" secretKeyTestId="target-secret-key" className="w-40" />
          <Button type="submit" data-testid="target-use-external" busy={setTarget.isPending} disabled={Boolean(blocked)} title={blocked}>Use this cluster</Button>
          {external ? (
            <Button variant="ghost" data-testid="target-use-embedded" busy={setTarget.isPending} disabled={Boolean(blocked)} title={blocked} onClick={() => setTarget.mutate({ kind: 'embedded' })}>
              Back to the embedded cluster
            </Button>
          ) : null}
        </form>
        {blocked && can.allowed ? <p className="text-xs text-slate-600 dark:text-slate-400">{blocked}.</p> : null}
        {setTarget.data ? <p className="text-xs text-slate-600 dark:text-slate-400" data-testid="target-listed">Switched: {setTarget.data.listed}.</p> : null}
        {setTarget.error && issues.size === 0 ? <RequestError testId="target-error" className="">{errorMessage(setTarget.error)}</RequestError> : null}
      </div>
    </Card>
  );
}

/** Said wherever the producer, consumers or lookups follow the target, while it is an external cluster. */
export function TargetNote({ state }: { state: LiveState | null }) {
  if (!state || state.target.kind !== 'external') return null;
  return (
    <p role="status" data-testid="target-note" className="rounded-lg lg:col-span-2 border border-sky-300 bg-sky-50 px-3 py-2 text-sm text-sky-900 dark:border-sky-800 dark:bg-sky-950 dark:text-sky-100">
      Traffic, consumers and message lookups go to the external cluster at <span className="font-mono">{state.target.namesrv}</span>. The
      send and consume charts count them; the broker, durability and replication figures are the embedded cluster&apos;s, which this
      traffic does not reach.
    </p>
  );
}
