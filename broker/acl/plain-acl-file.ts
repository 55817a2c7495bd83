/**
 * Reads a plain_acl file: JSON, or the block YAML RocketMQ ships (distribution/conf/plain_acl.yml):
 * top-level `key: value` and `key:` followed by `- item` lists, where an item is a scalar or a map
 * written `- key: value` with its other keys indented under it. Comments (#) and blank lines are
 * skipped. Anything else (anchors, flow maps inside block YAML, multi-line strings) is refused with
 * its line number; write such a file as JSON. The caller reads the file (broker/ reaches files only
 * through its disk interface; `zeroloss cluster --acl-file` reads it in server/cli.ts).
 */
import { PlainAclConfigSchema, type PlainAclConfig } from './plain-access-validator.js';

export class AclFileError extends Error {}

export function parsePlainAclText(text: string, name = 'the ACL file'): PlainAclConfig {
  let raw: unknown;
  try {
    raw = text.trimStart().startsWith('{') ? JSON.parse(text) : parseBlockYaml(text);
  } catch (error) {
    throw new AclFileError(`${name}: ${(error as Error).message}`);
  }
  const parsed = PlainAclConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new AclFileError(`${name}: ${issue.path.join('.') || 'the file'}: ${issue.message}`);
  }
  return parsed.data;
}

type Scalar = string | boolean | null;
type Value = Scalar | Value[] | { [key: string]: Value };

function scalar(text: string): Scalar {
  const t = text.trim();
  if (t === '' || t === '~' || t === 'null') return null;
  if (t === 'true' || t === 'false') return t === 'true';
  const quoted = /^(['"])(.*)\1$/.exec(t);
  return quoted ? quoted[2]! : t;
}

function stripComment(line: string): string {
  // A # starts a comment at the line's start or after a space, outside quotes.
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) {
      return line.slice(0, i).replace(/\s+$/, '');
    }
  }
  return line.replace(/\s+$/, '');
}

function parseBlockYaml(text: string): Record<string, Value> {
  const root: Record<string, Value> = {};
  let list: Value[] | undefined;
  let item: Record<string, Value> | undefined;
  let itemIndent = -1;
  const lines = text.split(/\r?\n/);
  lines.forEach((original, index) => {
    const line = stripComment(original);
    if (line.trim() === '') return;
    const where = `line ${index + 1}`;
    const indent = line.length - line.trimStart().length;
    const body = line.trimStart();
    if (indent === 0) {
      const m = /^([A-Za-z_][\w-]*):(.*)$/.exec(body);
      if (!m) throw new Error(`${where}: expected "key: value" or "key:" at the top level`);
      item = undefined;
      if (m[2]!.trim() === '') {
        list = [];
        root[m[1]!] = list;
      } else {
        list = undefined;
        root[m[1]!] = scalar(m[2]!);
      }
      return;
    }
    if (body.startsWith('- ') || body === '-') {
      if (!list) throw new Error(`${where}: a list item outside a list`);
      const rest = body.slice(1).trim();
      const pair = /^([A-Za-z_][\w-]*):(.*)$/.exec(rest);
      if (item && indent >= itemIndent) {
        // a list inside the current map item (topicPerms: - topicA=SUB)
        const last = Object.keys(item).at(-1);
        const inner = last === undefined ? undefined : item[last];
        if (!Array.isArray(inner)) throw new Error(`${where}: a list item under a key that has a value`);
        inner.push(scalar(rest));
        return;
      }
      if (pair) {
        item = { [pair[1]!]: pair[2]!.trim() === '' ? [] : scalar(pair[2]!) };
        itemIndent = indent + 2;
        list.push(item);
      } else {
        item = undefined;
        list.push(scalar(rest));
      }
      return;
    }
    const pair = /^([A-Za-z_][\w-]*):(.*)$/.exec(body);
    if (!item || !pair || indent !== itemIndent) throw new Error(`${where}: expected a key of the list item above, indented ${itemIndent} spaces`);
    item[pair[1]!] = pair[2]!.trim() === '' ? [] : scalar(pair[2]!);
  });
  // A key with nothing under it is empty, not an empty list (whiteRemoteAddress:).
  for (const value of Object.values(root)) {
    if (!Array.isArray(value)) continue;
    for (const entry of value) {
      if (entry && typeof entry === 'object' && !Array.isArray(entry)) {
        for (const [k, v] of Object.entries(entry)) if (Array.isArray(v) && v.length === 0) entry[k] = null;
      }
    }
  }
  return root;
}
