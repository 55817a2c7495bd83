'use client';
/**
 * A modal confirmation on the native <dialog>: focus moves in and is trapped, Esc cancels, focus
 * returns to the opener. The confirm button carries data-testid="confirm-ok".
 *
 * `confirmText` makes a destructive action ask for its target by name: the confirm button stays
 * disabled until the field (data-testid="confirm-text") holds exactly that text, e.g. "broker-a master".
 */
import { useEffect, useId, useRef, useState, type ReactNode } from 'react';

export function ConfirmDialog({
  open,
  title,
  children,
  confirmLabel,
  danger = true,
  confirmText,
  onConfirm,
  onCancel,
}: {
  open: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  /** the target's name the user must type before confirming */
  confirmText?: string;
  /** called with what the user typed (the API checks it again for destructive procedures) */
  onConfirm(typed: string): void;
  onCancel(): void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const bodyId = useId();
  const typedId = useId();
  const [typed, setTyped] = useState('');
  const matches = confirmText === undefined || typed === confirmText;

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
    if (!open) setTyped('');
  }, [open]);

  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      aria-describedby={bodyId}
      onCancel={(e) => {
        e.preventDefault();
        onCancel();
      }}
      onClick={(e) => {
        // a click on the backdrop (the dialog element itself, outside its content) cancels
        if (e.target === e.currentTarget) onCancel();
      }}
      className="m-auto w-[min(28rem,calc(100vw-2rem))] rounded-xl border border-slate-200 bg-white p-0 text-slate-900 shadow-xl dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100"
    >
      {open ? (
        <div className="p-5">
          <h2 id={titleId} className="text-base font-semibold">
            {title}
          </h2>
          <div id={bodyId} className="mt-2 text-sm text-slate-700 dark:text-slate-300">
            {children}
          </div>
          {confirmText !== undefined ? (
            <div className="mt-4">
              <label htmlFor={typedId} className="block text-sm">
                Type <strong className="select-all rounded bg-slate-100 px-1 font-mono text-slate-900 dark:bg-slate-800 dark:text-slate-100">{confirmText}</strong> to confirm
              </label>
              <input
                id={typedId}
                data-testid="confirm-text"
                value={typed}
                autoFocus
                autoComplete="off"
                spellCheck={false}
                onChange={(e) => setTyped(e.target.value)}
                onKeyDown={(e) => {
                  if (e.key === 'Enter' && matches) onConfirm(typed);
                }}
                aria-invalid={typed !== '' && !matches ? true : undefined}
                className="mt-1 block w-full rounded-md border border-slate-300 bg-white px-2.5 py-1.5 font-mono text-sm shadow-sm focus:border-emerald-500 focus:outline-none focus:ring-2 focus:ring-emerald-500/40 aria-[invalid=true]:border-red-500 dark:border-slate-700 dark:bg-slate-950"
              />
            </div>
          ) : null}
          <div className="mt-5 flex justify-end gap-2">
            <button
              type="button"
              autoFocus={confirmText === undefined}
              onClick={onCancel}
              className="rounded-md border border-slate-300 px-3 py-1.5 text-sm font-medium hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-500 dark:border-slate-700 dark:hover:bg-slate-800"
            >
              Cancel
            </button>
            <button
              type="button"
              data-testid="confirm-ok"
              disabled={!matches}
              title={matches ? undefined : `type ${confirmText} first`}
              onClick={() => onConfirm(typed)}
              className={`rounded-md px-3 py-1.5 text-sm font-medium text-white disabled:cursor-not-allowed disabled:opacity-45 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-500 ${
                danger ? 'bg-red-600 hover:bg-red-700' : 'bg-slate-900 hover:bg-slate-700 dark:bg-slate-100 dark:text-slate-900'
              }`}
            >
              {confirmLabel}
            </button>
          </div>
        </div>
      ) : null}
    </dialog>
  );
}
