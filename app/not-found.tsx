import { NotFoundPanel } from './_components/ui/not-found-panel';

export const metadata = { title: 'Not found' };

export default function NotFound() {
  return (
    <NotFoundPanel title="No such page" backHref="/" backLabel="Back to the overview">
      This part of the lab does not exist. The pages are in the header: Overview, Settings, Topics, Traffic, Messages and Drills.
    </NotFoundPanel>
  );
}
