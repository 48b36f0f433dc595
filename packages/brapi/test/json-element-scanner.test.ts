/**
 * The incremental scanner: identical entities whatever the chunking, every payload shape, and
 * malformed input as one located issue (never an exception).
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type BrapiIssue, type JsonElement, JsonElementScanner, scanJsonElements } from '../src/index.js';
import { EXAMPLES_DIR, chunked, collect, exampleBytes } from './helpers.js';

const encoder = new TextEncoder();

function scan(payload: string | Uint8Array, size = Number.POSITIVE_INFINITY, shape?: 'map' | 'single' | 'array' | 'envelope') {
  const bytes = typeof payload === 'string' ? encoder.encode(payload) : payload;
  const scanner = new JsonElementScanner(shape ? { shape } : {});
  const out: Array<JsonElement | BrapiIssue> = [];
  for (const chunk of size === Number.POSITIVE_INFINITY ? [bytes] : chunked(bytes, size)) out.push(...scanner.push(chunk));
  out.push(...scanner.end());
  return out;
}

/** What the scanner should find, computed from the whole document with JSON.parse. */
function expectedElements(doc: unknown): unknown[] {
  if (Array.isArray(doc)) return doc;
  const object = doc as Record<string, unknown>;
  if ('result' in object) {
    const result = object.result as Record<string, unknown> | unknown[] | null;
    if (Array.isArray(result)) return result;
    if (result === null || typeof result !== 'object') return [];
    return 'data' in result ? ((result.data as unknown[] | null) ?? []) : [result];
  }
  const values = Object.values(object);
  return values.length > 0 && values.every((v) => v !== null && typeof v === 'object' && !Array.isArray(v)) ? values : [object];
}

const allExamples = readdirSync(EXAMPLES_DIR).sort();

