import type { Metadata } from 'next';
import { TrafficPage } from '../_components/traffic/traffic-page';

export const metadata: Metadata = { title: 'Traffic' };

export default function Traffic() {
  return <TrafficPage />;
}
