/**
 * The codebase's own rules, checked by reading the files (TigerBeetle's tidy.zig habit): layering,
 * import cycles, file length, hidden nondeterminism in broker/, where process.env is read, and
 * documentation that resolves inside the repository. Plain fs and a small comment-and-string-aware
 * scanner, no parser: it must stay fast (well under 3 s) and need nothing beyond Node.
 * Each failure names the rule and the files, and says what to do.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const LAYERS = ['app', 'server', 'broker'] as const;
type Layer = (typeof LAYERS)[number];
const SOURCE_EXTENSIONS = ['.ts', '.tsx', '.mjs', '.js'];
/** Directories no rule looks into: installed, built or generated at run time. */
const SKIPPED_DIRS = new Set(['node_modules', '.next', 'data', '.git', 'test-results']);

/**
 * Rule c: files allowed over FILE_LINES_MAX lines, at most FILE_LINES_ALLOWED_MAX of them. Each is a
 * known god file waiting to be split; remove its entry when it is (a stale entry fails the test).
 */
const FILE_LINES_MAX = 500;
const FILE_LINES_ALLOWED_MAX = 5;
const LONG_FILES_ALLOWED: Record<string, string> = {
  // The supervisor of the master, traffic, consumers, settings and events in one class.
  'server/control-plane.ts': 'to be split into one supervisor per replica and a settings service',
  // Run, phases, verification, drain and cleanup of a drill.
  'server/drills/drill-runner.ts': 'to be split by phase',
  // Every drill's data and prediction: long because the catalog is long, not because it mixes concerns.
  'server/drills/catalog.ts': 'one file per drill family would do',
  // The store facade: lifecycle, recovery, read side.
  'broker/store/message-store.ts': 'recovery and the read side can move out',
};

/**
 * Rule d: the files that implement the clock and randomness interfaces, real and simulated; the only
 * broker/ files that may touch (or, the simulator's clock, define) timers, wall-clock time or
 * Math.random directly.
 */
const CLOCK_AND_RANDOM_IMPLEMENTATIONS = new Set(['broker/io/clock.ts', 'broker/io/prng.ts', 'broker/sim/sim-clock.ts']);

/**
 * Rule d: modules broker/ may import only in the file that implements the interface over them, so
 * a simulation can replace the implementation (docs/architecture.md#nondeterminism-behind-interfaces).
 */
const MODULES_BEHIND_INTERFACES: Record<string, string> = {
  'node:fs': 'broker/io/disk.ts',
  fs: 'broker/io/disk.ts',
  'node:fs/promises': 'broker/io/disk.ts',
  'fs/promises': 'broker/io/disk.ts',
  'node:net': 'broker/io/transport.ts',
  net: 'broker/io/transport.ts',
};

/** Rule e: the environment module, the only reader of process.env among app/, server/ and broker/. */
const ENVIRONMENT_MODULES = new Set(['broker/config/environment.ts']);

/** Rule a: packages broker/ must never import (it is the bottom layer: no web, API or database code). */
const PACKAGES_BROKER_MUST_NOT_IMPORT = [/^next(\/|$)/, /^@next\//, /^@trpc\//, /^@prisma\//, /^prisma(\/|$)/, /^react(-dom)?(\/|$)/, /^@tanstack\//];

/** Rule f: documents of the world outside the repository, spelled in pieces so this file does not name them. */
const OUTSIDE_DOCUMENTS = ['rocketmq-facts', 'client-compat', 'design', 'style'].map((name) => `${name}.md`);
const OUTSIDE_DIRECTORY = '..' + '/shared';
const README_LINES_MAX = 200;

// ---------------------------------------------------------------------------------------------
// Reading the tree
// ---------------------------------------------------------------------------------------------

const toPosix = (p: string) => p.split(path.sep).join('/');

function walk(dir: string, out: string[] = []): string[] {
  for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    if (SKIPPED_DIRS.has(entry.name)) continue;
    const rel = dir === '.' ? entry.name : `${dir}/${entry.name}`;
    if (entry.isDirectory()) walk(rel, out);
    else if (entry.isFile()) out.push(rel);
  }
  return out;
}

/** The tracked files (git ls-files), or, outside a git checkout, every file not in SKIPPED_DIRS. */
function trackedFiles(): string[] {
  const git = spawnSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' });
  if (git.status === 0 && git.stdout) return git.stdout.split('\0').filter((f) => f && fs.existsSync(path.join(ROOT, f)));
  return walk('.');
}

