import { describe, expect, it } from 'vitest';
import { sniffDialect, sniffEncoding } from '../src/index.js';
import { readAll, readText, utf8 } from './helpers.js';

const latin1 = (text: string) => new Uint8Array([...text].map((c) => c.charCodeAt(0)));
const utf16 = (text: string, littleEndian: boolean) => {
  const out = new Uint8Array(2 + text.length * 2);
  out.set(littleEndian ? [0xff, 0xfe] : [0xfe, 0xff]);
  const view = new DataView(out.buffer);
  for (let i = 0; i < text.length; i++) view.setUint16(2 + i * 2, text.charCodeAt(i), littleEndian);
  return out;
};

describe('encoding', () => {
  it('UTF-8 with and without BOM', () => {
    expect(sniffEncoding(utf8('a,b'))).toEqual({ encoding: 'utf-8', bom: false, bomLength: 0 });
    expect(sniffEncoding(new Uint8Array([0xef, 0xbb, 0xbf, 0x61]))).toEqual({ encoding: 'utf-8', bom: true, bomLength: 3 });
  });

  it('a multi-byte character cut at the end of the sample is still UTF-8', () => {
    expect(sniffEncoding(utf8('Tmean[°').subarray(0, 7)).encoding).toBe('utf-8');
    expect(sniffEncoding(utf8('Tmean[°').subarray(0, 7), true).encoding).toBe('windows-1252');
  });

  it('Windows-1252 fallback decodes Latin-1 text', async () => {
    const { table, records } = await readAll([latin1('Sorte;Höhe (cm);Temp [°C]\r\nMüller;12,5;21,3\r\n')]);
    expect(table.dialect).toMatchObject({ encoding: 'windows-1252', delimiter: ';', decimalSeparator: ',', lineEnding: 'CRLF' });
    expect(table.header?.cells).toEqual(['Sorte', 'Höhe (cm)', 'Temp [°C]']);
    expect(records).toEqual([{ kind: 'row', line: 2, fields: ['Müller', '12,5', '21,3'] }]);
  });

  it('UTF-16 LE and BE by BOM', async () => {
    for (const le of [true, false]) {
      const { table, records } = await readAll([utf16('plot\tTmean[°C]\n1\t5,5\n', le)]);
      expect(table.dialect).toMatchObject({ encoding: le ? 'utf-16le' : 'utf-16be', bom: true, delimiter: '\t', decimalSeparator: ',' });
      expect(table.header?.cells).toEqual(['plot', 'Tmean[°C]']);
      expect(records).toEqual([{ kind: 'row', line: 2, fields: ['1', '5,5'] }]);
    }
  });
});

describe('dialect', () => {
  it.each([
    [',', 'a,b,c\n1,2,3\n4,5,6\n'],
    [';', 'a;b;c\n1,5;2,5;3,5\n4,5;5,5;6,5\n'],
    ['\t', 'a\tb, c\tc\n1\t2\t3\n'],
    ['|', 'a|b|c\n1|2|3\n'],
  ])('delimiter %j', (delimiter, text) => {
    expect(sniffDialect(text, { complete: true }).delimiter).toBe(delimiter);
  });

  it('a ;-file with decimal commas splits on ; and reads decimals with ,', () => {
    expect(sniffDialect('a;b\n12,5;3\n1,25;4\n', { complete: true })).toMatchObject({ delimiter: ';', decimalSeparator: ',', headerLine: 1 });
  });

  it('US thousands in a comma file are not decimal commas', () => {
    expect(sniffDialect('a,b\n"1,234",2.5\n"2,000",3.5\n', { complete: true }).decimalSeparator).toBe('.');
  });

  it("single-quoted fields", () => {
    expect(sniffDialect("a,b\n'x,1',2\n'y,2',3\n", { complete: true })).toMatchObject({ delimiter: ',', quote: "'" });
  });

  it('prose lines above the header are a preamble', async () => {
    const { table, records } = await readText('Trial report\nExported by FieldLab, 2020\n\nplot,height,yield\n1,2,3\n4,5,6\n');
    expect(table.dialect).toMatchObject({ headerLine: 4, preambleLines: 3, preambleKind: 'prose' });
    expect(records.map((r) => r.kind === 'row' && r.line)).toEqual([5, 6]);
  });

  it('a preamble quote does not swallow the table (lines are skipped as text)', async () => {
    const { table, rows } = await readText('-BEGIN HEADER-\nSite "A\n-END HEADER-\nx,y\n1,2\n');
    expect(table.header?.cells).toEqual(['x', 'y']);
    expect(rows).toBe(1);
  });

  it('line endings', () => {
    expect(sniffDialect('a,b\r1,2\r', { complete: true }).lineEnding).toBe('CR');
    expect(sniffDialect('a,b\r\n1,2\n', { complete: true })).toMatchObject({ lineEnding: 'CRLF', mixedLineEndings: true });
  });
});
