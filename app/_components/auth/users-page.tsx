'use client';
/**
 * Users and API tokens (admin only): add a user with a role, change a role, remove a user; create a
 * token (shown once, then only its name), revoke one. Removing and revoking ask for the name.
 */
import { useState, type FormEvent } from 'react';
import { ROLE_ABILITIES, ROLES, type Role } from '@/server/auth/roles';
import { errorMessage, trpc } from '../../_lib/trpc';
import { useCan, useSession } from '../../_lib/session';
import { Button } from '../ui/button';
import { Card } from '../ui/card';
import { ConfirmDialog } from '../ui/confirm-dialog';
import { inputClass } from '../ui/form';
import { EmptyNote, LoadError, LoadingRows, RequestError } from '../ui/query-state';
import { RoleGate } from './role-gate';

const when = (ms: number | null) => (ms === null ? 'never' : new Date(ms).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'short' }));

function RoleSelect({ value, onChange, testId, disabled, label }: { value: Role; onChange(role: Role): void; testId: string; disabled?: boolean; label?: string }) {
  return (
    <select aria-label={label} data-testid={testId} value={value} disabled={disabled} onChange={(e) => onChange(e.target.value as Role)} className={inputClass}>
      {ROLES.map((r) => (
        <option key={r} value={r}>
          {r}
        </option>
      ))}
    </select>
  );
}

export function UsersPage() {
  const can = useCan('admin');
  return (
    <div className="space-y-4">
      <div>
        <h1 className="text-xl font-semibold tracking-tight">Users and API tokens</h1>
        <ul className="mt-1 grid gap-x-6 text-sm text-slate-600 sm:grid-cols-2 dark:text-slate-400">
          {ROLES.map((r) => (
            <li key={r}>
              <strong className="font-semibold text-slate-900 dark:text-slate-100">{r}</strong>: {ROLE_ABILITIES[r]}
            </li>
          ))}
        </ul>
      </div>
      <RoleGate can={can} what="Managing users and tokens" testId="users-denied">
        <div className="grid gap-4 xl:grid-cols-2">
          <UsersCard />
          <TokensCard />
        </div>
      </RoleGate>
    </div>
  );
}

function UsersCard() {
  const session = useSession();
  const utils = trpc.useUtils();
  const users = trpc.users.list.useQuery();
  const after = () => void utils.users.list.invalidate();
  const create = trpc.users.create.useMutation({ onSuccess: () => { setName(''); setPassword(''); }, onSettled: after });
  const setRole = trpc.users.setRole.useMutation({ onSettled: after });
  const remove = trpc.users.remove.useMutation({ onSettled: after });
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [role, setNewRole] = useState<Role>('viewer');
  const [removing, setRemoving] = useState<string | null>(null);
  const failed = [setRole, remove].find((m) => m.isError);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate({ name: name.trim(), password, role });
  };

  return (
    <Card title="Users" titleId="users-title" testId="users-card">
      {users.isPending ? (
        <LoadingRows label="Loading users" rowClassName="h-8" />
      ) : users.isError ? (
        <LoadError error={users.error} onRetry={() => void users.refetch()} />
      ) : users.data.length === 0 ? (
        <EmptyNote testId="users-empty" boxed>
          No users yet. Loopback clients are the local admin; add users for everyone else below.
        </EmptyNote>
      ) : (
        <ul className="divide-y divide-slate-100 dark:divide-slate-800">
          {users.data.map((u) => {
            const self = session.via === 'session' && session.user === u.name;
            return (
              <li key={u.id} data-testid={`user-${u.name}`} className="flex flex-wrap items-center gap-3 py-2">
                <div className="min-w-0 flex-1">
                  <p className="font-medium">{u.name}{self ? <span className="ml-1 text-xs text-slate-500 dark:text-slate-400">(you)</span> : null}</p>
                  <p className="text-xs text-slate-500 dark:text-slate-400">
                    last sign-in {when(u.lastLoginAt)} · {u.sessions} active session{u.sessions === 1 ? '' : 's'}
                  </p>
                </div>
                <div className="w-32">
                  <RoleSelect label={`Role of ${u.name}`} testId={`user-role-${u.name}`} value={u.role} disabled={self || setRole.isPending} onChange={(r) => setRole.mutate({ name: u.name, role: r })} />
                </div>
                <Button variant="ghost" data-testid={`user-remove-${u.name}`} disabled={self} title={self ? 'you cannot remove yourself' : undefined} onClick={() => setRemoving(u.name)}>
                  Remove…
                </Button>
              </li>
            );
          })}
        </ul>
      )}
      {failed ? <RequestError>{errorMessage(failed.error)}</RequestError> : null}

      <form onSubmit={submit} className="mt-4 grid gap-3 border-t border-slate-200 pt-4 sm:grid-cols-[1fr_1fr_8rem_auto] dark:border-slate-800" aria-label="Add a user">
        <label className="text-sm">
          <span className="font-medium">Name</span>
          <input data-testid="user-new-name" autoComplete="off" value={name} onChange={(e) => setName(e.target.value)} className={inputClass} />
        </label>
        <label className="text-sm">
          <span className="font-medium">Password</span> <span className="text-xs text-slate-500 dark:text-slate-400">(8+ characters)</span>
          <input data-testid="user-new-password" type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} className={inputClass} />
        </label>
        <label className="text-sm">
          <span className="font-medium">Role</span>
          <RoleSelect testId="user-new-role" value={role} onChange={setNewRole} />
        </label>
        <div className="flex items-end">
          <Button type="submit" variant="primary" data-testid="user-create" busy={create.isPending} disabled={name.trim() === '' || password === ''}>
            Add user
          </Button>
        </div>
      </form>
      {create.isError ? <RequestError testId="user-create-error">{errorMessage(create.error)}</RequestError> : null}

      <ConfirmDialog
        open={removing !== null}
        title={`Remove ${removing}?`}
        confirmLabel="Remove user"
        confirmText={removing ?? ''}
        onConfirm={(typed) => {
          if (removing) remove.mutate({ name: removing, confirm: typed });
          setRemoving(null);
        }}
        onCancel={() => setRemoving(null)}
      >
        <p>
          <strong>{removing}</strong> can no longer sign in, and every session of theirs ends now. The audit log keeps their entries.
        </p>
      </ConfirmDialog>
    </Card>
  );
}

