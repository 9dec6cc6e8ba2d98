/**
 * Label maps: the protobuf-text `.pbtxt` files that name the action classes of an AVA-style dataset,
 *
 *     item {
 *       name: "bend/bow (at the waist)"
 *       id: 1
 *     }
 *
 * or the same on one line (`item { name: "hug" id: 3 }`). The reader accepts both layouts, `label_id`
 * for `id` and `display_name` when `name` is absent, `#` comments, and single- or double-quoted
 * strings with the usual escapes. The writer produces the multi-line layout, which is the only one the
 * official ActivityNet reader understands (it matches lines starting with `  name:` and `  id:`).
 *
 * A `LabelMap` keeps the classes in file order: `ids[k]` is the k-th class id and `names.get(id)` its
 * name. Ids are positive integers (AVA's evaluator requires 1-indexed classes); ids and names are
 * unique.
 */
import { fail } from '../util/errors.js';
import { readTextFile, stripBom } from '../util/fs.js';

export interface LabelMap {
  /** Class ids in file order. */
  readonly ids: readonly number[];
  /** Class id -> display name. */
  readonly names: ReadonlyMap<number, string>;
}

/** Builds a LabelMap from (id, name) pairs, checking ids are positive integers and ids/names unique. */
export function makeLabelMap(entries: Iterable<readonly [number, string]>, source = 'label map'): LabelMap {
  const ids: number[] = [];
  const names = new Map<number, string>();
  const seenNames = new Map<string, number>();
  for (const [id, name] of entries) {
    if (!Number.isSafeInteger(id) || id < 1) fail(source, `id ${id}`, 'class ids must be positive integers');
    if (names.has(id)) fail(source, `id ${id}`, 'duplicate class id');
    const other = seenNames.get(name);
    if (other !== undefined) fail(source, `id ${id}`, `duplicate class name "${name}" (also id ${other})`);
    ids.push(id);
    names.set(id, name);
    seenNames.set(name, id);
  }
  return { ids, names };
}

/** Reads a `.pbtxt` label map. Throws UserError for a missing file or malformed content. */
export function readLabelMap(path: string): LabelMap {
  return parseLabelMap(readTextFile(path, 'label map'), path);
}

