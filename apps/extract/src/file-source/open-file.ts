import type { BrapiSchemas } from '@lake/brapi';
import type { DatasetContract, FileSourceContract, StagedViolation } from '@lake/contracts';
import { openBrapi } from './brapi-reader.js';
import { openDelimited } from './delimited-reader.js';
import { openGenotype } from './genotype-reader.js';
import { openJson } from './json-reader.js';
import type { OpenedFile, StagedRecord } from './staged-record.js';

type FileContract = DatasetContract & { source: FileSourceContract };

/**
 * Opens one raw file with the reader of its contract's format. Every record of the file comes out
 * as one staged record (clean, or carrying its located errors); a file that cannot be read at all
 * throws `FileRejectedError` naming the file and the place.
 */
export async function openFile(contract: FileContract, bytes: AsyncIterable<Uint8Array>, file: string, brapiSchemas: () => Promise<BrapiSchemas>): Promise<OpenedFile> {
  const opened = await (async () => {
    switch (contract.source.format) {
      case 'delimited':
        return openDelimited(bytes, contract, file);
      case 'json':
        return openJson(bytes, contract, file);
      case 'brapi':
        return openBrapi(bytes, contract, await brapiSchemas(), file);
      case 'genotype':
        return openGenotype(bytes, contract, file);
    }
  })();
  return { ...opened, records: uniqueKeys(contract, opened.records) };
}

/** Repeats of the key within one file are quarantined when the contract asks for unique keys. */
export async function* uniqueKeys(contract: FileContract, records: AsyncIterable<StagedRecord>): AsyncGenerator<StagedRecord> {
  if (!contract.source.unique) {
    yield* records;
    return;
  }
  const seen = new Map<string, number>();
  const key = contract.source.key;
  for await (const r of records) {
    // A missing key part is the `required` rule's to report, not a repeat.
    if (r.errors.length === 0 && key.every((k) => r.values[k] !== null && r.values[k] !== undefined)) {
      const text = JSON.stringify(key.map((k) => r.values[k] ?? null), (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
      const first = seen.get(text);
      if (first === undefined) seen.set(text, r.line);
      else {
        const violation: StagedViolation = { column: key[0] as string, rule: 'unique', raw: text, message: `line ${r.line}: key ${key.join(', ')} = ${text} repeats line ${first}` };
        r.errors.push(violation);
      }
    }
    yield r;
  }
}
