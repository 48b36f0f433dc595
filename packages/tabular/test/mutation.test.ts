/**
 * Robustness: 1000 mutations of a real file (byte flips, truncations, delimiter swaps, NULs,
 * re-encodings, quote insertions). The reader never throws, and each record is either a row as
 * wide as the header or a located error.
 */
import { describe, expect, it } from 'vitest';
import { readAll, prng, referenceBytes } from './helpers.js';

const SOURCES = ['phenotype/fieldbook_phenotype_file_no_fieldbook_image.csv', 'climate/nasapower_daily_ag_point.csv', 'trait-ontology/file_some_null_rows.csv'];

function mutate(original: Uint8Array, random: () => number): { bytes: Uint8Array; how: string } {
  const bytes = original.slice();
  const at = () => Math.floor(random() * bytes.length);
  switch (Math.floor(random() * 7)) {
    case 0: {
      for (let i = 0; i < 1 + Math.floor(random() * 8); i++) bytes[at()] = Math.floor(random() * 256);
      return { bytes, how: 'byte flips' };
    }
    case 1:
      return { bytes: bytes.subarray(0, at()), how: 'truncation' };
    case 2: {
      const [from, to] = [',', ';', '\t', '|', '"', '\n'].sort(() => random() - 0.5).map((c) => c.charCodeAt(0));
      for (let i = 0; i < bytes.length; i++) if (bytes[i] === from && random() < 0.5) bytes[i] = to as number;
      return { bytes, how: 'delimiter swap' };
    }
    case 3: {
      bytes[at()] = 0;
      return { bytes, how: 'NUL' };
    }
    case 4: {
      // Re-encode as UTF-16 LE with BOM, sometimes with an odd byte cut off.
      const text = new TextDecoder().decode(bytes);
      const out = new Uint8Array(2 + text.length * 2);
      out.set([0xff, 0xfe]);
      for (let i = 0; i < text.length; i++) new DataView(out.buffer).setUint16(2 + i * 2, text.charCodeAt(i), true);
      return { bytes: random() < 0.5 ? out : out.subarray(0, out.length - 1), how: 'utf-16' };
    }
    case 5: {
      const i = at();
      const out = new Uint8Array(bytes.length + 1);
      out.set(bytes.subarray(0, i));
      out[i] = 0x22;
      out.set(bytes.subarray(i), i + 1);
      return { bytes: out, how: 'stray quote' };
    }
    default: {
      bytes[at()] = 0xe9; // Latin-1 é inside UTF-8
      return { bytes, how: 'latin-1 byte' };
    }
  }
}

describe('mutated input', () => {
  it('1000 mutations: never throws, every record is a full-width row or a located error', async () => {
    const random = prng(20240611);
    const rules = new Map<string, number>();
    for (let i = 0; i < 1000; i++) {
      const source = SOURCES[i % SOURCES.length] as string;
      const { bytes, how } = mutate(referenceBytes(source), random);
      const context = `mutation ${i} (${how}) of ${source}`;
      const result = await readAll([bytes]).catch((error: unknown) => {
        throw new Error(`${context} threw: ${error}`);
      });
      const width = result.table.header?.cells.length ?? 0;
      for (const e of result.table.headerErrors) expect(e.line, context).toBeGreaterThanOrEqual(1);
      for (const record of result.records) {
        if (record.kind === 'row') {
          expect(record.fields, context).toHaveLength(width);
          expect(record.line, context).toBeGreaterThan(result.table.header?.line ?? 0);
        } else {
          expect(record.line, context).toBeGreaterThanOrEqual(1);
          expect(record.rule, context).toMatch(/^[a-z-]+$/);
          expect(record.message.length, context).toBeGreaterThan(0);
          expect(typeof record.raw, context).toBe('string');
          rules.set(record.rule, (rules.get(record.rule) ?? 0) + 1);
        }
      }
    }
    // The mutations reach the interesting paths.
    expect([...rules.keys()].sort()).toEqual(expect.arrayContaining(['binary-content', 'ragged-row', 'unterminated-quote']));
  });
});
