/**
 * The drill command's options, in one place: `zeroloss drill --help` prints them, and `zeroloss --help`
 * (server/cli.ts) includes them in its one-page usage. No side effects: importing this runs nothing.
 */
import { DRILL_IDS } from './types';
import { LAB_BUG_NAMES } from '../../broker/lab-bugs';

export const DRILL_USAGE_LINE = 'zeroloss drill --scenario <name> [options]   (or: npm run drill -- <name> [options])';

export const DRILL_OPTIONS = `  --scenario NAME          the drill: ${DRILL_IDS.join(', ')}
                           (the name may also come first, without --scenario)
  --flush-disk-type T      SYNC_FLUSH | ASYNC_FLUSH for the run
  --broker-role R          SYNC_MASTER | ASYNC_MASTER for the run
  --send-mode MODE         sync | async | async-unchecked | oneway (default sync)
  --consumer-ack MODE      after-processing | before-processing (default after-processing; alias --ack-mode)
  --idempotent             consumers dedupe on the message id
  --messages N             about N messages: the traffic lasts N / rate seconds (not with --duration)
  --rate N                 messages per second (default: the drill's)
  --duration S             seconds of traffic (default: the drill's)
  --consumers N            consumer processes (1-4)
  --seed S                 0-4294967295: decides everything random in the run (fault timing jitter, which
                           consumer is killed, the flap bursts, message bodies, transaction decisions);
                           the same seed and settings give the same plan. Default: a fresh seed, printed
  --set key=value          any broker setting for the run (repeatable), e.g. --set syncFlushTimeout=1000
  --lab-bug NAME           run with one deliberate bug switched on in the nodes or runners it lives in, for
                           this run only, judged like any other run: ${LAB_BUG_NAMES.join(', ')}
                           (ZL_LAB_BUGS=a,b switches bugs on for the whole headless cluster)
  --no-slave               do not start the slave broker (drills that need one cannot run)
  --keep-data              keep the temp data directory
  --json                   print one JSON object instead of the report: scenario, seed, config, sent,
                           statuses (a count per SendStatus, ERROR, TIMEOUT, UNCHECKED, UNKNOWN), consumed,
                           lostAcked, lost (per status), duplicates, gaps, recoveryMs, predicted, verdict, ...
  --junit FILE             also write the run as JUnit XML (one test case: a failure when a SEND_OK
                           message was lost or the verdict is FAIL, an error when the run did not finish)
  --markdown FILE          also write the run as Markdown (verdict, settings, prediction, ledger)
  --target T               embedded (default: a cluster of the drill's own) or external: a RocketMQ cluster
                           you run, read through its name servers, its settings judged, never changed
                           (docs/external-clusters.md); external runs process-crash and
                           producer-network-flap so far
  --namesrv H:P[;H:P]      with --target external: the cluster's name servers
  --executors FILE         with --target external: the fault executor (command, kubernetes or chaos-mesh;
                           docs/fault-executors.md); process-crash needs one, producer-network-flap
                           faults a proxy of its own
  --group NAME             with --target external: the group whose master is killed (default the first)
  --topic T                with --target external: send to this existing topic (default a fresh one)
  --queues N               with --target external: the fresh topic's queues (default 4)
  --producers N            with --target external: traffic runner processes sharing --rate (1-4, default 1)
  --access-key AK          with --target external: the cluster's ACL account; its secret key is read from
                           ZEROLOSS_SECRET_KEY (never a flag: a flag shows in ps and the shell's history)
  --dry-run                with --target external: print the cluster as read, the prediction and the exact
                           commands or manifests of the fault; run nothing
  -h, --help               this text

  exit status: 0 no SEND_OK message lost, 1 some SEND_OK messages lost, 2 a usage error or a run that failed`;