/** The multi-line `.pbtxt` text of `map`. Names must not contain `"` or line breaks (the official reader splits on `"`). */
export function formatLabelMap(map: LabelMap, source = 'label map'): string {
  let out = '';
  for (const id of map.ids) {
    const name = map.names.get(id);
    if (name === undefined) fail(source, `id ${id}`, 'has no name');
    if (/["\\\r\n]/.test(name)) fail(source, `id ${id}`, `class name ${JSON.stringify(name)} must not contain quotes, backslashes or line breaks (the label map format cannot hold them)`);
    out += `item {\n  name: "${name}"\n  id: ${id}\n}\n`;
  }
  return out;
}

type Token =
  | { kind: 'ident'; text: string; line: number }
  | { kind: 'string'; text: string; line: number }
  | { kind: 'number'; text: string; line: number }
  | { kind: 'punct'; text: '{' | '}' | ':'; line: number };

function tokenize(text: string, fileName: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    if (c === '\n') {
      line++;
      i++;
    } else if (c === ' ' || c === '\t' || c === '\r' || c === ',' || c === ';') {
      i++;
    } else if (c === '#') {
      while (i < n && text[i] !== '\n') i++;
    } else if (c === '{' || c === '}' || c === ':') {
      tokens.push({ kind: 'punct', text: c, line });
      i++;
    } else if (c === '"' || c === "'") {
      const start = line;
      let s = '';
      i++;
      for (;;) {
        if (i >= n || text[i] === '\n') fail(fileName, `line ${start}`, 'unterminated string');
        const d = text[i]!;
        if (d === c) {
          i++;
          break;
        }
        if (d === '\\') {
          const e = text[i + 1];
          const esc: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'" };
          if (e === undefined || esc[e] === undefined) fail(fileName, `line ${line}`, `unsupported escape \\${e ?? ''} in string`);
          s += esc[e];
          i += 2;
        } else {
          s += d;
          i++;
        }
      }
      tokens.push({ kind: 'string', text: s, line: start });
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(text.slice(i, i + 256))!;
      tokens.push({ kind: 'ident', text: m[0], line });
      i += m[0].length;
    } else if (/[-+0-9.]/.test(c)) {
      const m = /^[-+]?[0-9A-Za-z_.+-]*/.exec(text.slice(i, i + 256))!;
      tokens.push({ kind: 'number', text: m[0], line });
      i += m[0].length;
    } else {
      fail(fileName, `line ${line}`, `unexpected character ${JSON.stringify(c)}`);
    }
  }
  return tokens;
}

/**
 * Parses label-map text. `fileName` only labels error messages, which name the line:
 * `labels.pbtxt: line 9: duplicate class id 3 (first on line 2)`.
 */
export function parseLabelMap(text: string, fileName: string): LabelMap {
  // A UTF-8 BOM (editors on Windows add one) is not part of the text.
  const tokens = tokenize(stripBom(text), fileName);
  const entries: [number, string][] = [];
  const idLine = new Map<number, number>();
  const nameLine = new Map<string, number>();
  let p = 0;
  const peek = (): Token | undefined => tokens[p];
  const lastLine = (): number => tokens[tokens.length - 1]?.line ?? 1;
  const expectPunct = (ch: '{' | '}' | ':', what: string): Token => {
    const t = tokens[p];
    if (!t || t.kind !== 'punct' || t.text !== ch) fail(fileName, `line ${t?.line ?? lastLine()}`, `expected '${ch}' ${what}, got ${t ? JSON.stringify(t.text) : 'end of file'}`);
    p++;
    return t;
  };
  // Skips one field value (scalar or nested block) after its name, for fields we do not use.
  const skipValue = (): void => {
    const t = peek();
    if (t?.kind === 'punct' && t.text === ':') p++;
    const v = tokens[p];
    if (!v) fail(fileName, `line ${lastLine()}`, 'unexpected end of file');
    if (v.kind === 'punct' && v.text === '{') {
      let depth = 0;
      do {
        const u = tokens[p++];
        if (!u) fail(fileName, `line ${lastLine()}`, "unbalanced '{'");
        if (u.kind === 'punct' && u.text === '{') depth++;
        else if (u.kind === 'punct' && u.text === '}') depth--;
      } while (depth > 0);
    } else if (v.kind === 'punct') {
      fail(fileName, `line ${v.line}`, `unexpected '${v.text}'`);
    } else {
      p++;
    }
  };

  while (p < tokens.length) {
    const t = tokens[p]!;
    if (t.kind !== 'ident' || t.text !== 'item') fail(fileName, `line ${t.line}`, `expected 'item {', got ${JSON.stringify(t.text)}`);
    const itemLine = t.line;
    p++;
    if (peek()?.kind === 'punct' && peek()!.text === ':') p++;
    expectPunct('{', "after 'item'");
    let name: string | undefined;
    let displayName: string | undefined;
    let id: number | undefined;
    let idTokLine = itemLine;
    for (;;) {
      const f = tokens[p];
      if (!f) fail(fileName, `line ${lastLine()}`, `item opened on line ${itemLine} is not closed with '}'`);
      if (f.kind === 'punct' && f.text === '}') {
        p++;
        break;
      }
      if (f.kind !== 'ident') fail(fileName, `line ${f.line}`, `expected a field name, got ${JSON.stringify(f.text)}`);
      p++;
      if (f.text === 'name' || f.text === 'display_name') {
        expectPunct(':', `after '${f.text}'`);
        const v = tokens[p];
        if (!v || v.kind !== 'string') fail(fileName, `line ${v?.line ?? f.line}`, `${f.text}: expected a quoted string`);
        p++;
        if (f.text === 'name') name = v.text;
        else displayName = v.text;
      } else if (f.text === 'id' || f.text === 'label_id') {
        expectPunct(':', `after '${f.text}'`);
        const v = tokens[p];
        if (!v || v.kind !== 'number' || !/^[+-]?[0-9]+$/.test(v.text)) fail(fileName, `line ${v?.line ?? f.line}`, `${f.text}: expected an integer, got ${v ? JSON.stringify(v.text) : 'end of file'}`);
        p++;
        id = Number(v.text);
        idTokLine = v.line;
      } else {
        skipValue();
      }
    }
    const itemName = name ?? displayName;
    if (id === undefined) fail(fileName, `line ${itemLine}`, "item has no 'id'");
    if (itemName === undefined) fail(fileName, `line ${itemLine}`, "item has no 'name'");
    if (!Number.isSafeInteger(id) || id < 1) fail(fileName, `line ${idTokLine}`, `class id ${id} must be a positive integer (AVA classes are 1-indexed)`);
    const firstId = idLine.get(id);
    if (firstId !== undefined) fail(fileName, `line ${idTokLine}`, `duplicate class id ${id} (first on line ${firstId})`);
    const firstName = nameLine.get(itemName);
    if (firstName !== undefined) fail(fileName, `line ${itemLine}`, `duplicate class name "${itemName}" (first on line ${firstName})`);
    idLine.set(id, idTokLine);
    nameLine.set(itemName, itemLine);
    entries.push([id, itemName]);
  }
  if (entries.length === 0) fail(fileName, undefined, 'label map has no items (expected item { name: "..." id: N })');
  return makeLabelMap(entries, fileName);
}
