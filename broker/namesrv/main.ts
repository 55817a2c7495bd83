/** A name server by hand: `node --import tsx broker/namesrv/main.ts [port]` (RocketMQ's default 9876). */
import { DEFAULT_NAMESRV_PORT } from '../protocol/codes.js';
import { ChildRuntime } from '../runtime/child-runtime.js';
import type { FatalReport } from '../ipc.js';
import { NamesrvController } from './namesrv-controller.js';

const runtime = new ChildRuntime<FatalReport>();

async function main(): Promise<void> {
  const namesrv = new NamesrvController({
    brokerRegistered: (addr, name, id, isNew) => { if (isNew) console.log(`[namesrv] broker ${name} (brokerId ${id}) at ${addr} registered`); },
    brokerGone: (addr, why) => console.log(`[namesrv] broker at ${addr} left the routes: ${why}`),
  });
  const port = await namesrv.start(Number(process.argv[2] ?? DEFAULT_NAMESRV_PORT));
  console.log(`[namesrv] listening on 127.0.0.1:${port}`);
  runtime.onStop(() => namesrv.shutdown(), { signals: ['SIGINT', 'SIGTERM'] });
}

runtime.run(main, (error) => console.error(`[namesrv] failed to start: ${error.message}`));