function layerOf(file: string): Layer | undefined {
  return LAYERS.find((layer) => file.startsWith(`${layer}/`));
}

const sourceFiles: string[] = LAYERS.flatMap((layer) => walk(layer)).filter((f) => SOURCE_EXTENSIONS.includes(path.extname(f))).sort();
const sourceSet = new Set(sourceFiles);
const texts = new Map<string, string>();
function read(file: string): string {
  let text = texts.get(file);
  if (text === undefined) texts.set(file, (text = fs.readFileSync(path.join(ROOT, file), 'utf8')));
  return text;
}

/**
 * Two views of a source file, both the same length as the original with every newline kept (so an
 * index maps to the same line): `noComments` blanks comments; `code` also blanks the contents of
 * string, template and regular-expression literals (template substitutions stay code).
 */
interface Scanned {
  noComments: string;
  code: string;
}

const ch = (c: string) => c.charCodeAt(0);
const NL = ch('\n');
const SPACE = ch(' ');
const SLASH = ch('/');
const STAR = ch('*');
const BACKSLASH = ch('\\');
const BACKTICK = ch('`');
const isWordCode = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 36;
const isSpaceCode = (c: number) => c === 32 || c === 9 || c === 10 || c === 13;
/** Characters after which a slash starts a regular expression rather than a division. */
const REGEX_MAY_FOLLOW = new Set('(,=:[!&|?{};+-*%~^>'.split('').map(ch));
const KEYWORDS_BEFORE_EXPRESSION = new Set(['return', 'typeof', 'case', 'do', 'else', 'in', 'of', 'void', 'yield', 'await', 'throw', 'new', 'delete', 'instanceof']);

/** Whether the slash at `at` starts a regular expression: decided by the code before it. */
function startsRegex(code: Uint16Array, at: number): boolean {
  let k = at - 1;
  while (k >= 0 && isSpaceCode(code[k])) k--;
  if (k < 0) return true;
  if (!isWordCode(code[k])) return REGEX_MAY_FOLLOW.has(code[k]);
  let start = k;
  while (start > 0 && isWordCode(code[start - 1])) start--;
  return KEYWORDS_BEFORE_EXPRESSION.has(String.fromCharCode(...code.subarray(start, k + 1)));
}

function scan(source: string): Scanned {
  const n = source.length;
  const src = new Uint16Array(n);
  for (let k = 0; k < n; k++) src[k] = source.charCodeAt(k);
  const noComments = src.slice();
  const code = src.slice();
  const blank = (target: Uint16Array, from: number, to: number) => {
    for (let k = from; k < to; k++) if (target[k] !== NL) target[k] = SPACE;
  };
  /** braces open inside each template substitution; a `}` at depth 0 resumes the template */
  const templateDepths: number[] = [];
  let i = 0;
  /** Scans template text from i (just past a backtick or a substitution's `}`) to its end or the next `${`. */
  const templateText = () => {
    const start = i;
    while (i < n) {
      const c = src[i];
      if (c === BACKSLASH) i += 2;
      else if (c === BACKTICK) {
        blank(code, start, i);
        i++;
        return;
      } else if (c === 36 /* $ */ && src[i + 1] === 123 /* { */) {
        blank(code, start, i);
        i += 2;
        templateDepths.push(0);
        return;
      } else i++;
    }
    blank(code, start, n);
  };
  while (i < n) {
    const c = src[i];
    const next = src[i + 1];
    if (c === SLASH && next === SLASH) {
      const newline = source.indexOf('\n', i);
      const end = newline === -1 ? n : newline;
      blank(noComments, i, end);
      blank(code, i, end);
      i = end;
    } else if (c === SLASH && next === STAR) {
      const close = source.indexOf('*/', i + 2);
      const end = close === -1 ? n : close + 2;
      blank(noComments, i, end);
      blank(code, i, end);
      i = end;
    } else if (c === 39 /* ' */ || c === 34 /* " */) {
      // A quote string cannot span lines: stopping at a newline keeps a stray apostrophe in JSX text
      // from swallowing more than its own line.
      let j = i + 1;
      while (j < n && src[j] !== c && src[j] !== NL) j += src[j] === BACKSLASH ? 2 : 1;
      blank(code, i + 1, Math.min(j, n));
      i = j + 1;
    } else if (c === BACKTICK) {
      i++;
      templateText();
    } else if (c === SLASH && startsRegex(code, i)) {
      // A regular-expression literal: to the closing slash outside a character class, on the same line.
      let j = i + 1;
      let inClass = false;
      while (j < n && src[j] !== NL) {
        const d = src[j];
        if (d === BACKSLASH) j++;
        else if (d === 91 /* [ */) inClass = true;
        else if (d === 93 /* ] */) inClass = false;
        else if (d === SLASH && !inClass) break;
        j++;
      }
      blank(code, i + 1, Math.min(j, n));
      i = j + 1;
      while (i < n && src[i] >= 97 && src[i] <= 122) i++; // flags
    } else {
      if (templateDepths.length > 0) {
        const top = templateDepths.length - 1;
        if (c === 123 /* { */) templateDepths[top]++;
        else if (c === 125 /* } */) {
          if (templateDepths[top] === 0) {
            templateDepths.pop();
            i++;
            templateText();
            continue;
          }
          templateDepths[top]--;
        }
      }
      i++;
    }
  }
  const decode = (codes: Uint16Array) => new TextDecoder('utf-16le').decode(codes);
  return { noComments: decode(noComments), code: decode(code) };
}

