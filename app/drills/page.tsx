import type { Metadata } from 'next';
import { DrillsPage } from '../_components/drills/drills-page';

export const metadata: Metadata = { title: 'Drills' };

export default function Drills() {
  return <DrillsPage />;
}
