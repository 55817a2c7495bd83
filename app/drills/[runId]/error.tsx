'use client';
/** The error boundary of a drill replay (an unknown run id is a not-found instead: ./not-found.tsx). */
import { RouteError, type RouteErrorProps } from '../../_components/ui/route-error';

export default function ErrorPage(props: RouteErrorProps) {
  return <RouteError {...props} title="This drill replay broke" what="the replay of this drill run" />;
}
