'use client';
/** The error boundary of the Traffic page: producer, consumers, publish one. */
import { RouteError, type RouteErrorProps } from '../_components/ui/route-error';

export default function ErrorPage(props: RouteErrorProps) {
  return <RouteError {...props} title="The traffic page broke" what="the traffic controls" />;
}
