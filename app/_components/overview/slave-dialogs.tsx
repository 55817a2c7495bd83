'use client';
/**
 * The confirmations of the slave's destructive actions: crash (SIGKILL), promote to master (with the
 * role it takes) and rebuild (from empty or from the common prefix). Promote and rebuild ask for the
 * node's name. The chosen role and mode are kept between openings.
 */
import { useState } from 'react';
import { grouped } from '../../_lib/format';
import { ConfirmDialog } from '../ui/confirm-dialog';
import type { RebuildPrefix } from '@/server/cluster/broker-group';

export type SlaveAction = 'kill' | 'promote' | 'rebuild';
type MasterRole = 'SYNC_MASTER' | 'ASYNC_MASTER';
type RebuildMode = 'empty' | 'common-prefix';

export function SlaveDialogs({
  open,
  slaveName,
  target,
  slaveLabel,
  commonPrefix,
  onCancel,
  onKill,
  onPromote,
  onRebuild,
}: {
  open: SlaveAction | null;
  slaveName: string;
  /** the slave by name, pid and address, as the dialogs name it */
  target: string;
  /** what to type to confirm a promotion or a rebuild */
  slaveLabel: string;
  /** where a common-prefix rebuild cuts, when one is known (server/cluster/broker-group.ts rebuildPrefixOf) */
  commonPrefix: RebuildPrefix | undefined;
  onCancel(): void;
  onKill(): void;
  /** with the slave's name as the user typed it */
  onPromote(role: MasterRole, confirm: string): void;
  onRebuild(mode: RebuildMode, confirm: string): void;
}) {
  const [role, setRole] = useState<MasterRole>('ASYNC_MASTER');
  const [mode, setMode] = useState<RebuildMode>('empty');
  return (
    <>
      <ConfirmDialog open={open === 'kill'} title={`Crash ${slaveName}?`} confirmLabel="Send SIGKILL" onConfirm={onKill} onCancel={onCancel}>
        <p>
          Sends <strong>SIGKILL</strong> to <strong>{target}</strong>. Under SYNC_MASTER, sends then answer SLAVE_NOT_AVAILABLE (or
          FLUSH_SLAVE_TIMEOUT while it is still in sync) until it is back.
        </p>
      </ConfirmDialog>
      <ConfirmDialog
        open={open === 'promote'}
        title={`Promote ${slaveName} to master?`}
        confirmLabel={`Promote to ${role}`}
        confirmText={slaveLabel}
        onConfirm={(typed) => onPromote(role, typed)}
        onCancel={onCancel}
      >
        <p>
          Promotes <strong>{target}</strong> to the master of the group: it registers as brokerId 0 and producers follow it. Messages the slave
          had not received yet are not on it.
        </p>
        <div role="radiogroup" aria-label="Role after promotion" className="mt-3 grid grid-cols-2 gap-1 rounded-lg bg-slate-100 p-1 dark:bg-slate-800">
          {(['ASYNC_MASTER', 'SYNC_MASTER'] as const).map((r) => (
            <button
              key={r}
              type="button"
              role="radio"
              aria-checked={role === r}
              data-testid={`slave-promote-${r}`}
              onClick={() => setRole(r)}
              className={`rounded-md px-2 py-1 font-mono text-xs font-semibold ${
                role === r ? 'bg-white text-slate-900 shadow-sm dark:bg-slate-950 dark:text-white' : 'text-slate-600 dark:text-slate-300'
              }`}
            >
              {r}
            </button>
          ))}
        </div>
        <p className="mt-2 text-xs">The old master, when started again, truncates to the promotion offset and rejoins as a slave.</p>
      </ConfirmDialog>
      <ConfirmDialog
        open={open === 'rebuild'}
        title={`Rebuild ${slaveName}?`}
        confirmLabel="Rebuild"
        confirmText={slaveLabel}
        onConfirm={(typed) => onRebuild(mode, typed)}
        onCancel={onCancel}
      >
        <p>
          Stops <strong>{target}</strong>, cuts its commit log, then lets it catch up from the master.
        </p>
        <div role="radiogroup" aria-label="Rebuild mode" className="mt-3 space-y-1.5">
          <label className="flex items-start gap-2">
            <input type="radio" name="rebuild-mode" checked={mode === 'empty'} onChange={() => setMode('empty')} className="mt-1 accent-emerald-600" />
            <span>
              <strong>empty</strong>: delete its store and copy everything again
            </span>
          </label>
          <label className={`flex items-start gap-2 ${commonPrefix === undefined ? 'opacity-50' : ''}`}>
            <input
              type="radio"
              name="rebuild-mode"
              checked={mode === 'common-prefix'}
              disabled={commonPrefix === undefined}
              onChange={() => setMode('common-prefix')}
              className="mt-1 accent-emerald-600"
            />
            <span>
              <strong>common prefix</strong>: cut to where both logs agree, then copy the rest
              {commonPrefix === undefined
                ? ' (none known: the master was never promoted, and the slave was not told how far the master vouches for its log)'
                : ` (${grouped(commonPrefix.offset)}, ${commonPrefix.source === 'promotion' ? 'the last promotion offset' : 'how far the master vouched for its log when it diverged'})`}
            </span>
          </label>
        </div>
      </ConfirmDialog>
    </>
  );
}
