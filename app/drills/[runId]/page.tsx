import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { RUN_ID_PATTERN } from '../../_components/drills/common';
import { DrillReplay } from '../../_components/drills/replay';

export async function generateMetadata({ params }: { params: Promise<{ runId: string }> }): Promise<Metadata> {
  const { runId } = await params;
  return { title: `Drill replay ${runId}` };
}

export default async function DrillReplayPage({ params }: { params: Promise<{ runId: string }> }) {
  const { runId } = await params;
  // A malformed id can name no run: answer 404 without asking the server. A well-formed id that is not
  // recorded is found out by the replay's query, which then calls notFound() itself.
  if (!RUN_ID_PATTERN.test(runId)) notFound();
  return <DrillReplay runId={runId} />;
}
