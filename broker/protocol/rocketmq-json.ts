/**
 * RocketMQ's brokers and name servers write their JSON bodies with fastjson, which leaves the keys of
 * an integer-keyed map bare: a route's `"brokerAddrs":{0:"10.0.0.5:10911",1:"10.0.0.6:10911"}`, a
 * consumer's offset tables. JSON.parse refuses that. This reads such a body: outside strings, a bare
 * integer (or a bare identifier) used as a key is quoted first; everything else is left as it came, so
 * standard JSON (what Zeroloss's own nodes write) parses the same either way.
 */
export function parseRocketMQJson<T = unknown>(text: string): T {
  return JSON.parse(quoteBareKeys(text)) as T;
}

/** Quotes keys written without quotes (`{0:"a"}` → `{"0":"a"}`), never touching the inside of a string. */
export function quoteBareKeys(text: string): string {
  let out = '';
  let i = 0;
  /** where a key may start: after `{` or `,` (whitespace aside) */
  let keyMayFollow = false;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      const end = stringEnd(text, i);
      out += text.slice(i, end);
      i = end;
      keyMayFollow = false;
      continue;
    }
    if (keyMayFollow && /[-\w$]/.test(c)) {
      let j = i;
      while (j < text.length && /[-\w$.]/.test(text[j]!)) j++;
      let k = j;
      while (k < text.length && /\s/.test(text[k]!)) k++;
      if (text[k] === ':') {
        out += `"${text.slice(i, j)}"`;
        i = j;
        keyMayFollow = false;
        continue;
      }
    }
    if (c === '{' || c === ',') keyMayFollow = true;
    else if (!/\s/.test(c)) keyMayFollow = false;
    out += c;
    i++;
  }
  return out;
}

/** The index just past the string that starts at `start` (a `"`), escapes included. */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    if (text[i] === '\\') i += 2;
    else if (text[i] === '"') return i + 1;
    else i++;
  }
  return text.length;
}
