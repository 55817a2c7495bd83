'use client';
/** The error boundary of the Messages page and its three tabs. */
import { RouteError, type RouteErrorProps } from '../_components/ui/route-error';

export default function ErrorPage(props: RouteErrorProps) {
  return <RouteError {...props} title="The messages page broke" what="the messages: the lookup, the queue browser or the dead-letter queues" />;
}
