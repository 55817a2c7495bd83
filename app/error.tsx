'use client';
/** The error boundary of every page below the root layout that has none of its own. */
import { RouteError, type RouteErrorProps } from './_components/ui/route-error';

export default function ErrorPage(props: RouteErrorProps) {
  return <RouteError {...props} title="This page broke" what="this page" />;
}