const scans = new Map<string, Scanned>();
function scanned(file: string): Scanned {
  let s = scans.get(file);
  if (!s) scans.set(file, (s = scan(read(file))));
  return s;
}

const lineStarts = new Map<string, number[]>();
/** The 1-based line of `index` in `text` (every view of a file has its newlines in the same places). */
function lineAt(text: string, index: number): number {
  let starts = lineStarts.get(text);
  if (!starts) {
    starts = [0];
    for (let k = text.indexOf('\n'); k !== -1; k = text.indexOf('\n', k + 1)) starts.push(k + 1);
    lineStarts.set(text, starts);
  }
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= index) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

/** Every module a file imports (static, re-export, side-effect, dynamic import() and require()), with its line. */
function importsOf(file: string): { specifier: string; line: number }[] {
  const { noComments, code } = scanned(file);
  const out: { specifier: string; line: number }[] = [];
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?[\w$*{}\s,]*?\s*from\s*(['"])([^'"\n]+)\1/g,
    /\bimport\s*(['"])([^'"\n]+)\1/g,
    /\b(?:import|require)\s*\(\s*(['"])([^'"\n]+)\1\s*\)/g,
  ];
  for (const pattern of patterns) {
    for (const m of noComments.matchAll(pattern)) {
      // The keyword must be code, not the inside of a string literal.
      if (code.slice(m.index, m.index + 6) !== noComments.slice(m.index, m.index + 6)) continue;
      out.push({ specifier: m[2], line: lineAt(noComments, m.index) });
    }
  }
  return out;
}

/** A relative or `@/` specifier resolved to a repository file, as TypeScript's bundler resolution would. */
function resolveImport(from: string, specifier: string): string | undefined {
  let base: string;
  if (specifier.startsWith('@/')) base = specifier.slice(2);
  else if (specifier.startsWith('.')) base = toPosix(path.normalize(path.join(path.dirname(from), specifier)));
  else return undefined;
  const stem = base.replace(/\.(js|mjs|jsx)$/, '');
  const candidates = [base, `${stem}.ts`, `${stem}.tsx`, `${stem}.mjs`, `${base}.ts`, `${base}.tsx`, `${base}/index.ts`, `${base}/index.tsx`];
  return candidates.find((c) => fs.existsSync(path.join(ROOT, c)) && fs.statSync(path.join(ROOT, c)).isFile());
}

interface Edge {
  from: string;
  to: string;
  line: number;
}

let edges: { internal: Edge[]; packages: { from: string; specifier: string; line: number }[] } | undefined;
function importEdges(): { internal: Edge[]; packages: { from: string; specifier: string; line: number }[] } {
  if (edges) return edges;
  const internal: Edge[] = [];
  const packages: { from: string; specifier: string; line: number }[] = [];
  for (const file of sourceFiles) {
    for (const { specifier, line } of importsOf(file)) {
      if (specifier.startsWith('.') || specifier.startsWith('@/')) {
        const to = resolveImport(file, specifier);
        if (to) internal.push({ from: file, to, line });
      } else packages.push({ from: file, specifier, line });
    }
  }
  return (edges = { internal, packages });
}

/**
 * A pattern for a global name: not part of a longer identifier and not a property of something else
 * (`clock.setTimeout` is the injected clock), though a spread (`...process.env`) still counts.
 */
function globalName(pattern: string): RegExp {
  return new RegExp(`(?<![\\w$])(?<![^.]\\.)${pattern}`, 'g');
}

function fail(rule: string, advice: string, problems: string[]): void {
  if (problems.length > 0) assert.fail(`tidy rule ${rule}: ${problems.length} problem(s). ${advice}\n  ${problems.join('\n  ')}`);
}

// ---------------------------------------------------------------------------------------------
// The rules
// ---------------------------------------------------------------------------------------------

test('tidy - a: no import from a lower layer to a higher one (app → server → broker)', () => {
  const { internal, packages } = importEdges();
  const rank: Record<Layer, number> = { app: 2, server: 1, broker: 0 };
  const problems: string[] = [];
  for (const edge of internal) {
    const fromLayer = layerOf(edge.from);
    const toLayer = layerOf(edge.to);
    if (fromLayer && toLayer && rank[toLayer] > rank[fromLayer]) problems.push(`${edge.from}:${edge.line} imports ${edge.to} (${fromLayer}/ must not import ${toLayer}/)`);
  }
  for (const p of packages) {
    if (layerOf(p.from) === 'broker' && PACKAGES_BROKER_MUST_NOT_IMPORT.some((re) => re.test(p.specifier))) {
      problems.push(`${p.from}:${p.line} imports '${p.specifier}' (broker/ must not import Next, React, tRPC or Prisma)`);
    }
  }
  fail('a (layering)', 'Move the shared type or function down into the lower layer, or pass it in as a callback.', problems);
});

test('tidy - b: no import cycle among app/, server/ and broker/ (type-only imports count)', () => {
  const { internal } = importEdges();
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles) graph.set(file, []);
  for (const edge of internal) if (sourceSet.has(edge.to) && !graph.get(edge.from)!.includes(edge.to)) graph.get(edge.from)!.push(edge.to);
  for (const targets of graph.values()) targets.sort();

  // Tarjan's strongly connected components; every component of two or more files holds a cycle.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;
  const connect = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)!) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || graph.get(v)!.includes(v)) components.push(component.sort());
    }
  };
  for (const file of sourceFiles) if (!index.has(file)) connect(file);

  /** One shortest cycle through the component's first file, by breadth-first search inside the component. */
  const cyclePath = (component: string[]): string[] => {
    const members = new Set(component);
    const start = component[0];
    const previous = new Map<string, string>();
    const queue = [start];
    while (queue.length > 0) {
      const v = queue.shift()!;
      for (const w of graph.get(v)!) {
        if (!members.has(w)) continue;
        if (w === start) {
          const cycle = [start];
          for (let u = v; u !== start; u = previous.get(u)!) cycle.splice(1, 0, u);
          return [...cycle, start];
        }
        if (!previous.has(w)) {
          previous.set(w, v);
          queue.push(w);
        }
      }
    }
    return component;
  };
  const problems = components
    .sort((x, y) => x[0].localeCompare(y[0]))
    .map((c) => `${cyclePath(c).join(' → ')}${c.length > 2 ? `  (${c.length} files import each other in a circle: ${c.join(', ')})` : ''}`);
  fail('b (import cycles)', 'Break each circle by moving the shared type or callback into the lower module.', problems);
});

