'use client';
/** The error boundary of the Drills page: the catalog, the running drill and the history. */
import { RouteError, type RouteErrorProps } from '../_components/ui/route-error';

export default function ErrorPage(props: RouteErrorProps) {
  return <RouteError {...props} title="The drills page broke" what="the drills: the catalog, the running drill or the history" />;
}
