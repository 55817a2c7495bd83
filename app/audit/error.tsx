'use client';
/** The error boundary of the Audit log page. */
import { RouteError, type RouteErrorProps } from '../_components/ui/route-error';

export default function ErrorPage(props: RouteErrorProps) {
  return <RouteError {...props} title="The audit log broke" what="the audit log" />;
}
