'use client';
/** The error boundary of the Sign-in page. */
import { RouteError, type RouteErrorProps } from '../_components/ui/route-error';

export default function ErrorPage(props: RouteErrorProps) {
  return <RouteError {...props} title="The sign-in page broke" what="the sign-in form" />;
}
