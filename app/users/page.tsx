import type { Metadata } from 'next';
import { UsersPage } from '../_components/auth/users-page';

export const metadata: Metadata = { title: 'Users and tokens' };

export default function Users() {
  return <UsersPage />;
}
