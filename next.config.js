// @ts-check
/**
 * Next.js config for the Zeroloss dashboard. The app is served by the custom server (server/main.ts),
 * which also answers /api/trpc and the /api/live WebSocket, so there are no Next API routes here.
 */

/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // The dashboard imports the broker's settings schema (broker/config, zod only) from outside app/.
  // Nothing here needs the network: no remote images, no Google fonts.
  images: { unoptimized: true },
};

export default nextConfig;
