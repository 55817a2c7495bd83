import type { Metadata } from 'next';
import { TopicsPage } from '../_components/topics/topics-page';

export const metadata: Metadata = { title: 'Topics & clients' };

export default function Topics() {
  return <TopicsPage />;
}
