/**
 * A producer in its own process, for tests that must keep traffic flowing while the test process
 * itself is blocked: sends 512-byte messages with `concurrency` sync senders to one broker until
 * the broker goes away, and prints the msgId of every SEND_OK on its own line.
 *   node --import tsx test/support/load-producer-main.ts <brokerAddr> [concurrency]
 */
import { Producer } from '../../broker/client/producer';

const [brokerAddr, concurrency = '16'] = process.argv.slice(2);
if (!brokerAddr) {
  console.error('usage: load-producer-main.ts <brokerAddr> [concurrency]');
  process.exit(2);
}
const producer = new Producer({ producerGroup: 'load', producerId: `load-${process.pid}`, brokerAddr, retryTimesWhenSendFailed: 0 });
let n = 0;
await Promise.all(Array.from({ length: Number(concurrency) }, async () => {
  for (;;) {
    try {
      const result = await producer.send({ topic: 'TopicTest', body: Buffer.from(`msg-${n++}-`.padEnd(512, 'z')) });
      if (result.sendStatus === 'SEND_OK') process.stdout.write(`${result.msgId}\n`);
    } catch {
      return; // the broker is gone
    }
  }
}));
producer.close();
