'use client';
/**
 * WAI-ARIA tabs: a tablist of buttons (roving tabindex; ←/→, Home and End move between them) and
 * the panel of the selected one. The selection is controlled, so the page can keep it in the URL.
 */
import { useRef, type KeyboardEvent, type ReactNode } from 'react';

export interface TabDef<T extends string> {
  value: T;
  label: string;
}

export function Tabs<T extends string>({ label, tabs, selected, onSelect, idPrefix, children }: {
  label: string;
  tabs: readonly TabDef<T>[];
  selected: T;
  onSelect(value: T): void;
  idPrefix: string;
  children: ReactNode;
}) {
  const refs = useRef<(HTMLButtonElement | null)[]>([]);
  const index = Math.max(0, tabs.findIndex((t) => t.value === selected));
  const move = (event: KeyboardEvent<HTMLDivElement>) => {
    const next = event.key === 'ArrowRight' ? (index + 1) % tabs.length
      : event.key === 'ArrowLeft' ? (index - 1 + tabs.length) % tabs.length
        : event.key === 'Home' ? 0 : event.key === 'End' ? tabs.length - 1 : -1;
    if (next < 0) return;
    event.preventDefault();
    onSelect(tabs[next].value);
    refs.current[next]?.focus();
  };
  return (
    <div className="grid gap-4">
      <div role="tablist" aria-label={label} onKeyDown={move} className="flex flex-wrap gap-1 border-b border-slate-200 dark:border-slate-800">
        {tabs.map((tab, i) => {
          const active = tab.value === selected;
          return (
            <button
              key={tab.value}
              ref={(el) => {
                refs.current[i] = el;
              }}
              type="button"
              role="tab"
              id={`${idPrefix}-tab-${tab.value}`}
              data-testid={`${idPrefix}-tab-${tab.value}`}
              aria-selected={active}
              aria-controls={`${idPrefix}-panel`}
              tabIndex={active ? 0 : -1}
              onClick={() => onSelect(tab.value)}
              className={`-mb-px rounded-t-md border-b-2 px-3 py-2 text-sm font-medium focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-500 ${
                active
                  ? 'border-emerald-600 text-slate-900 dark:border-emerald-400 dark:text-white'
                  : 'border-transparent text-slate-600 hover:text-slate-900 dark:text-slate-400 dark:hover:text-white'
              }`}
            >
              {tab.label}
            </button>
          );
        })}
      </div>
      <div role="tabpanel" id={`${idPrefix}-panel`} aria-labelledby={`${idPrefix}-tab-${tabs[index].value}`} tabIndex={-1} className="grid gap-4 focus:outline-none">
        {children}
      </div>
    </div>
  );
}
