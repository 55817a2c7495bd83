'use client';
/**
 * broker.conf in and out: paste or pick a file → settings.importConf (known keys are validated and
 * applied, unknown ones reported); Export downloads settings.exportConf as broker.conf.
 */
import { useState, type ChangeEvent } from 'react';
import { errorMessage, trpc } from '../../_lib/trpc';
import { Button } from '../ui/button';
import { Card } from '../ui/card';
import { RequestError } from '../ui/query-state';
import { RoleHint } from '../auth/role-hint';
import { useCan } from '../../_lib/session';

const EXAMPLE = '# e.g.\nflushDiskType=SYNC_FLUSH\nbrokerRole=SYNC_MASTER\nbrokerClusterName=DefaultCluster';

export function ConfIO({ onImported }: { onImported(): void }) {
  const utils = trpc.useUtils();
  const [text, setText] = useState('');
  const [fileName, setFileName] = useState<string | null>(null);
  const [exportError, setExportError] = useState<string | null>(null);
  const [exporting, setExporting] = useState(false);
  const can = useCan('operator');
  const importConf = trpc.settings.importConf.useMutation({
    onSuccess: () => onImported(),
    onSettled: () => {
      void utils.settings.get.invalidate();
      void utils.settings.exportConf.invalidate();
      void utils.drills.catalog.invalidate();
      void utils.cluster.events.invalidate();
    },
  });

  const readFile = async (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    if (!file) return;
    importConf.reset();
    setFileName(file.name);
    setText(await file.text());
    event.target.value = '';
  };

  const download = async () => {
    setExportError(null);
    setExporting(true);
    try {
      const conf = await utils.settings.exportConf.fetch(undefined, { staleTime: 0 });
      const url = URL.createObjectURL(new Blob([conf], { type: 'text/plain;charset=utf-8' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = 'broker.conf';
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    } catch (error) {
      setExportError(errorMessage(error));
    } finally {
      setExporting(false);
    }
  };

  const result = importConf.data;
  return (
    <Card
      title="broker.conf"
      titleId="conf-title"
      testId="settings-conf"
      actions={
        <Button data-testid="settings-export" busy={exporting} onClick={() => void download()}>
          Export broker.conf
        </Button>
      }
    >
      <p className="text-sm text-slate-600 dark:text-slate-400">
        Import a RocketMQ <code className="font-mono">broker.conf</code>: known keys are validated and applied at once; keys Zeroloss does not model
        (cluster names, paths, ports) are listed and ignored. Export gives the current settings under RocketMQ’s key names.
      </p>
      {exportError ? (
        <RequestError className="mt-2">
          Export failed: {exportError}
        </RequestError>
      ) : null}
      <form
        className="mt-3 grid gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          importConf.mutate({ text });
        }}
      >
        <label htmlFor="conf-text" className="text-sm font-medium">
          Paste broker.conf{fileName ? <span className="font-normal text-slate-500 dark:text-slate-400"> (from {fileName})</span> : null}
        </label>
        <textarea
          id="conf-text"
          data-testid="settings-import-text"
          rows={6}
          spellCheck={false}
          value={text}
          placeholder={EXAMPLE}
          onChange={(e) => {
            setText(e.target.value);
            if (importConf.isError) importConf.reset();
          }}
          aria-invalid={importConf.isError || undefined}
          aria-describedby={importConf.isError ? 'conf-error' : undefined}
          className="block w-full rounded-md border border-slate-300 bg-white px-2.5 py-1.5 font-mono text-xs shadow-sm focus:border-emerald-500 focus:outline-none focus:ring-2 focus:ring-emerald-500/40 aria-[invalid=true]:border-red-500 dark:border-slate-700 dark:bg-slate-950"
        />
        <div className="flex flex-wrap items-center gap-2">
          <Button type="submit" variant="primary" data-testid="settings-import" busy={importConf.isPending} disabled={text.trim() === '' || !can.allowed} title={can.reason}>
            Import and apply
          </Button>
          <label className="inline-flex cursor-pointer items-center gap-1.5 rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-800 focus-within:outline-2 focus-within:outline-offset-2 focus-within:outline-emerald-500 hover:bg-slate-100 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100 dark:hover:bg-slate-800">
            Choose file…
            <input
              type="file"
              accept=".conf,.properties,text/plain"
              data-testid="settings-import-file"
              className="sr-only"
              onChange={(e) => void readFile(e)}
            />
          </label>
        </div>
        <RoleHint can={can} what="Importing a broker.conf" testId="settings-import-role-hint" />
      </form>
      {importConf.isError ? (
        <RequestError id="conf-error" testId="settings-import-error">
          Nothing was applied: {errorMessage(importConf.error)}
        </RequestError>
      ) : null}
      {result ? (
        <div role="status" data-testid="settings-import-result" className="mt-3 space-y-1.5 rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-900 dark:bg-emerald-950/50 dark:text-emerald-100">
          <p>
            <span className="font-semibold">Applied {result.applied.length}</span>
            {result.applied.length > 0 ? ': ' : ' keys.'}
            {result.applied.map((k, i) => (
              <span key={k}>
                {i > 0 ? ', ' : ''}
                <code className="font-mono text-xs">{k}</code>
              </span>
            ))}
          </p>
          {result.ignoredKeys.length > 0 ? (
            <p className="text-amber-900 dark:text-amber-200">
              <span className="font-semibold">Ignored {result.ignoredKeys.length}</span> (not modelled by Zeroloss):{' '}
              {result.ignoredKeys.map((k, i) => (
                <span key={k}>
                  {i > 0 ? ', ' : ''}
                  <code className="font-mono text-xs">{k}</code>
                </span>
              ))}
            </p>
          ) : null}
        </div>
      ) : null}
    </Card>
  );
}
