'use client';
/**
 * The header on every page: the name, the sections (overview, settings, topics and clients, drills,
 * traffic, messages), the live stream's status, and who is signed in (auth/user-menu.tsx).
 */
import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { useLive } from '../_lib/use-live';
import { UserMenu } from './auth/user-menu';
import { ThemeSwitch } from './theme-switch';

interface NavItem {
  href: string;
  label: string;
  ready: boolean;
}

export const NAV: NavItem[] = [
  { href: '/', label: 'Overview', ready: true },
  { href: '/settings', label: 'Settings', ready: true },
  { href: '/topics', label: 'Topics & clients', ready: true },
  { href: '/traffic', label: 'Traffic', ready: true },
  { href: '/drills', label: 'Drills', ready: true },
  { href: '/messages', label: 'Messages', ready: true },
  { href: '/external', label: 'External', ready: true },
];

function isActive(pathname: string, href: string): boolean {
  return href === '/' ? pathname === '/' : pathname === href || pathname.startsWith(`${href}/`);
}

export function SiteHeader() {
  const pathname = usePathname() ?? '/';
  return (
    <header className="sticky top-0 z-30 border-b border-slate-200 bg-white/90 backdrop-blur dark:border-slate-800 dark:bg-slate-950/90">
      <div className="mx-auto flex w-full max-w-[1600px] flex-wrap items-center gap-x-6 gap-y-2 px-3 py-2.5 sm:px-5 lg:px-6">
        <Link href="/" className="flex items-center gap-2 rounded-md font-semibold tracking-tight focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-500">
          {/* eslint-disable-next-line @next/next/no-img-element */}
          <img src="/favicon.svg" alt="" width={24} height={24} className="h-6 w-6" />
          <span>Zeroloss</span>
          <span className="hidden text-xs font-normal text-slate-500 sm:inline dark:text-slate-400">reliability lab</span>
        </Link>
        <nav aria-label="Sections" className="relative order-3 w-full overflow-x-auto sm:order-none sm:w-auto">
          <ul className="flex gap-1 text-sm">
            {NAV.map((item) => {
              const active = isActive(pathname, item.href);
              if (!item.ready) {
                return (
                  <li key={item.href}>
                    <span
                      aria-disabled="true"
                      title={`${item.label}: coming soon`}
                      className="block cursor-not-allowed whitespace-nowrap rounded-md px-3 py-1.5 text-slate-400 dark:text-slate-600"
                    >
                      {item.label}
                    </span>
                  </li>
                );
              }
              return (
                <li key={item.href}>
                  <Link
                    href={item.href}
                    aria-current={active ? 'page' : undefined}
                    className={`block whitespace-nowrap rounded-md px-3 py-1.5 font-medium focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-500 ${
                      active
                        ? 'bg-slate-900 text-white dark:bg-slate-100 dark:text-slate-900'
                        : 'text-slate-600 hover:bg-slate-100 hover:text-slate-900 dark:text-slate-300 dark:hover:bg-slate-800 dark:hover:text-white'
                    }`}
                  >
                    {item.label}
                  </Link>
                </li>
              );
            })}
          </ul>
        </nav>
        <LiveIndicator />
        <ThemeSwitch />
        <UserMenu />
      </div>
    </header>
  );
}

function LiveIndicator() {
  const live = useLive();
  const connected = live.status === 'connected';
  return (
    <p className="ml-auto flex items-center gap-2 text-xs text-slate-600 dark:text-slate-400" aria-live="polite">
      <span className={`inline-block h-2 w-2 rounded-full ${connected ? 'bg-emerald-500' : 'animate-pulse bg-amber-500'}`} aria-hidden="true" />
      <span>
        live stream <span data-testid="live-status" className="font-medium text-slate-900 dark:text-slate-100">{live.status}</span>
      </span>
    </p>
  );
}