function TokensCard() {
  const utils = trpc.useUtils();
  const tokens = trpc.tokens.list.useQuery();
  const after = () => void utils.tokens.list.invalidate();
  const create = trpc.tokens.create.useMutation({ onSuccess: () => setName(''), onSettled: after });
  const revoke = trpc.tokens.revoke.useMutation({ onSettled: after });
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [revoking, setRevoking] = useState<{ id: number; name: string } | null>(null);
  const [copied, setCopied] = useState(false);

  return (
    <Card title="API tokens" titleId="tokens-title" testId="tokens-card">
      <p className="-mt-1 mb-3 text-sm text-slate-600 dark:text-slate-400">
        For scripts and CI: send <code className="font-mono text-xs">Authorization: Bearer zl_…</code>. A token is shown once, when it is created.
      </p>
      {create.data ? (
        <div role="status" data-testid="token-created" className="mb-3 rounded-md border border-emerald-300 bg-emerald-50 p-3 text-sm dark:border-emerald-800 dark:bg-emerald-950/50">
          <p className="font-medium">Token “{create.data.view.name}” ({create.data.view.role}) — copy it now, it is not shown again:</p>
          <div className="mt-2 flex items-center gap-2">
            <code data-testid="token-value" className="min-w-0 flex-1 select-all break-all rounded bg-white px-2 py-1 font-mono text-xs dark:bg-slate-950">{create.data.token}</code>
            <Button onClick={() => void navigator.clipboard?.writeText(create.data!.token).then(() => setCopied(true), () => {})}>{copied ? 'Copied' : 'Copy'}</Button>
          </div>
        </div>
      ) : null}
      {tokens.isPending ? (
        <LoadingRows label="Loading tokens" rows={2} rowClassName="h-8" />
      ) : tokens.isError ? (
        <LoadError error={tokens.error} onRetry={() => void tokens.refetch()} />
      ) : tokens.data.length === 0 ? (
        <EmptyNote boxed>No tokens yet.</EmptyNote>
      ) : (
        <ul className="divide-y divide-slate-100 dark:divide-slate-800">
          {tokens.data.map((t) => (
            <li key={t.id} data-testid={`token-${t.name}`} className={`flex flex-wrap items-center gap-3 py-2 ${t.revokedAt ? 'opacity-60' : ''}`}>
              <div className="min-w-0 flex-1">
                <p className="font-medium">
                  {t.name} <span className="text-xs font-normal text-slate-500 dark:text-slate-400">{t.role}</span>
                </p>
                <p className="text-xs text-slate-500 dark:text-slate-400">
                  by {t.createdBy} {when(t.createdAt)} · last used {when(t.lastUsedAt)}
                  {t.revokedAt ? ` · revoked ${when(t.revokedAt)}` : ''}
                </p>
              </div>
              {t.revokedAt ? null : (
                <Button variant="ghost" data-testid={`token-revoke-${t.name}`} onClick={() => setRevoking({ id: t.id, name: t.name })}>
                  Revoke…
                </Button>
              )}
            </li>
          ))}
        </ul>
      )}
      {revoke.isError ? <RequestError>{errorMessage(revoke.error)}</RequestError> : null}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setCopied(false);
          create.mutate({ name: name.trim(), role });
        }}
        className="mt-4 grid gap-3 border-t border-slate-200 pt-4 sm:grid-cols-[1fr_8rem_auto] dark:border-slate-800"
        aria-label="Create a token"
      >
        <label className="text-sm">
          <span className="font-medium">What it is for</span>
          <input data-testid="token-new-name" autoComplete="off" placeholder="ci nightly drill" value={name} onChange={(e) => setName(e.target.value)} className={inputClass} />
        </label>
        <label className="text-sm">
          <span className="font-medium">Role</span>
          <RoleSelect testId="token-new-role" value={role} onChange={setRole} />
        </label>
        <div className="flex items-end">
          <Button type="submit" variant="primary" data-testid="token-create" busy={create.isPending} disabled={name.trim() === ''}>
            Create token
          </Button>
        </div>
      </form>
      {create.isError ? <RequestError>{errorMessage(create.error)}</RequestError> : null}
      <ConfirmDialog
        open={revoking !== null}
        title={`Revoke the token ${revoking?.name ?? ''}?`}
        confirmLabel="Revoke"
        confirmText={revoking?.name ?? ''}
        onConfirm={(typed) => {
          if (revoking) revoke.mutate({ id: revoking.id, confirm: typed });
          setRevoking(null);
        }}
        onCancel={() => setRevoking(null)}
      >
        <p>Every script using <strong>{revoking?.name}</strong> gets 401 from its next call. This cannot be undone; create a new token instead.</p>
      </ConfirmDialog>
    </Card>
  );
}
