import type { Metadata } from 'next';
import { ExternalPage } from '../_components/external/external-page';

export const metadata: Metadata = { title: 'External cluster' };

export default function External() {
  return <ExternalPage />;
}
