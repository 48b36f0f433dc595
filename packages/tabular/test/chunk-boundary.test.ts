/** The same file in 1..7-byte chunks gives the same records as in one chunk. */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chunked, readAll, REFERENCE, referenceBytes, utf8 } from './helpers.js';

const files = ['phenotype', 'climate', 'trait-ontology'].flatMap((dir) => readdirSync(`${REFERENCE}/${dir}`).map((f) => `${dir}/${f}`));

describe('chunk boundaries', () => {
  for (const file of files) {
    it(file, async () => {
      const bytes = referenceBytes(file);
      const whole = await readAll([bytes]);
      for (const seed of [1, 2, 3]) {
        const pieces = await readAll(chunked(bytes, 1, 7, seed));
        expect(pieces.table.dialect).toEqual(whole.table.dialect);
        expect(pieces.table.header).toEqual(whole.table.header);
        expect(pieces.records).toEqual(whole.records);
      }
    });
  }

  it('CRLF, quotes, multi-byte UTF-8 and a BOM split at every byte', async () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...utf8('name,"Tmean[°C]"\r\n"a ""q""\r\nb",21,5\r\nc,"x,y"\r\n')]);
    const whole = await readAll([bytes]);
    const ones = await readAll(chunked(bytes, 1, 1));
    expect(ones.records).toEqual(whole.records);
    expect(whole.records).toEqual([
      { kind: 'error', line: 2, column: 3, rule: 'ragged-row', message: 'record has 3 fields, the header has 2: field 3 "5" has no column', raw: '"a ""q""\r\nb",21,5' },
      { kind: 'row', line: 4, fields: ['c', 'x,y'] },
    ]);
  });
});
