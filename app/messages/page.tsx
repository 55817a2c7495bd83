import type { Metadata } from 'next';
import { MessagesPage } from '../_components/messages/messages-page';

export const metadata: Metadata = { title: 'Messages' };

export default function Messages() {
  return <MessagesPage />;
}
