'use client';
/** The error boundary of the Users and tokens page. */
import { RouteError, type RouteErrorProps } from '../_components/ui/route-error';

export default function ErrorPage(props: RouteErrorProps) {
  return <RouteError {...props} title="The users page broke" what="the users and API tokens" />;
}
