'use client';
/**
 * The Settings page's sticky bar: how many edits are not applied yet, Discard and Apply, what the
 * last Apply did or why it was refused; and the before → after list the Apply confirmation shows,
 * with the keys that wait for the next broker start.
 */
import type { BrokerSettings } from '@/server/settings/schema';
import type { Can } from '../../_lib/session';
import { RoleHint } from '../auth/role-hint';
import { Button } from '../ui/button';
import { SETTING_META, fromDraft, short, type SettingKey } from './setting-meta';

/** the edited text of each changed key */
export type Draft = Partial<Record<SettingKey, string>>;

export function ApplyBar({
  count,
  busy,
  can,
  message,
  error,
  unattributed,
  onDiscard,
  onApply,
}: {
  count: number;
  busy: boolean;
  can: Can;
  message: string | null;
  error: string | null;
  unattributed: boolean;
  onDiscard(): void;
  onApply(): void;
}) {
  return (
    <div className="sticky top-[3.25rem] z-20 -mx-1 rounded-xl border border-slate-200 bg-white/95 px-4 py-2.5 shadow-sm backdrop-blur max-sm:top-[5.5rem] dark:border-slate-800 dark:bg-slate-900/95">
      <div className="flex flex-wrap items-center gap-x-3 gap-y-2">
        <p className="text-sm" aria-live="polite" data-testid="settings-pending-count">
          {count === 0 ? (
            <span className="text-slate-500 dark:text-slate-400">No unapplied changes.</span>
          ) : (
            <span>
              <strong>{count}</strong> unapplied change{count === 1 ? '' : 's'}
            </span>
          )}
        </p>
        {message ? (
          <p role="status" data-testid="settings-applied" className="text-sm text-emerald-700 dark:text-emerald-300">
            {message}
          </p>
        ) : null}
        <div className="ml-auto flex gap-2">
          <Button variant="ghost" disabled={count === 0 || busy} onClick={onDiscard}>
            Discard
          </Button>
          <Button variant="primary" data-testid="settings-apply" disabled={count === 0 || !can.allowed} title={can.reason} busy={busy} onClick={onApply}>
            Apply{count > 0 ? ` ${count}` : ''}
          </Button>
        </div>
      </div>
      <RoleHint can={can} what="Changing settings" testId="settings-role-hint" />
      {error ? (
        <p role="alert" data-testid="settings-error" className="mt-2 rounded-md bg-red-50 px-3 py-1.5 text-sm text-red-800 dark:bg-red-950/60 dark:text-red-200">
          {unattributed ? '' : 'Not applied — fix the fields marked below: '}
          {error}
        </p>
      ) : null}
    </div>
  );
}

/** The confirmation's list: each key, its value now struck through, and the value it would get. */
export function ChangeList({
  keys,
  settings,
  draft,
  info,
}: {
  keys: SettingKey[];
  settings: BrokerSettings;
  draft: Draft;
  info: Record<SettingKey, { live: boolean; stockRocketMQ: string; group: string }>;
}) {
  const cluster = keys.filter((k) => info[k].group === 'controller');
  const restart = keys.filter((k) => !info[k].live && info[k].group !== 'controller');
  return (
    <>
      <ul className="space-y-1.5" data-testid="settings-confirm-list">
        {keys.map((k) => {
          const meta = SETTING_META[k];
          const after = fromDraft(meta, draft[k] ?? '');
          return (
            <li key={k} className="rounded-md bg-slate-50 px-2 py-1 dark:bg-slate-800/60">
              <code className="font-mono text-xs font-semibold">{k}</code>
              <span className="block font-mono text-xs">
                <span className="text-slate-500 line-through decoration-slate-400 dark:text-slate-400">{short(meta, settings[k])}</span>
                {' → '}
                <span className="font-semibold text-violet-700 dark:text-violet-300">
                  {typeof after === 'number' && !Number.isFinite(after) ? '(empty)' : short(meta, after)}
                </span>
              </span>
            </li>
          );
        })}
      </ul>
      <p className="mt-3 text-xs text-slate-600 dark:text-slate-400">
        {cluster.length > 0
          ? `${cluster.join(', ')}: fixed for the life of a process, so applying restarts every broker and the controller now, with every change of this list.`
          : restart.length > 0
            ? `${restart.join(', ')} take${restart.length === 1 ? 's' : ''} effect at the next broker start; the rest are pushed to the running broker at once.`
            : 'All of them are pushed to the running broker at once (UPDATE_BROKER_CONFIG).'}
      </p>
    </>
  );
}
