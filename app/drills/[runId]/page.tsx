import type { Metadata } from 'next';
import { DrillReplay } from '../../_components/drills/replay';

export async function generateMetadata({ params }: { params: Promise<{ runId: string }> }): Promise<Metadata> {
  const { runId } = await params;
  return { title: `Drill replay ${runId}` };
}

export default async function DrillReplayPage({ params }: { params: Promise<{ runId: string }> }) {
  const { runId } = await params;
  return <DrillReplay runId={runId} />;
}
