'use client';
/** A replay of a run id that is malformed or not recorded (the page and the replay call notFound()). */
import { useParams } from 'next/navigation';
import { NotFoundPanel } from '../../_components/ui/not-found-panel';

export default function DrillRunNotFound() {
  const runId = readable(useParams<{ runId: string }>()?.runId ?? '');
  return (
    <NotFoundPanel title="No such drill run" backHref="/drills" backLabel="Back to the drills" testId="replay-not-found">
      No run <span className="font-mono">{runId}</span> is recorded. It may have been typed wrong, or the database was reset.
    </NotFoundPanel>
  );
}

/** The id as typed: the router may hand it over still percent-encoded, and a stray % must not throw. */
function readable(param: string): string {
  try {
    return decodeURIComponent(param);
  } catch {
    return param;
  }
}