function lineCount(text: string): number {
  if (text.length === 0) return 0;
  let lines = 0;
  for (let k = 0; k < text.length; k++) if (text.charCodeAt(k) === 10) lines++;
  return text.endsWith('\n') ? lines : lines + 1;
}

test(`tidy - c: no file in app/, server/ or broker/ over ${FILE_LINES_MAX} lines, beyond a short allow-list`, () => {
  const allowed = Object.keys(LONG_FILES_ALLOWED);
  const problems: string[] = [];
  if (allowed.length > FILE_LINES_ALLOWED_MAX) problems.push(`the allow-list holds ${allowed.length} files; at most ${FILE_LINES_ALLOWED_MAX} may be there`);
  const files = LAYERS.flatMap((layer) => walk(layer)).filter((f) => !/\.(png|jpe?g|gif|ico|woff2?)$/.test(f));
  for (const file of files) {
    const lines = lineCount(read(file));
    if (lines > FILE_LINES_MAX && !allowed.includes(file)) problems.push(`${file} has ${lines} lines`);
  }
  for (const file of allowed) {
    if (!fs.existsSync(path.join(ROOT, file))) problems.push(`${file} is on the allow-list but no longer exists: remove its entry`);
    else if (lineCount(read(file)) <= FILE_LINES_MAX) problems.push(`${file} is on the allow-list but has ${lineCount(read(file))} lines now: remove its entry`);
  }
  fail('c (file length)', `Split the file by concern; the allow-list (LONG_FILES_ALLOWED in test/unit/tidy.test.ts) is for known god files only.`, problems);
});

