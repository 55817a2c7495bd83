/**
 * What `npm run compat:ali-ons` is asked to do, on pure code: its flags, whether a directory is an
 * ali-ons checkout, and which of the checkout's test files run. The files that need an Aliyun ONS
 * account or endpoint are excluded as data (EXCLUSIONS), each with what it needs and the text in the
 * file that shows it; an exclusion the file's text no longer bears out is dropped and the file runs.
 */
import { UsageError, flagValue, wholeNumber } from '../../server/cli-args';

export const USAGE = `usage: npm run compat:ali-ons -- --suite DIR [--runs N] [--files a,b] [--json FILE]

Runs ali-ons's own mocha suite against a Zeroloss cluster laid out as ali-ons's CI lays out RocketMQ:
a name server on 127.0.0.1:9876, masters broker-a on 10911 and broker-b on 10912 (cluster
DefaultCluster), topic TP_alions_test_topic with 8 read and 8 write queues on both.

options:
  --suite DIR    a checkout of https://github.com/ali-sdk/ali-ons (git clone it; nothing of it is kept here)
  --runs N       run the whole set N times in a row, each run reported (default 1)
  --files a,b    only these test files: test/index.test.js, index, store/local_file, ...
                 (a file excluded by default runs when named here)
  --json FILE    also write a JSON summary to FILE`;

export interface SuiteOptions {
  suite: string;
  runs: number;
  files?: string[];
  json?: string;
}

/** The command line, or a UsageError saying what is wrong with it. */
export function parseSuiteArgs(argv: readonly string[]): SuiteOptions {
  let suite: string | undefined;
  let runs = 1;
  let files: string[] | undefined;
  let json: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    switch (arg) {
      case '--suite': suite = flagValue(argv, i, arg); i++; break;
      case '--runs': runs = wholeNumber(flagValue(argv, i, arg), arg, 1); i++; break;
      case '--files': files = fileList(flagValue(argv, i, arg)); i++; break;
      case '--json': json = flagValue(argv, i, arg); i++; break;
      default: throw new UsageError(`unknown argument "${arg}"`);
    }
  }
  if (suite === undefined) throw new UsageError('--suite DIR is required: a checkout of ali-ons (git clone https://github.com/ali-sdk/ali-ons)');
  return { suite, runs, ...(files ? { files } : {}), ...(json ? { json } : {}) };
}

function fileList(value: string): string[] {
  const files = value.split(',').map((f) => f.trim()).filter((f) => f !== '');
  if (files.length === 0) throw new UsageError('--files needs at least one file name');
  return files.map(testFileName);
}

