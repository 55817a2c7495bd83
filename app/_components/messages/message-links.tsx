/**
 * Links to a message's page and between the pages of a queue, shared by the queue browser and the
 * dead-letter view: a message id that opens the message's durability ladder (when the lab tracked
 * it; otherwise plain text), and Older / Newer / Newest over a queue read one page at a time.
 */
import Link from 'next/link';
import { Button } from '../ui/button';

/** The Messages page looking this message up by its UNIQ_KEY. */
export function messageHref(msgId: string): string {
  return `/messages?id=${encodeURIComponent(msgId)}`;
}

/** Only a tracked message has a ladder to show; an untracked one (an external producer's) is plain text. */
export function MessageIdLink({ msgId, tracked }: { msgId: string; tracked: boolean }) {
  if (!tracked) return <span className="font-mono text-xs">{msgId}</span>;
  return (
    <Link href={messageHref(msgId)} className="rounded font-mono text-xs text-emerald-700 underline underline-offset-2 focus-visible:outline-2 focus-visible:outline-emerald-500 dark:text-emerald-300">
      {msgId}
    </Link>
  );
}

/** One page of a queue as the server read it: the offsets it covers and the queue's bounds. */
export interface QueuePage {
  startOffset: number;
  nextOffset: number;
  minOffset: number;
  maxOffset: number;
}

/**
 * Older reads the page before this one (never before the queue's first offset), Newer the page from
 * where this one ended, Newest the last page (`onRead(undefined)`).
 */
export function OffsetPager({
  page,
  pageSize,
  onRead,
  newestDisabled = false,
  small = false,
  testIdPrefix,
}: {
  page: QueuePage;
  pageSize: number;
  onRead(startOffset: number | undefined): void;
  newestDisabled?: boolean;
  small?: boolean;
  testIdPrefix?: string;
}) {
  const size = small ? 'px-2 py-0.5 text-xs' : undefined;
  const testId = (what: string) => (testIdPrefix ? `${testIdPrefix}-${what}` : undefined);
  return (
    <>
      <Button className={size} data-testid={testId('older')} disabled={page.startOffset <= page.minOffset} onClick={() => onRead(Math.max(page.minOffset, page.startOffset - pageSize))}>
        ← Older
      </Button>
      <Button className={size} data-testid={testId('newer')} disabled={page.nextOffset >= page.maxOffset} onClick={() => onRead(page.nextOffset)}>
        Newer →
      </Button>
      <Button className={size} data-testid={testId('newest')} disabled={newestDisabled} onClick={() => onRead(undefined)}>
        Newest
      </Button>
    </>
  );
}
