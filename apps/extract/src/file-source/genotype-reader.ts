import { type ColumnSpec, type DatasetContract, type FileSourceContract, type LakeValue, PermanentError } from '@lake/contracts';
import { CALL_COLUMNS, parseGenotypeFile } from '@lake/genotype-formats';
import { FileRejectedError } from './file-rejected-error.js';
import type { OpenedFile, StagedRecord } from './staged-record.js';

type FileContract = DatasetContract & { source: FileSourceContract };

const CALLS = new Map<string, ColumnSpec>(CALL_COLUMNS.map((c) => [c.name, c]));

/** Staged types of the fields: each reads one long-form call column (`sample`, `genotype`, ...). */
export function genotypeFieldSpecs(contract: FileContract): ColumnSpec[] {
  return contract.fields.map((f) => {
    const c = CALLS.get(f.source);
    if (!c) throw new PermanentError(`contract of ${contract.dataset.name}: field ${f.name} reads "${f.source}", which is no genotype call column (${[...CALLS.keys()].join(', ')})`);
    return { name: f.name, type: c.type, nullable: true };
  });
}

/**
 * Opens a VCF, HapMap, DArTseq, dosage matrix or SNP table: every variant × sample cell becomes
 * one record — a long-form call, or a record carrying the cell's located error. A file that
 * matches no format, or yields no cell at all, is rejected.
 */
export async function openGenotype(bytes: AsyncIterable<Uint8Array>, contract: FileContract, file: string): Promise<OpenedFile> {
  const fields = genotypeFieldSpecs(contract);
  const name = file.slice(file.lastIndexOf('/') + 1);
  async function* records(): AsyncGenerator<StagedRecord> {
    let firstError: { line: number; rule: string; message: string } | undefined;
    for await (const event of parseGenotypeFile(bytes, { fileName: name })) {
      switch (event.kind) {
        case 'calls': {
          const cols = event.batch.columns;
          const line = cols.source_line as LakeValue[];
          for (let i = 0; i < event.batch.rowCount; i++) {
            const values: Record<string, LakeValue> = {};
            for (const f of contract.fields) values[f.name] = (cols[f.source] as LakeValue[] | undefined)?.[i] ?? null;
            yield { line: Number(line[i]), values, errors: [], record: null, header: null };
          }
          break;
        }
        case 'error': {
          if (event.rule === 'format-unknown') throw new FileRejectedError({ file, line: event.line, rule: event.rule }, event.message);
          firstError ??= event;
          if (event.sample === undefined) break;
          const values: Record<string, LakeValue> = {};
          for (const f of contract.fields) values[f.name] = f.source === 'sample' ? event.sample : null;
          const at = `line ${event.line}${event.column !== undefined ? `, column ${event.column}` : ''}, sample ${event.sample}`;
          yield { line: event.line, values, errors: [{ column: 'sample', rule: event.rule, raw: event.raw, message: `${at}: ${event.message}` }], record: null, header: null };
          break;
        }
        case 'summary':
          if (event.summary.cells === 0) {
            throw new FileRejectedError(
              { file, line: firstError?.line ?? 1, rule: firstError?.rule ?? 'no-calls' },
              firstError?.message ?? `no genotype calls in the ${event.summary.format} file`,
            );
          }
          break;
        default:
          break;
      }
    }
  }
  return { fields, records: records(), conversions: [] };
}