/** A test file as named on the command line, as a path in the checkout: `index` → `test/index.test.js`. */
export function testFileName(name: string): string {
  const relative = name.replace(/^\.\//, '');
  const inTest = relative.startsWith('test/') ? relative : `test/${relative}`;
  return inTest.endsWith('.test.js') ? inTest : `${inTest}.test.js`;
}

/** What was found at the directory given as --suite. */
export interface CheckoutFacts {
  isDirectory: boolean;
  /** package.json's text; undefined when there is none */
  packageJson?: string;
  hasTestDir: boolean;
}

/** Why the directory is not an ali-ons checkout, or undefined when it is one. */
export function checkoutProblem(dir: string, facts: CheckoutFacts): string | undefined {
  if (!facts.isDirectory) return `${dir} is not a directory`;
  if (facts.packageJson === undefined) return `${dir} has no package.json: it is not an ali-ons checkout`;
  const name = packageName(facts.packageJson);
  if (name !== 'ali-ons') return `${dir}/package.json names ${name === undefined ? 'no package' : `"${name}"`}, not ali-ons`;
  if (!facts.hasTestDir) return `${dir} has no test/ directory: the suite is not in this checkout`;
  return undefined;
}

function packageName(text: string): string | undefined {
  try {
    const name = (JSON.parse(text) as { name?: unknown }).name;
    return typeof name === 'string' ? name : undefined;
  } catch {
    return undefined;
  }
}

/** A test file that cannot pass without an Aliyun ONS account or endpoint. */
export interface Exclusion {
  file: string;
  /** what it needs that a local cluster does not have */
  needs: string;
  /** text the file holds while the reason stands; if any is gone, the exclusion is dropped */
  holds: string[];
  /** text that would end the reason (a name server of its own); if any appears, the exclusion is dropped */
  lacks: string[];
}

export const EXCLUSIONS: readonly Exclusion[] = [
  {
    file: 'test/channel.test.js',
    needs: 'Aliyun\'s ONS address server and an ONS name server: its before-all hook fetches the name server list from '
      + 'http://onsaddr-internet.aliyun.com/rocketmq/nsaddr4client-internet (no test in the file runs if that fails), and '
      + '"should invoke ok though channel not ready" asks an address from that list and expects the ONS name server\'s '
      + '"__accessKey is blank" refusal, which RocketMQ\'s name server never sends',
    holds: ['onsaddr-internet.aliyun.com', '__accessKey is blank'],
    lacks: [],
  },
  {
    file: 'test/store/local_file.test.js',
    needs: 'Aliyun\'s ONS address server: its before-all hook readies an MQClient whose ClientConfig names no nameSrv, '
      + 'so the client asks ali-ons\'s default onsAddr (http://onsaddr-internet.aliyun.com/rocketmq/nsaddr4client-internet) '
      + 'for the name servers; no test in the file runs if that fails (the tests themselves touch only a local offset file)',
    holds: ['new ClientConfig({'],
    lacks: ['nameSrv', 'example/config'],
  },
];

/** Text that says a file talks to Aliyun: a file holding it that is not excluded runs, with a note. */
const ALIYUN_MARKERS = [/[\w.-]+\.aliyun(?:cs)?\.com/, /accessKey/, /onsAddr/];

/** What in the file's text goes against its exclusion, or undefined when the reason still shows. */
function exclusionVoided(exclusion: Exclusion, text: string): string | undefined {
  const quoted = (texts: string[]) => texts.map((t) => `"${t}"`).join(', ');
  const missing = exclusion.holds.filter((t) => !text.includes(t));
  if (missing.length > 0) return `it no longer holds ${quoted(missing)}`;
  const present = exclusion.lacks.filter((t) => text.includes(t));
  if (present.length > 0) return `it now holds ${quoted(present)}`;
  return undefined;
}

export interface TestPlan {
  /** the files to run, in order */
  run: string[];
  excluded: { file: string; needs: string }[];
  /** what the reader should know about the choice */
  notes: string[];
}

/**
 * Which test files run: every file of the checkout (or those --files names) but the excluded ones
 * whose reason still shows in their text. `contents` maps each test file of the checkout to its text.
 */
export function planTestFiles(contents: ReadonlyMap<string, string>, requested?: readonly string[]): TestPlan {
  const all = [...contents.keys()].sort();
  for (const file of requested ?? []) {
    if (!contents.has(file)) throw new UsageError(`--files: the checkout has no ${file} (its test files: ${all.join(', ')})`);
  }
  const notes: string[] = [];
  const standing = new Map<string, Exclusion>();
  for (const exclusion of EXCLUSIONS) {
    const text = contents.get(exclusion.file);
    const voided = text === undefined ? undefined : exclusionVoided(exclusion, text);
    if (text === undefined) notes.push(`${exclusion.file} is on the exclusion list but not in this checkout`);
    else if (voided) notes.push(`${exclusion.file} runs: ${voided}, so the reason it was excluded no longer shows`);
    else standing.set(exclusion.file, exclusion);
  }
  const chosen = requested ? [...new Set(requested)] : all;
  const run: string[] = [];
  const excluded: { file: string; needs: string }[] = [];
  for (const file of chosen) {
    const exclusion = standing.get(file);
    if (exclusion && !requested) excluded.push({ file, needs: exclusion.needs });
    else run.push(file);
    if (exclusion && requested) notes.push(`${file} is excluded by default (it needs ${exclusion.needs}); it runs because --files names it`);
    const marker = exclusion ? undefined : ALIYUN_MARKERS.find((m) => m.test(contents.get(file)!));
    if (marker) notes.push(`${file} mentions ${contents.get(file)!.match(marker)![0]} but is not excluded: if it needs an Aliyun account, add it to EXCLUSIONS`);
  }
  return { run, excluded, notes };
}
