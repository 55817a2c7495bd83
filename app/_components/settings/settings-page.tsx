'use client';
/**
 * Every setting of the schema, grouped, under RocketMQ's names. Edits collect in a draft; "Apply"
 * confirms before → after and sends one settings.update; the server's messages are shown beside the
 * fields they name. Below: the config-to-guarantee matrix and broker.conf import/export.
 */
import { useMemo, useState } from 'react';
import type { BrokerSettingsPatch } from '@/server/settings/schema';
import { errorMessage, trpc } from '../../_lib/trpc';
import { Button } from '../ui/button';
import { Card } from '../ui/card';
import { ConfirmDialog } from '../ui/confirm-dialog';
import { Skeleton } from '../ui/skeleton';
import { ConfIO } from './conf-io';
import { useCan } from '../../_lib/session';
import { useClusterRefresh } from '../../_lib/use-cluster-state';
import { GuaranteeMatrix } from './guarantee-matrix';
import { NodeSettingsCard } from './node-settings-card';
import { SettingField } from './setting-field';
import { GROUPS, SETTING_META, fieldErrors, fromDraft, type SettingKey } from './setting-meta';
import { ApplyBar, ChangeList, type Draft } from './apply-bar';

export function SettingsPage() {
  const utils = trpc.useUtils();
  const query = trpc.settings.get.useQuery(undefined, { refetchInterval: 15_000 });
  const [draft, setDraft] = useState<Draft>({});
  const [confirming, setConfirming] = useState(false);
  const [applied, setApplied] = useState<string | null>(null);
  const can = useCan('operator');
  const refreshCluster = useClusterRefresh();
  const update = trpc.settings.update.useMutation({
    onSettled: () => {
      void utils.settings.get.invalidate();
      void utils.settings.exportConf.invalidate();
      void utils.drills.catalog.invalidate();
      refreshCluster();
    },
  });

  const settings = query.data?.settings;
  const pending = useMemo(() => {
    if (!settings) return [] as SettingKey[];
    return (Object.keys(draft) as SettingKey[]).filter((k) => draft[k] !== undefined && draft[k] !== String(settings[k]));
  }, [draft, settings]);
  const errors = useMemo(() => fieldErrors(update.error), [update.error]);
  const unattributed = update.isError && Object.keys(errors).length === 0;

  const setField = (key: SettingKey, text: string | undefined) => {
    setApplied(null);
    setDraft((prev) => {
      const next = { ...prev };
      if (text === undefined) delete next[key];
      else next[key] = text;
      return next;
    });
  };

  const apply = () => {
    setConfirming(false);
    if (!settings) return;
    const patch = Object.fromEntries(pending.map((k) => [k, fromDraft(SETTING_META[k], draft[k] ?? '')])) as BrokerSettingsPatch;
    const keys = [...pending];
    update.mutate(patch, {
      onSuccess: () => {
        setDraft((prev) => {
          const next = { ...prev };
          for (const k of keys) delete next[k];
          return next;
        });
        setApplied(`Applied ${keys.length} setting${keys.length === 1 ? '' : 's'}: ${keys.join(', ')}.`);
      },
    });
  };

  return (
    <div className="grid gap-4">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">Settings</h1>
        <p className="max-w-3xl text-sm text-slate-600 dark:text-slate-400">
          Every broker and client setting Zeroloss models, under RocketMQ’s own names. Edit several, then apply them together; the guarantee matrix
          below shows what each crash drill is predicted to lose under the settings in force.
        </p>
      </div>

      {query.isPending ? (
        <div className="grid gap-4 xl:grid-cols-2" aria-busy="true" aria-label="Loading the settings">
          <Skeleton className="h-96" />
          <Skeleton className="h-96" />
        </div>
      ) : query.isError ? (
        <div role="alert" className="rounded-xl border border-red-200 bg-red-50 p-4 text-sm text-red-800 dark:border-red-900 dark:bg-red-950/50 dark:text-red-200">
          <p className="font-semibold">The settings could not be loaded.</p>
          <p className="mt-1">{errorMessage(query.error)}</p>
          <Button className="mt-3" onClick={() => void query.refetch()}>
            Retry
          </Button>
        </div>
      ) : (
        <>
          <ApplyBar
            count={pending.length}
            busy={update.isPending}
            can={can}
            message={applied}
            error={update.isError ? errorMessage(update.error) : null}
            onDiscard={() => {
              setDraft({});
              update.reset();
              setApplied(null);
            }}
            onApply={() => {
              update.reset();
              setApplied(null);
              setConfirming(true);
            }}
            unattributed={unattributed}
          />
          <NodeSettingsCard />
          <div className="gap-4 xl:columns-2 [&>*]:mb-4 [&>*]:break-inside-avoid">
            {GROUPS.map((group) => {
              const keys = (Object.keys(query.data.info) as SettingKey[]).filter((k) => query.data.info[k].group === group.id);
              const changedCount = keys.filter((k) => query.data.settings[k] !== query.data.defaults[k]).length;
              return (
                <Card
                  key={group.id}
                  title={group.title}
                  titleId={`settings-group-${group.id}-title`}
                  testId={`settings-group-${group.id}`}
                  actions={
                    <span className="text-xs text-slate-500 dark:text-slate-400">
                      {keys.length} settings{changedCount > 0 ? ` · ${changedCount} changed from default` : ''}
                    </span>
                  }
                >
                  <p className="-mt-1 text-xs text-slate-500 dark:text-slate-400">{group.blurb}</p>
                  <div className="divide-y divide-slate-100 dark:divide-slate-800">
                    {keys.map((key) => (
                      <SettingField
                        key={key}
                        meta={SETTING_META[key]}
                        info={query.data.info[key]}
                        current={query.data.settings[key]}
                        defaultValue={query.data.defaults[key]}
                        draft={draft[key]}
                        error={errors[key]}
                        disabled={update.isPending || !can.allowed}
                        onChange={(text) => setField(key, text)}
                      />
                    ))}
                  </div>
                </Card>
              );
            })}
          </div>
          <GuaranteeMatrix highlight={new Set(pending)} />
          <ConfIO onImported={() => setApplied(null)} />

          <ConfirmDialog
            open={confirming}
            title={`Apply ${pending.length} setting${pending.length === 1 ? '' : 's'}?`}
            confirmLabel="Apply"
            danger={false}
            onConfirm={apply}
            onCancel={() => setConfirming(false)}
          >
            <ChangeList keys={pending} settings={query.data.settings} draft={draft} info={query.data.info} />
          </ConfirmDialog>
        </>
      )}
    </div>
  );
}
