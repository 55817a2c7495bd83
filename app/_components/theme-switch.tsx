'use client';
/** The header's theme switch: System, Light or Dark, as a labelled select (keyboard and screen-reader friendly). */
import { THEME_CHOICES, useThemeChoice, type ThemeChoice } from '../_lib/theme';

const LABELS: Record<ThemeChoice, string> = { system: 'System theme', light: 'Light', dark: 'Dark' };

export function ThemeSwitch() {
  const [choice, setChoice] = useThemeChoice();
  return (
    <label className="flex items-center gap-1 text-xs text-slate-600 dark:text-slate-400">
      <span className="sr-only">Theme</span>
      <select
        data-testid="theme-switch"
        value={choice}
        onChange={(e) => setChoice(e.target.value as ThemeChoice)}
        className="rounded-md border border-slate-300 bg-white px-1.5 py-1 text-xs text-slate-800 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-500 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100"
      >
        {THEME_CHOICES.map((c) => <option key={c} value={c}>{LABELS[c]}</option>)}
      </select>
    </label>
  );
}
