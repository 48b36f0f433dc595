import { describe, expect, it } from 'vitest';
import { RecordParser } from '../src/index.js';
import { readAll, readText, utf8 } from './helpers.js';

const tokenize = (text: string, delimiter = ',') => {
  const parser = new RecordParser({ delimiter });
  return [...parser.push(text), ...parser.end()];
};

describe('RecordParser', () => {
  it('reads quoted fields with delimiters, newlines and doubled quotes; lines are physical', () => {
    const records = tokenize('a,b,c\r\n"x,1","two\nlines","say ""hi"""\r\nlast,"",z');
    expect(records.map((r) => [r.line, r.fields])).toEqual([
      [1, ['a', 'b', 'c']],
      [2, ['x,1', 'two\nlines', 'say "hi"']],
      [4, ['last', '', 'z']],
    ]);
  });

  it('treats LF, CRLF and lone CR alike and skips blank lines', () => {
    expect(tokenize('a\rb\r\n\r\nc\n\n  \nd').map((r) => [r.line, r.fields[0]])).toEqual([
      [1, 'a'],
      [2, 'b'],
      [4, 'c'],
      [7, 'd'],
    ]);
  });

  it('keeps a quote inside an unquoted field as text', () => {
    expect(tokenize('5" pot,x')[0]?.fields).toEqual(['5" pot', 'x']);
  });

  it('reports text after a closing quote, and NUL bytes, at their column', () => {
    const [quote, binary] = tokenize('a,"b"c\nx,y\u0000z\n');
    expect(quote?.problem).toMatchObject({ rule: 'invalid-quote', column: 2 });
    expect(binary?.problem).toMatchObject({ rule: 'binary-content', column: 2 });
  });

  it('reports an unterminated quote at EOF at the line it opened', () => {
    const records = tokenize('a,b\n1,"open\nstill open');
    expect(records[1]).toMatchObject({ line: 2, problem: { rule: 'unterminated-quote', column: 2 } });
  });

  it('caps a runaway record and resumes at the next line', () => {
    const parser = new RecordParser({ delimiter: ',', maxRecordChars: 10 });
    const out = [...parser.push('a,b\n"xxxxxxxxxxxxxxxxxxxxx'), ...parser.push('yyy\nc,d\n'), ...parser.end()];
    expect(out.map((r) => [r.line, r.problem?.rule ?? r.fields.join('|')])).toEqual([
      [1, 'a|b'],
      [2, 'record-too-large'],
      [3, 'c|d'],
    ]);
  });

  it('throws on programmer errors only', () => {
    expect(() => new RecordParser({ delimiter: ',,' })).toThrow(TypeError);
    expect(() => new RecordParser({ delimiter: '"' })).toThrow(TypeError);
  });
});

describe('openTable: record quirks as located values', () => {
  it('zero-byte file', async () => {
    const { table, records } = await readAll([]);
    expect(table.header).toBeNull();
    expect(table.headerErrors).toEqual([{ kind: 'error', line: 1, rule: 'empty-file', message: 'the file is empty (0 bytes)', raw: '' }]);
    expect(records).toEqual([]);
  });

  it('only blank lines: no header', async () => {
    const { table } = await readText('\n\r\n   \n');
    expect(table.headerErrors.map((e) => e.rule)).toEqual(['no-header']);
  });

  it('binary garbage', async () => {
    const bytes = new Uint8Array(4000).map((_, i) => (i % 3 === 0 ? 0 : (i * 37) % 256));
    const { table, records } = await readAll([bytes]);
    expect(table.headerErrors.map((e) => e.rule)).toEqual(['binary-file']);
    expect(records).toEqual([]);
  });

  it('ragged rows are located errors, a trailing delimiter is not', async () => {
    const { records } = await readText('a,b,c\n1,2,3,\n1,2\n1,2,3,4\n1,2,3\n');
    expect(records.map((r) => (r.kind === 'row' ? r.fields.join('|') : `${r.line}:${r.column}:${r.rule}`))).toEqual([
      '1|2|3',
      '3:3:ragged-row',
      '4:4:ragged-row',
      '1|2|3',
    ]);
    const error = records[1];
    expect(error).toMatchObject({ message: 'record has 2 fields, the header has 3: c and after are missing', raw: '1,2' });
  });

  it('ragged short rows can be padded instead', async () => {
    const { records } = await readText('a,b,c\n1,2\n', { raggedRows: 'pad' });
    expect(records).toEqual([{ kind: 'row', line: 2, fields: ['1', '2', ''] }]);
  });

  it('duplicate and empty header names', async () => {
    const { table } = await readText('plot,Plot,,value\n1,2,3,4\n');
    expect(table.headerErrors.map((e) => [e.line, e.column, e.rule])).toEqual([
      [1, 2, 'duplicate-header'],
      [1, 3, 'empty-header'],
    ]);
  });

  it('BOM and an unterminated quote at EOF', async () => {
    const { table, records } = await readAll([new Uint8Array([0xef, 0xbb, 0xbf]), utf8('id,name\n1,"Ann\n2,Bob\n')]);
    expect(table.header?.cells).toEqual(['id', 'name']);
    expect(records).toEqual([
      { kind: 'error', line: 2, column: 2, rule: 'unterminated-quote', message: 'quote opened in field 2 is never closed', raw: '1,"Ann\n2,Bob\n' },
    ]);
  });
});
