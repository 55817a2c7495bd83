import Link from 'next/link';

export const metadata = { title: 'Not found' };

export default function NotFound() {
  return (
    <div className="mx-auto mt-16 max-w-md text-center">
      <p className="font-mono text-sm text-slate-500 dark:text-slate-400">404</p>
      <h1 className="mt-2 text-2xl font-semibold tracking-tight">No such page</h1>
      <p className="mt-2 text-sm text-slate-600 dark:text-slate-400">
        This part of the lab does not exist (yet). Settings, traffic, drills and messages get their own pages soon.
      </p>
      <Link
        href="/"
        className="mt-6 inline-block rounded-md bg-slate-900 px-4 py-2 text-sm font-medium text-white hover:bg-slate-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-500 dark:bg-slate-100 dark:text-slate-900"
      >
        Back to the overview
      </Link>
    </div>
  );
}
