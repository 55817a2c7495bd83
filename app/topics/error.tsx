'use client';
/** The error boundary of the Topics & clients page. */
import { RouteError, type RouteErrorProps } from '../_components/ui/route-error';

export default function ErrorPage(props: RouteErrorProps) {
  return <RouteError {...props} title="The topics page broke" what="the topics and clients" />;
}
