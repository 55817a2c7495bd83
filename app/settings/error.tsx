'use client';
/** The error boundary of the Settings page: the settings, the node read-back, the guarantee matrix, broker.conf. */
import { RouteError, type RouteErrorProps } from '../_components/ui/route-error';

export default function ErrorPage(props: RouteErrorProps) {
  return <RouteError {...props} title="The settings page broke" what="the settings" />;
}