test('tidy - d: broker/ touches timers, wall-clock time and randomness only through the clock and random interfaces', () => {
  const forbidden: [RegExp, string][] = [
    [globalName('(?:setTimeout|setInterval|setImmediate|clearTimeout|clearInterval|clearImmediate)\\b'), 'a timer'],
    [globalName('(?:crypto\\.)?random(?:Bytes|UUID|Int)\\b'), 'randomness'],
    [globalName('Date\\.now\\b'), 'wall-clock time'],
    // new Date(ms) only converts a time it was given; new Date() reads the clock.
    [globalName('new\\s+Date\\s*\\(\\s*\\)'), 'wall-clock time'],
    [globalName('performance\\.now\\b'), 'a monotonic clock'],
    [globalName('Math\\.random\\b'), 'randomness'],
  ];
  const problems: string[] = [];
  for (const file of sourceFiles.filter((f) => layerOf(f) === 'broker' && !CLOCK_AND_RANDOM_IMPLEMENTATIONS.has(f))) {
    const { code } = scanned(file);
    for (const [pattern, what] of forbidden) {
      for (const m of code.matchAll(pattern)) problems.push(`${file}:${lineAt(code, m.index)} uses ${m[0].replace(/\s+/g, ' ')} (${what})`);
    }
  }
  fail('d (nondeterminism in broker/)', `Take the injected clock or random source instead; only ${[...CLOCK_AND_RANDOM_IMPLEMENTATIONS].join(', ')} may use these directly.`, problems);
});

test('tidy - d: broker/ reaches files and sockets only through the disk and transport interfaces', () => {
  const problems = importEdges().packages
    .filter((p) => layerOf(p.from) === 'broker' && p.specifier in MODULES_BEHIND_INTERFACES && MODULES_BEHIND_INTERFACES[p.specifier] !== p.from)
    .map((p) => `${p.from}:${p.line} imports '${p.specifier}' (only ${MODULES_BEHIND_INTERFACES[p.specifier]} may)`);
  fail('d (modules behind interfaces)', 'Take the injected interface (a Disk from the FileLayer, a Transport) instead of the module.', problems);
});

test('tidy - e: process.env is read only in the environment module', () => {
  const problems: string[] = [];
  for (const file of sourceFiles.filter((f) => !ENVIRONMENT_MODULES.has(f))) {
    const { code } = scanned(file);
    for (const m of code.matchAll(globalName('process\\.env\\b'))) problems.push(`${file}:${lineAt(code, m.index)} reads process.env`);
  }
  fail('e (environment)', `Read the variable through ${[...ENVIRONMENT_MODULES].join(', ')} (validated once, then passed down).`, problems);
});

// ---------------------------------------------------------------------------------------------
// Documentation
// ---------------------------------------------------------------------------------------------

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function slug(heading: string): string {
  return heading
    .replace(/`([^`]*)`/g, '$1')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

const anchorCache = new Map<string, Set<string>>();
/** Every anchor a markdown file offers: its headings (with GitHub's -1, -2 suffixes for repeats) and explicit ids. */
function anchorsOf(file: string): Set<string> {
  let anchors = anchorCache.get(file);
  if (anchors) return anchors;
  anchors = new Set();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of read(file).split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    if (fenced) continue;
    const heading = /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
    if (heading) {
      const base = slug(heading[1]);
      const count = seen.get(base) ?? 0;
      anchors.add(count === 0 ? base : `${base}-${count}`);
      seen.set(base, count + 1);
    }
    for (const m of line.matchAll(/<a\s+(?:name|id)="([^"]+)"/g)) anchors.add(m[1]);
  }
  anchorCache.set(file, anchors);
  return anchors;
}

/** Why a repository-relative target (`file#anchor`, from the file `from`) does not resolve, or null when it does. */
function unresolved(from: string, target: string): string | null {
  const [rawPath, anchor] = target.split('#', 2) as [string, string | undefined];
  const file = rawPath === '' ? from : toPosix(path.normalize(path.join(path.dirname(from), decodeURI(rawPath))));
  if (file.startsWith('..')) return `${target} points outside the repository`;
  if (!fs.existsSync(path.join(ROOT, file))) return `${target}: no file ${file}`;
  if (anchor !== undefined && file.endsWith('.md') && !anchorsOf(file).has(anchor.toLowerCase())) return `${target}: ${file} has no heading with anchor #${anchor}`;
  return null;
}