describe('JsonElementScanner', () => {
  it('finds the same entities as JSON.parse in all 281 spec examples', () => {
    expect(allExamples).toHaveLength(281);
    for (const file of allExamples) {
      const bytes = exampleBytes(file);
      const found = scan(bytes);
      expect(found.filter((f) => f.kind === 'error'), file).toEqual([]);
      expect(found.map((f) => JSON.parse((f as JsonElement).text)), file).toEqual(expectedElements(JSON.parse(new TextDecoder().decode(bytes))));
    }
  });

  it('yields identical entities and positions for 1..7-byte chunks', () => {
    for (const file of allExamples) {
      const bytes = exampleBytes(file);
      const whole = scan(bytes);
      for (let size = 1; size <= 7; size++) expect(scan(bytes, size), `${file} in ${size}-byte chunks`).toEqual(whole);
    }
  });

  it('keeps multi-byte UTF-8 intact when a chunk boundary splits a character', () => {
    const payload = '[{"germplasmName": "Ñandú – 稲 🌾"}, {"k\\u00e9y": "\\"q\\""}]';
    const whole = scan(payload);
    expect(whole.map((e) => JSON.parse((e as JsonElement).text))).toEqual([{ germplasmName: 'Ñandú – 稲 🌾' }, { kéy: '"q"' }]);
    for (let size = 1; size <= 7; size++) expect(scan(payload, size)).toEqual(whole);
  });

  it('gives each entity its index, byte offset, line and column', () => {
    const payload = '{\n  "metadata": {},\n  "result": {\n    "data": [\n      {"a": 1},\n      {"b": [2, 3]}\n    ]\n  }\n}';
    expect(scan(payload)).toEqual([
      { kind: 'element', index: 0, offset: payload.indexOf('{"a"'), line: 5, column: 7, text: '{"a": 1}', shape: 'envelope' },
      { kind: 'element', index: 1, offset: payload.indexOf('{"b"'), line: 6, column: 7, text: '{"b": [2, 3]}', shape: 'envelope' },
    ]);
  });

  it('reads every payload shape', () => {
    const texts = (items: Array<JsonElement | BrapiIssue>) => items.map((i) => (i.kind === 'element' ? [i.shape, i.key ?? null, i.text] : i.message));
    expect(texts(scan('[]'))).toEqual([]);
    expect(texts(scan('{"metadata":{},"result":{"data":[]}}'))).toEqual([]);
    expect(texts(scan('{"metadata":{},"result":null}'))).toEqual([]);
    expect(texts(scan('{"result":[{"x":1}]}'))).toEqual([['envelope', null, '{"x":1}']]);
    expect(texts(scan('{"a":{"x":1},"b":{"x":2}}'))).toEqual([
      ['map', 'a', '{"x":1}'],
      ['map', 'b', '{"x":2}'],
    ]);
    expect(texts(scan('{"a":{"x":1},"b":2}'))).toEqual([['single', null, '{"a":{"x":1},"b":2}']]);
    expect(texts(scan('{"a":{"x":1}}', undefined, 'single'))).toEqual([['single', null, '{"a":{"x":1}}']]);
    expect(texts(scan('{"a\\/b":{"x":1}}', 3, 'map'))).toEqual([['map', 'a/b', '{"x":1}']]);
    expect(texts(scan('\uFEFF[{"x":1}]', 1))).toEqual([['array', null, '{"x":1}']]);
  });

  it('reports truncated JSON at its end, without throwing, after the complete entities', async () => {
    const bytes = exampleBytes('BrAPI-Phenotyping__PUT_observations__Request.json');
    const cut = bytes.subarray(0, 900);
    const lastLine = new TextDecoder().decode(cut).split('\n').length;
    for (let size = 1; size <= 7; size++) {
      // `shape: 'map'` streams map members; `auto` would hold the whole root object.
      const items = await collect(scanJsonElements(chunked(cut, size), { shape: 'map' }));
      expect(items.map((i) => i.kind)).toEqual(['element', 'error']);
      expect(items[1]).toMatchObject({ kind: 'error', rule: 'json-syntax', index: 1, offset: 900, line: lastLine });
      expect((items[1] as BrapiIssue).message).toMatch(/truncated \(entity 1 starts at line 27\)/);
    }
    const auto = await collect(scanJsonElements([cut]));
    expect(auto).toEqual([expect.objectContaining({ kind: 'error', rule: 'json-syntax', offset: 900 })]);
  });

  it.each([
    ['[{"a": 1,}]', 1, 10, 'expected a member name'],
    ['[{"a": 1} {"b": 2}]', 1, 11, 'expected "," or "]"'],
    ['[{"a": tru}]', 1, 11, 'expected "true"'],
    ['[{"a": 01}]', 1, 9, 'expected "," or "}"'],
    ['[{"a": 1.}]', 1, 10, 'invalid number'],
    ['[{"a": "x\ny"}]', 1, 10, 'control character'],
    ['[{"a": "\\x"}]', 1, 10, 'invalid escape'],
    ['[\n  {"a": 1}\n]\n]', 4, 1, 'after the end of the payload'],
    ['  ', 1, 3, 'empty payload'],
  ])('locates malformed JSON %j at line %i column %i', async (payload, line, column, message) => {
    const items = await collect(scanJsonElements([payload]));
    const issue = items.at(-1) as BrapiIssue;
    expect(issue).toMatchObject({ kind: 'error', line, column });
    expect(issue.message).toContain(message);
  });

  it('stops after the first syntax error', () => {
    const scanner = new JsonElementScanner();
    expect(scanner.push('[{"a":1}, x').map((i) => i.kind)).toEqual(['element', 'error']);
    expect(scanner.push(', {"b": 2}]')).toEqual([]);
    expect(scanner.end()).toEqual([]);
  });

  it('reports invalid UTF-8 inside an entity as an encoding issue', () => {
    const bytes = new Uint8Array([...encoder.encode('[{"a": "'), 0xff, ...encoder.encode('"}]')]);
    expect(scan(bytes)).toEqual([expect.objectContaining({ kind: 'error', rule: 'encoding', index: 0 })]);
  });
});
