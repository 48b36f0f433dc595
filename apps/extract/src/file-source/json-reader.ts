import { type BrapiIssue, type JsonElement, scanJsonElements } from '@lake/brapi';
import type { DatasetContract, FileSourceContract, StagedViolation } from '@lake/contracts';
import { readLines } from '@lake/genotype-formats';
import { type RecordTyper, delimitedFieldSpecs, recordTyper } from './delimited-reader.js';
import { FileRejectedError, describePlace } from './file-rejected-error.js';
import type { AppliedConversion, OpenedFile, StagedRecord } from './staged-record.js';

type FileContract = DatasetContract & { source: FileSourceContract };

/** Distinct key sets whose typers are kept at once. */
const MAX_KEY_SETS = 256;

/** Names that make a file line-delimited JSON: one object per line, each read on its own. */
const LINE_DELIMITED = /\.(ndjson|jsonl)$/i;

/**
 * The cell text of a JSON value, for the same cell parsers a CSV cell goes through: strings as
 * they are, numbers and booleans as JSON writes them, null as the empty (missing) cell, objects
 * and arrays as JSON text (what a `json` field stores; any other type rejects it as a cell).
 */
function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/**
 * Types JSON objects as records with a header: an object's keys are its header (names,
 * synonyms and units in brackets resolve as in a CSV header), its values the cells. Objects that
 * share their keys share one typer. Keys that cannot serve the contract (a required field with no
 * key, two keys for one field) make that object's record an error, not the file's: objects of one
 * file need not agree.
 */
class ObjectTyper {
  readonly conversions: AppliedConversion[] = [];
  private readonly typers = new Map<string, RecordTyper | StagedViolation>();

  constructor(
    private readonly contract: FileContract,
    private readonly file: string,
  ) {}

  type(text: string, line: number): StagedRecord {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      // Kept as a JSON string: the staged record column holds JSON text.
      return failed(line, { column: '(record)', rule: 'json-syntax', raw: clip(text), message: `line ${line}: ${(err as Error).message}` }, JSON.stringify(text));
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
      return failed(line, { column: '(record)', rule: 'not-an-object', raw: clip(text), message: `line ${line}: a record must be a JSON object, this is ${kind}` }, text);
    }
    const entries = Object.entries(value as Record<string, unknown>);
    const keys = entries.map(([k]) => k);
    const header = JSON.stringify({ cells: keys, decimal: '.' });
    let typer = this.typers.get(header);
    if (!typer) {
      // Objects of one file usually share their keys; a file whose objects all differ must not
      // grow the cache without bound.
      if (this.typers.size >= MAX_KEY_SETS) this.typers.clear();
      try {
        typer = recordTyper(this.contract, keys, '.', this.file, line);
        for (const c of typer.conversions) if (!this.conversions.some((x) => x.column === c.column && x.field === c.field)) this.conversions.push(c);
      } catch (err) {
        if (!(err instanceof FileRejectedError)) throw err;
        const detail = err.message.slice(`${describePlace(err.place)}: ${err.place.rule}: `.length);
        // A missing required field is named in the message only ("… required field <name> …").
        const field = err.place.field ?? /required field ([a-z][a-z0-9_]*)/.exec(detail)?.[1] ?? '(keys)';
        typer = { column: field, rule: err.place.rule, raw: null, message: `keys ${JSON.stringify(keys)}: ${detail}` };
      }
      this.typers.set(header, typer);
    }
    const cells = entries.map(([, v]) => cellText(v));
    if ('type' in typer) return typer.type(cells, line);
    return failed(line, { ...typer, raw: clip(text), message: `line ${line}: ${typer.message}` }, JSON.stringify(cells), header);
  }
}

function failed(line: number, violation: StagedViolation, record: string | null, header: string | null = null): StagedRecord {
  return { line, values: {}, errors: [violation], record, header };
}

const clip = (text: string) => (text.length > 4096 ? text.slice(0, 4096) : text);

/**
 * Opens a JSON file of records: an array of objects, a BrAPI-style `{ "result": { "data": [...] } }`
 * envelope, a map of objects, or one object; `.ndjson`/`.jsonl` files hold one object per line.
 * Each object is one record, typed like a CSV row whose header is its keys (see `ObjectTyper`).
 * A document that is not JSON rejects the file at the located byte; in a line-delimited file a
 * bad line is that record's error and the other lines load.
 */
export async function openJson(bytes: AsyncIterable<Uint8Array>, contract: FileContract, file: string): Promise<OpenedFile> {
  const typer = new ObjectTyper(contract, file);
  async function* records(): AsyncGenerator<StagedRecord> {
    if (LINE_DELIMITED.test(file)) {
      // Lines are decoded one by one, so a bad line stays that line's problem.
      for await (const l of readLines(bytes)) {
        if (l.invalidUtf8) {
          yield failed(l.line, { column: '(record)', rule: 'encoding', raw: '', message: `line ${l.line}: the line is not valid UTF-8 (JSON files are UTF-8)` }, null);
          continue;
        }
        if (l.text.trim() === '') continue;
        yield typer.type(l.text, l.line);
      }
      return;
    }
    for await (const item of scanJsonElements(bytes) as AsyncGenerator<JsonElement | BrapiIssue>) {
      if (item.kind === 'error') throw new FileRejectedError({ file, line: item.line, column: item.column, rule: item.rule }, item.message);
      yield typer.type(item.text, item.line);
    }
  }
  return { fields: delimitedFieldSpecs(contract), records: records(), conversions: typer.conversions };
}