const markdownDocs = (): string[] => ['README.md', ...walk('docs').filter((f) => f.endsWith('.md'))].filter((f) => fs.existsSync(path.join(ROOT, f))).sort();

test('tidy - f: every relative link in README.md and docs/ resolves, anchors included', () => {
  const problems: string[] = [];
  for (const doc of markdownDocs()) {
    let fenced = false;
    read(doc).split('\n').forEach((line, k) => {
      if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
      if (fenced) return;
      const withoutCode = line.replace(/`[^`]*`/g, '');
      const targets = [
        ...[...withoutCode.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]),
        ...[...withoutCode.matchAll(/^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/g)].map((m) => m[1]),
      ];
      for (const target of targets) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // http:, https:, mailto:
        const why = unresolved(doc, target);
        if (why) problems.push(`${doc}:${k + 1} ${why}`);
      }
    });
  }
  fail('f (documentation links)', 'Fix the link, or add the heading it points at.', problems);
});

test(`tidy - f: README.md stays under ${README_LINES_MAX} lines and links every document in docs/`, () => {
  const readme = read('README.md');
  const problems: string[] = [];
  if (lineCount(readme) >= README_LINES_MAX) problems.push(`README.md has ${lineCount(readme)} lines`);
  for (const doc of markdownDocs().filter((d) => d.startsWith('docs/'))) {
    if (!readme.includes(`](${doc})`) && !readme.includes(`](${doc}#`)) problems.push(`README.md does not link ${doc}`);
  }
  fail('f (README)', 'Move detail into docs/ and link it from the README\'s documentation table.', problems);
});

test('tidy - f: the repository cites only itself (no document of the world outside it)', () => {
  const problems: string[] = [];
  const textual = trackedFiles().filter((f) => f !== 'package-lock.json' && !/\.(png|jpe?g|gif|ico|woff2?|db|sqlite)$/i.test(f));
  const outsideDirectory = new RegExp(OUTSIDE_DIRECTORY.replace(/\./g, '\\.'), 'g');
  const outsideDocument = new RegExp(`(?<![\\w-])(?:[\\w./-]*/)?(?:${OUTSIDE_DOCUMENTS.map((d) => d.replace('.', '\\.')).join('|')})\\b`, 'g');
  // a document of docs/ alone, with an anchor, or with several anchors separated by commas
  const citation = /(?<![\w/.-])(docs\/[\w.-]+\.md)((?:#[\w-]+)(?:,\s*#[\w-]+)*)?/g;
  for (const file of textual) {
    const text = read(file);
    const mentions = [...text.matchAll(outsideDirectory), ...text.matchAll(outsideDocument)]
      // A document of that name inside the repository may be cited.
      .filter((m) => m[0].startsWith('..') || !fs.existsSync(path.join(ROOT, m[0])));
    for (const m of mentions) problems.push(`${file}:${lineAt(text, m.index)} cites "${m[0]}", which is outside the repository: cite a file in docs/ instead`);
    if (file.startsWith('docs/') || file === 'README.md') continue; // their links are checked above, relative to themselves
    for (const m of text.matchAll(citation)) {
      const anchors = m[2] ? m[2].split(',').map((a) => a.trim()) : [''];
      for (const anchor of anchors) {
        const why = unresolved('x', `${m[1]}${anchor}`);
        if (why) problems.push(`${file}:${lineAt(text, m.index)} cites ${why}`);
      }
    }
  }
  fail('f (citations)', 'Every citation must name a file, and a heading, inside this repository.', problems);
});
