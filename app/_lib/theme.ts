'use client';
/**
 * Light and dark themes. The choice (system, light or dark) is kept in localStorage; the page shows it
 * as <html data-theme="light|dark">, which Tailwind's `dark:` variant reads (app/globals.css). A small
 * script in the layout's <head> applies it before the first paint and, on "system", follows
 * prefers-color-scheme as it changes.
 */
import { useSyncExternalStore } from 'react';
import { DARK_QUERY, STORAGE_KEY } from './theme-boot';

export const THEME_CHOICES = ['system', 'light', 'dark'] as const;
export type ThemeChoice = (typeof THEME_CHOICES)[number];
export type Theme = 'light' | 'dark';

function subscribe(onChange: () => void): () => void {
  const observer = new MutationObserver(onChange);
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme', 'data-theme-choice'] });
  return () => observer.disconnect();
}

/** The theme on screen now, for what CSS cannot reach (recharts' SVG props). */
export function useTheme(): Theme {
  return useSyncExternalStore(subscribe, () => (document.documentElement.dataset.theme === 'dark' ? 'dark' : 'light'), () => 'light');
}

/** The user's choice and a setter; "system" follows the operating system. */
export function useThemeChoice(): [ThemeChoice, (choice: ThemeChoice) => void] {
  const choice = useSyncExternalStore(
    subscribe,
    () => (document.documentElement.dataset.themeChoice as ThemeChoice | undefined) ?? 'system',
    () => 'system' as ThemeChoice,
  );
  const set = (next: ThemeChoice) => {
    try {
      if (next === 'system') localStorage.removeItem(STORAGE_KEY);
      else localStorage.setItem(STORAGE_KEY, next);
    } catch {
      // storage refused (private mode): the choice lasts for this page only
      document.documentElement.dataset.theme = next === 'system' ? (window.matchMedia(DARK_QUERY).matches ? 'dark' : 'light') : next;
      document.documentElement.dataset.themeChoice = next;
      return;
    }
    (window as unknown as { __zeroloss_apply_theme?: () => void }).__zeroloss_apply_theme?.();
  };
  return [choice, set];
}
