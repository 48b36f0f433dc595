/**
 * The contract's validation compiled to DuckDB SQL, for the rows SQL can decide alone.
 *
 * A staging file is read by DuckDB; each output field is a typed SQL expression with an `ok`
 * condition, and a row is accepted when every field is ok. `ok` is true only when RowValidator
 * would accept the value and produce exactly the same typed value: the same regular expressions
 * (RE2 runs them, no look-around needed), the same date and zone arithmetic, the same scale
 * rules (parsed by the same function, once per distinct scale text), the same reference sets.
 * Whatever SQL is unsure of — a malformed value, whitespace to trim, a two-digit year, a
 * non-ASCII `cast_by` value, a pattern (JavaScript regular expressions run on the distinct values
 * instead) — is left to RowValidator, which decides those rows exactly as it always did. SQL
 * therefore needs to be exact only where it says yes, and the two halves of a file
 * (`accepted`, `remaining`) are complementary by construction.
 *
 * A contract that uses something not compiled here (decimal casts, a float partition, ...) gets
 * no plan, and RowValidator handles all its rows.
 */
import { type ColumnSpec, type DatasetContract, FILE_STAGING, type FieldContract, type ParsedLakeType, outputColumns, parseLakeType } from '@lake/contracts';
import { duckdbType, duckdbIdentifier as ident, duckdbLiteral as lit, NativeSession } from '@lake/parquet';
import { type BoundScale, parseScale } from './row-validator.js';
import { DATE, INTEGER, NUMBER, TIMESTAMP, parseTimestampText } from './value-parsers.js';

const regex = (re: RegExp) => {
  if (re.flags !== '') throw new Error(`regular expression /${re.source}/${re.flags} has flags SQL would not apply`);
  return lit(re.source);
};
/**
 * TIMESTAMP's common full form — seconds, at most six fraction digits, an explicit `Z` or
 * `±hh[:]mm` zone — within the bounds its parts are checked against (year ≥ 100, hour ≤ 23,
 * minute and second ≤ 59, offset ≤ 18:00): text DuckDB's timestamp cast reads as the JavaScript
 * parser does, so such values are cast rather than taken apart.
 */
const FAST_TIMESTAMP = /^(?:[1-9]\d{3}|0[1-9]\d{2})-\d{2}-\d{2}[T ](?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,6})?(?:Z|[+-](?:(?:0\d|1[0-7]):?[0-5]\d|18:?00))$/;
/**
 * FAST_TIMESTAMP, the zone optional, or a date alone: for fields whose naive times are UTC, the
 * zone DuckDB's cast reads them in (the native writers' session zone).
 */
const FAST_TIMESTAMP_UTC = /^(?:[1-9]\d{3}|0[1-9]\d{2})-\d{2}-\d{2}(?:[T ](?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,6})?(?:Z|[+-](?:(?:0\d|1[0-7]):?[0-5]\d|18:?00))?)?$/;

const TRUE_WORDS = ['true', 't', 'yes', 'y', '1'];
const FALSE_WORDS = ['false', 'f', 'no', 'n', '0'];
const INTEGER_BASES = new Set(['int16', 'int32', 'int64']);
const NUMERIC_BASES = new Set(['int16', 'int32', 'int64', 'float32', 'float64']);
/** Partition values whose text is the same in SQL (`CAST … AS VARCHAR`) and in JavaScript (`String(v)`). */
const PARTITION_BASES = new Set(['int16', 'int32', 'int64', 'string', 'boolean']);

/** A lookup table joined to the staged rows; `key` names what it holds, so fields that read the same share it. */
interface LookupJoin {
  key: string;
  lookup: Lookup;
  on: (table: string) => string;
  /** The columns each field takes from it, given the join's alias. */
  columns: Array<(table: string) => string[]>;
}

/** A field's typed value and the condition under which RowValidator agrees with it. */
interface FieldSql {
  value: string;
  /** Evaluated only where the raw value is not null; may be NULL (read as "not sure"). */
  ok: string;
}

/** Why a contract has no plan: the first thing it uses that SQL does not mirror. */
export class Unplannable extends Error {}

/** Per-file lookup tables a plan reads, created before its queries run. */
interface Lookup {
  /** Builds the table from the staging file's distinct values; returns its name. */
  build(session: NativeSession, file: string): Promise<string>;
}

/** The queries over one slice of a staging file's rows. */
export interface SlicePlan {
  /** The accepted rows, as the output columns in their types, in staged order. */
  accepted: string;
  /** Every other staged row of the slice (all staging columns plus `file_row_number`), in staged order. */
  remaining: string;
  /** Drops the slice's work table. */
  drop(): Promise<void>;
}

export interface FilePlan {
  /** Rows in the staging file. */
  rows: number;
  /** The distinct partitions of rows `[from, to)` by their values (rejected rows too), as text `p0, p1, …`. */
  partitions(from: number, to: number): string;
  /**
   * The queries over rows `[from, to)` with no work table, `accepted` meant to be streamed into a
   * file: memory follows DuckDB's vectors, not the range. Each query checks the rows itself (a
   * table of the rejected rows' positions, to check them once, measured no faster: the accepted
   * rows' values need the same parsing). `accepted` keeps the staged order up to each 2,048-row
   * vector (a scale lookup's LEFT JOIN emits a vector's unmatched rows after its matched ones;
   * sorting would hold the range in memory); the same input gives the same order. `remaining`
   * is in staged order.
   */
  stream(from: number, to: number): { accepted: string; remaining: string };
  /**
   * The staged rows of `[from, to)` (as `remaining` gives them) whose key the local Parquet file
   * `written` (the accepted rows of the range, streamed) does not hold: the rest, found by an
   * anti-join on the key instead of checking every row again. Undefined when the contract's key
   * is not one required field copied unchanged from one staged column. A rejected row sharing an
   * accepted row's key would be missed: the caller compares counts (exact, as no accepted key is null).
   */
  remainingBesides(from: number, to: number, written: string): string | undefined;
  /** The queries over rows `[from, to)` (by position in the file). */
  slice(from: number, to: number): Promise<SlicePlan>;
  /** Drops the file's lookup tables. */
  drop(): Promise<void>;
}

export interface SqlPlanOptions {
  contract: DatasetContract;
  stagingColumns: ColumnSpec[];
  /** As RowValidator's: the referenced column's values of each foreign-key field, as text. */
  references?: ReadonlyMap<string, ReadonlySet<string>>;
  scales?: ReadonlyMap<string, BoundScale>;
}

/**
 * Compiles a contract for one staging schema. Throws `Unplannable` when the contract uses
 * something the SQL does not mirror; the caller then validates every row in JavaScript.
 */
export class SqlPlan {
  private readonly values: string[] = [];
  private readonly oks: string[] = [];
  /** Extra columns of the inner query (regex groups, scale bounds), computed once per row. */
  private readonly inner: string[] = [];
  /**
   * Two layers of columns over the inner query's: integers parsed from regex groups, then
   * conditions over them. Each is computed once per row, however often the SQL names it.
   */
  private readonly derived: [string[], string[]] = [[], []];
  /** Lookup tables joined to the staged rows. */
  private readonly joins: LookupJoin[] = [];
  /** Per-file tables named in the SQL by a token (`%LOOKUP<n>%`), replaced once built. */
  private readonly lookups: Array<{ token: string; lookup: Lookup }> = [];
  private readonly runTables: string[] = [];
  private readonly staged: Map<string, ParsedLakeType>;

  private constructor(
    private readonly opts: SqlPlanOptions,
    private readonly session: NativeSession,
  ) {
    this.staged = new Map(opts.stagingColumns.map((c) => [c.name, parseLakeType(c.type)]));
  }

  /** Compiles the plan and creates its run-wide tables (reference values). */
  static async create(opts: SqlPlanOptions, session: NativeSession): Promise<SqlPlan> {
    const plan = new SqlPlan(opts, session);
    try {
      await plan.compile();
      return plan;
    } catch (error) {
      await plan.close();
      throw error;
    }
  }

  /**
   * One local staging file: builds its lookup tables (from all its rows) and returns its row
   * count and the two queries over any slice of its rows.
   */
  async forFile(file: string): Promise<FilePlan> {
    const source = `read_parquet(${lit(file)}, file_row_number = true)`;
    const tables: string[] = [];
    const drop = async () => {
      for (const t of tables.splice(0)) await this.session.dropTable(t);
    };
    try {
      const joinSql: string[] = [];
      const joinCols: string[] = [];
      for (const [i, j] of this.joins.entries()) {
        const table = await j.lookup.build(this.session, file);
        tables.push(table);
        joinSql.push(`LEFT JOIN ${ident(table)} l${i} ON ${j.on(`l${i}`)}`);
        joinCols.push(...j.columns.flatMap((c) => c(`l${i}`)));
      }
      const named = new Map<string, string>();
      for (const { token, lookup } of this.lookups) {
        const table = await lookup.build(this.session, file);
        tables.push(table);
        named.set(token, ident(table));
      }
      const resolve = (sql: string) => sql.replace(/%LOOKUP\d+%/g, (token) => named.get(token) as string);
      const accept = resolve(`coalesce(${this.oks.map((o) => `(${o})`).join(' AND ') || 'TRUE'}, FALSE)`);
      const values = this.values.map((v, i) => `${v} AS "__v${i}"`);
      const out = outputColumns(this.opts.contract);
      const select = out.map((c, i) => `CAST(c."__v${i}" AS ${duckdbType(parseLakeType(c.type))}) AS ${ident(c.name)}`);
      const stagedCols = [...this.opts.stagingColumns.map((c) => `s.${ident(c.name)}`), 's.file_row_number'];
      const [count] = await this.session.rows(`SELECT count(*) AS n FROM read_parquet(${lit(file)})`);
      const rangeOf = (from: number, to: number) => `s.file_row_number >= ${Math.trunc(from)} AND s.file_row_number < ${Math.trunc(to)}`;
      /** The staged rows in `range` with the columns the checks and values read. */
      const innerOf = (range: string) =>
        this.derived.reduce(
          (q, layer) => (layer.length === 0 ? q : `SELECT i.*, ${layer.join(', ')} FROM (${q}) i`),
          `SELECT s.*${[...this.inner, ...joinCols].map((c) => `, ${c}`).join('')} FROM ${source} s ${joinSql.join(' ')} WHERE ${range}`,
        );
      const partitionFields = this.opts.contract.source.partition_by.map((name) => out.findIndex((c) => c.name === name));
      // Partition fields that copy a staged column unchanged are read from that column alone.
      const copied = partitionFields.map((i) => this.stagedCopy(out[i]?.name ?? ''));
      const fromStaged = copied.length > 0 && copied.every((c) => c !== undefined);
      return {
        rows: Number(count?.n ?? 0),
        partitions: (from, to) => {
          if (fromStaged) {
            return `SELECT DISTINCT ${copied.map((c, k) => `CAST(s.${ident(c)} AS VARCHAR) AS p${k}`).join(', ')} FROM ${source} s WHERE ${rangeOf(from, to)}`;
          }
          return `SELECT DISTINCT ${partitionFields.map((i, k) => `CAST(${this.values[i] as string} AS VARCHAR) AS p${k}`).join(', ') || '1'} FROM (${innerOf(rangeOf(from, to))}) x`;
        },
        stream: (from, to) => {
          const inner = innerOf(rangeOf(from, to));
          return {
            accepted: `SELECT ${select.join(', ')} FROM (SELECT ${accept} AS __accept, ${values.join(', ')} FROM (${inner}) x) c WHERE c.__accept`,
            remaining: `SELECT ${[...this.opts.stagingColumns.map((c) => `x.${ident(c.name)}`), 'x.file_row_number'].join(', ')} FROM (${inner}) x WHERE NOT ${accept} ORDER BY x.file_row_number`,
          };
        },
        remainingBesides: (from, to, written) => {
          const key = this.keyCopy();
          if (!key) return undefined;
          return `SELECT ${stagedCols.join(', ')} FROM ${source} s ANTI JOIN read_parquet(${lit(written)}) o ON o.${ident(key.field)} = s.${ident(key.staged)} WHERE ${rangeOf(from, to)} ORDER BY s.file_row_number`;
        },
        slice: async (from, to) => {
          const range = rangeOf(from, to);
          const inner = innerOf(range);
          // Every row is checked once, and its values computed (uncast: a rejected row's value may
          // not fit its type); the table holds just that, in staged order, not the staged row.
          const checked = NativeSession.tableName('lake_checked');
          await this.session.run(`CREATE TABLE ${ident(checked)} AS SELECT x.file_row_number, ${accept} AS __accept, ${values.join(', ')} FROM (${inner}) x ORDER BY x.file_row_number`);
          return {
            accepted: `SELECT ${select.join(', ')} FROM ${ident(checked)} c WHERE c.__accept`,
            remaining: `SELECT ${stagedCols.join(', ')} FROM ${source} s JOIN ${ident(checked)} c ON c.file_row_number = s.file_row_number WHERE ${range} AND NOT c.__accept ORDER BY s.file_row_number`,
            drop: () => this.session.dropTable(checked),
          };
        },
        drop,
      };
    } catch (error) {
      await drop();
      throw error;
    }
  }

  /** The required output field that holds the contract's single key column's staged value unchanged, if any. */
  private keyCopy(): { staged: string; field: string } | undefined {
    const { key } = this.opts.contract.source;
    if (key.length !== 1) return undefined;
    // A required field: no accepted row has a null key (which no anti-join matches), so when the
    // counts add up, no rejected row shares an accepted row's key and the rest is exact.
    const f = this.opts.contract.fields.find((x) => x.source === key[0] && !x.cast_by && !x.nullable);
    return f && this.stagedCopy(f.name) ? { staged: f.source, field: f.name } : undefined;
  }

  /** The staged column an output field's value is, unchanged (integers and text of the same type), if it is one. */
  private stagedCopy(name: string): string | undefined {
    const f = this.opts.contract.fields.find((x) => x.name === name);
    if (!f || f.cast_by || f.derive) return undefined;
    const staged = this.staged.get(f.source);
    if (!staged) return undefined;
    const target = parseLakeType(f.type);
    // Integers and text SQL passes on as they are (no trimming, no cast), so equal values are equal staged values.
    return staged.base === target.base && (INTEGER_BASES.has(target.base) || target.base === 'string') ? f.source : undefined;
  }

  /** Drops the run-wide tables. */
  async close(): Promise<void> {
    for (const t of this.runTables) await this.session.dropTable(t);
    this.runTables.length = 0;
  }

  private async compile(): Promise<void> {
    const { contract } = this.opts;
    const fields = new Map(contract.fields.map((f) => [f.name, f]));
    for (const name of contract.source.partition_by) {
      const f = fields.get(name);
      if (!f || !PARTITION_BASES.has(parseLakeType(f.type).base)) throw new Unplannable(`partition field ${name} is not an integer, string or boolean`);
    }
    for (const c of [...contract.fields.flatMap((f) => [f.source, f.cast_by, f.scale])]) {
      if (c && !this.staged.has(c)) throw new Unplannable(`staging lacks column ${c}`);
    }
    // Rows a file reader already found broken are RowValidator's.
    if (this.staged.has(FILE_STAGING.errors)) this.oks.push(`x.${ident(FILE_STAGING.errors)} IS NULL`);
    for (const [i, f] of contract.fields.entries()) {
      const { value, ok } = await this.field(f, i);
      this.values.push(value);
      this.oks.push(ok);
    }
  }

  /** The field's value and ok condition, row-wise as `RowValidator.fieldValue`. */
  private async field(f: FieldContract, i: number): Promise<FieldSql> {
    const target = parseLakeType(f.type);
    const stagedType = this.staged.get(f.source) as ParsedLakeType;
    const raw = `x.${ident(f.source)}`;
    const coerced = this.coerce(raw, stagedType, target, f, i);
    const v = coerced.value;
    const checks: string[] = [];
    if (!f.nullable) checks.push(`${v} IS NOT NULL`);
    if (f.minimum !== undefined || f.maximum !== undefined) {
      if (NUMERIC_BASES.has(target.base)) {
        if (f.minimum !== undefined) checks.push(`${v} IS NULL OR ${v} >= ${number(f.minimum)}`);
        if (f.maximum !== undefined) checks.push(`${v} IS NULL OR ${v} <= ${number(f.maximum)}`);
      } else if (target.base !== 'string' && target.base !== 'json' && target.base !== 'date' && target.base !== 'boolean') {
        throw new Unplannable(`${f.name}: a range on ${f.type}`);
      }
    }
    if (f.categories) checks.push(`${v} IS NULL OR list_contains(${textList(f.categories)}, ${asText(v, target, f)})`);
    if (f.pattern && (target.base === 'string' || target.base === 'json')) {
      if (stagedType.base !== 'string') throw new Unplannable(`${f.name}: a pattern on a non-text staged column`);
      const pattern = new RegExp(f.pattern, 'u');
      // Patterns need JavaScript's engine (look-around): it tests each distinct value once.
      const where = f.cast_by ? ` WHERE lower(${ident(f.cast_by)}) IN (${(f.when ?? []).map((w) => lit(w.toLowerCase())).join(', ') || 'NULL'})` : '';
      const token = `%LOOKUP${this.lookups.length}%`;
      this.lookups.push({ token, lookup: distinctLookup(`SELECT DISTINCT ${ident(f.source)} AS v FROM read_parquet(%FILE%)${where}`, (text) => pattern.test(text), 'lake_pattern') });
      checks.push(`${v} IS NULL OR ${v} IN (SELECT v FROM ${token})`);
    }
    if (f.scale) this.scaleChecks(f, i, target, v, checks);
    if (this.opts.scales?.has(f.name)) checks.push(`${v} IS NULL`);
    const ref = this.opts.references?.get(f.name);
    if (f.references && ref) {
      if (!INTEGER_BASES.has(target.base) && target.base !== 'string') throw new Unplannable(`${f.name}: a reference from ${f.type}`);
      const table = NativeSession.tableName('lake_ref');
      await this.session.textTable(table, ref);
      this.runTables.push(table);
      checks.push(`${v} IS NULL OR CAST(${v} AS VARCHAR) IN (SELECT v FROM ${ident(table)})`);
    }
    const ok = `${raw} IS NULL OR (${coerced.ok})`;
    const all = [ok, ...checks].map((c) => `(${c})`).join(' AND ');
    if (!f.cast_by) return { value: v, ok: all };
    // cast_by: the value exists only for the listed scale data types; otherwise it is null and
    // nothing else is checked.
    if (this.staged.get(f.cast_by)?.base !== 'string') throw new Unplannable(`${f.name}: cast_by ${f.cast_by} is not text`);
    const by = `x.${ident(f.cast_by)}`;
    const gate = `lower(${by}) IN (${(f.when ?? []).map((w) => lit(w.toLowerCase())).join(', ') || 'NULL'})`;
    return {
      value: `CASE WHEN ${gate} THEN ${v} END`,
      // Lower-casing is the same in both engines for ASCII; other text is left to JavaScript.
      ok: `CASE WHEN ${by} IS NULL THEN TRUE WHEN strlen(${by}) <> length(${by}) THEN FALSE WHEN ${gate} THEN ${all} ELSE TRUE END`,
    };
  }

  /** `scale:` — the per-row scale text's range (numbers) or categories (text), parsed by `parseScale`. */
  private scaleChecks(f: FieldContract, i: number, target: ParsedLakeType, v: string, checks: string[]): void {
    const numeric = NUMERIC_BASES.has(target.base);
    if (!numeric && target.base !== 'string') throw new Unplannable(`${f.name}: a scale on ${f.type}`);
    const scaleType = this.staged.get(f.scale as string)?.base;
    // RowValidator reads a scale only from text.
    if (scaleType !== 'string' && scaleType !== 'json') throw new Unplannable(`${f.name}: scale ${f.scale} is not text`);
    const col = ident(f.scale as string);
    const columns = (l: string) => [`${l}.t AS "__scale${i}"`, `${l}.lo AS "__lo${i}"`, `${l}.hi AS "__hi${i}"`, `${l}.cats AS "__cats${i}"`];
    // Fields reading one scale column share its table and join (a join on the scale's text cost
    // ~10 ms of a 65k-row file's 147 ms COPY).
    const key = `scale ${col}`;
    const shared = this.joins.find((j) => j.key === key);
    if (shared) shared.columns.push(columns);
    else this.joins.push(this.scaleJoin(key, col, columns));
    this.scaleCheck(i, numeric, v, checks);
  }

  /** A table of the distinct scale texts of a staged file, parsed, joined on the text. */
  private scaleJoin(key: string, col: string, columns: (table: string) => string[]): LookupJoin {
    return {
      key,
      lookup: {
        async build(session, file) {
          const table = NativeSession.tableName('lake_scale');
          const texts = await session.rows(`SELECT DISTINCT CAST(${col} AS VARCHAR) AS t FROM read_parquet(${lit(file)}) WHERE ${col} IS NOT NULL`);
          const rows = texts
            .map((r) => r.t as string)
            .filter((t) => t !== '' && t !== 'null')
            .map((t) => {
              const s = parseScale(t);
              const cats = s.categories ? textList([...s.categories]) : 'NULL::VARCHAR[]';
              return `(${lit(t)}, ${s.min === undefined ? 'NULL' : number(s.min)}::DOUBLE, ${s.max === undefined ? 'NULL' : number(s.max)}::DOUBLE, ${cats})`;
            });
          await session.run(`CREATE TABLE ${ident(table)} (t VARCHAR, lo DOUBLE, hi DOUBLE, cats VARCHAR[])`);
          if (rows.length > 0) await session.run(`INSERT INTO ${ident(table)} VALUES ${rows.join(', ')}`);
          return table;
        },
      },
      on: (l) => `${l}.t = CAST(s.${col} AS VARCHAR)`,
      columns: [columns],
    };
  }

  /** The check of field `i`'s value against its row's scale (the join's columns). */
  private scaleCheck(i: number, numeric: boolean, v: string, checks: string[]): void {
    if (numeric) {
      checks.push(`${v} IS NULL OR "__scale${i}" IS NULL OR (("__lo${i}" IS NULL OR ${v} >= "__lo${i}") AND ("__hi${i}" IS NULL OR ${v} <= "__hi${i}"))`);
    } else {
      checks.push(`${v} IS NULL OR "__scale${i}" IS NULL OR "__cats${i}" IS NULL OR list_contains("__cats${i}", ${v})`);
    }
  }

  /** `coerce()` of row-validator.ts: the staged value in the target type. */
  private coerce(raw: string, staged: ParsedLakeType, target: ParsedLakeType, f: FieldContract, i: number): FieldSql {
    const type = duckdbType(target);
    if (staged.base === 'string') {
      const blankIsNull = (value: string) => `CASE WHEN ${raw} = '' THEN NULL ELSE ${value} END`;
      switch (target.base) {
        case 'string':
          return { value: raw, ok: 'TRUE' };
        case 'json':
          // RowValidator passes the text on and the writer checks it; invalid JSON is left to them.
          return { value: raw, ok: `json_valid(${raw})` };
        case 'float32':
        case 'float64': {
          const n = `TRY_CAST(${raw} AS DOUBLE)`;
          const fits = target.base === 'float32' ? ` AND abs(${n}) <= 3.4028234663852886e38` : '';
          return { value: blankIsNull(n), ok: `${raw} = '' OR (regexp_matches(${raw}, ${regex(NUMBER)}) AND isfinite(${n})${fits})` };
        }
        case 'int16':
        case 'int32':
        case 'int64': {
          const n = `TRY_CAST(${raw} AS ${type})`;
          return { value: blankIsNull(n), ok: `${raw} = '' OR (regexp_matches(${raw}, ${regex(INTEGER)}) AND ${n} IS NOT NULL)` };
        }
        case 'boolean': {
          const t = textList(TRUE_WORDS);
          const fl = textList(FALSE_WORDS);
          return {
            value: `CASE WHEN list_contains(${t}, lower(${raw})) THEN TRUE WHEN list_contains(${fl}, lower(${raw})) THEN FALSE END`,
            ok: `${raw} = '' OR list_contains(${textList([...TRUE_WORDS, ...FALSE_WORDS])}, lower(${raw}))`,
          };
        }
        case 'date': {
          const [y, mo, d] = this.parts(f, i, DATE, ['y', 'mo', 'd']) as [string, string, string];
          // Years below 100 are Date.UTC's two-digit years: left to JavaScript.
          const valid = this.once(i, `${y} >= 100 AND ${validDate(y, mo, d)}`);
          return { value: `CASE WHEN ${valid} THEN make_date(${y}, ${mo}, ${d}) END`, ok: `${raw} = '' OR ${valid}` };
        }
        case 'timestamp':
          return this.timestamp(raw, f, i);
        default:
          throw new Unplannable(`${f.name}: text to ${f.type}`);
      }
    }
    const same = staged.base === target.base && (staged.base !== 'list' || staged.element?.base === target.element?.base);
    if (same) {
      const isFloat = target.base === 'float32' || target.base === 'float64';
      // NaN is how a source says "garbage" in a NOT NULL float column; RowValidator rejects it.
      return { value: raw, ok: isFloat ? `NOT isnan(${raw})` : 'TRUE' };
    }
    const ints = ['int16', 'int32', 'int64'];
    if (ints.includes(staged.base)) {
      if (ints.includes(target.base) || target.base === 'float64') return { value: `TRY_CAST(${raw} AS ${type})`, ok: `TRY_CAST(${raw} AS ${type}) IS NOT NULL` };
      if (target.base === 'string') return { value: `CAST(${raw} AS VARCHAR)`, ok: 'TRUE' };
    }
    if (staged.base === 'float32' && target.base === 'float64') return { value: `CAST(${raw} AS DOUBLE)`, ok: `NOT isnan(${raw})` };
    if (staged.base === 'boolean' && target.base === 'string') return { value: `CAST(${raw} AS VARCHAR)`, ok: 'TRUE' };
    if (staged.base === 'json' && target.base === 'string') return { value: `CAST(${raw} AS VARCHAR)`, ok: 'TRUE' };
    throw new Unplannable(`${f.name}: staged ${staged.base} to ${f.type}`);
  }

  /**
   * The regular expression's groups of a text field, each as an integer computed once per row
   * (`''` → null): a layer of their own, so the checks and the value read them instead of casting
   * the group text again at every use.
   */
  private parts(f: FieldContract, i: number, re: RegExp, groups: string[]): string[] {
    const g = `"__g${i}"`;
    this.inner.push(`${this.groups(f, re, groups)} AS ${g}`);
    return groups.map((p) => {
      const name = `"__${p}${i}"`;
      this.derived[0].push(`CAST(nullif(${g}.${p}, '') AS INTEGER) AS ${name}`);
      return name;
    });
  }

  /**
   * `regexp_extract` of a text field's groups: a value cast by its row's data type is parsed only
   * in the rows of that type (the rest never read it), and, with `unless`, not in rows it holds for.
   */
  private groups(f: FieldContract, re: RegExp, groups: string[], unless?: string): string {
    const extract = `regexp_extract(s.${ident(f.source)}, ${regex(re)}, [${groups.map(lit).join(', ')}])`;
    const gates = [
      ...(f.cast_by ? [`lower(s.${ident(f.cast_by)}) IN (${(f.when ?? []).map((w) => lit(w.toLowerCase())).join(', ') || 'NULL'})`] : []),
      ...(unless ? [`NOT ${unless}`] : []),
    ];
    return gates.length ? `CASE WHEN ${gates.join(' AND ')} THEN ${extract} END` : extract;
  }

  /** A field's validity over its parts, computed once per row (in the layer after the parts). */
  private once(i: number, condition: string): string {
    const name = `"__ok${i}"`;
    this.derived[1].push(`coalesce(${condition}, FALSE) AS ${name}`);
    return name;
  }

  /** `parseTimestampText`: ISO-8601-like text, offsets honoured, naive times in the field's zone. */
  private timestamp(raw: string, f: FieldContract, i: number): FieldSql {
    const source = `s.${ident(f.source)}`;
    // The naive zone's offset, exactly as the JavaScript parser reads it (undefined: invalid zone).
    const epochOfNaive = parseTimestampText('1970-01-01T00:00:00', f.timezone ?? 'UTC');
    const naive = epochOfNaive === undefined ? 'NULL' : String(-epochOfNaive / 60_000_000n);
    // The common forms, within every bound the parts' checks apply, are DuckDB's own timestamp
    // text: cast, not taken apart (the streamed COPY of a 65k-row file of observations 145–149 →
    // 125–128 ms for explicit zones; 149–153 → 132–145 ms with naive times and dates in UTC too).
    const fastForm = epochOfNaive === 0n ? FAST_TIMESTAMP_UTC : FAST_TIMESTAMP;
    const isFast = `coalesce(regexp_full_match(${source}, ${regex(fastForm)}), FALSE)`;
    const fast = `"__fast${i}"`;
    this.inner.push(`${isFast} AS ${fast}`);
    const cast = `"__cast${i}"`;
    this.derived[0].push(`CASE WHEN ${fast} THEN TRY_CAST(${ident(f.source)} AS TIMESTAMPTZ) END AS ${cast}`);
    // The rest are taken apart by the parser's own expression, in the rows that need it only: its
    // parts are written out where they are used, inside the CASE branch those rows take, not as
    // columns every row computes (those columns cost a quarter of the COPY).
    const g = `"__g${i}"`;
    this.inner.push(`${this.groups(f, TIMESTAMP, ['y', 'mo', 'd', 'h', 'mi', 's', 'f', 'z'], isFast)} AS ${g}`);
    const int = (p: string) => `CAST(nullif(${g}.${p}, '') AS INTEGER)`;
    const orZero = (p: string) => `coalesce(${int(p)}, 0)`;
    const [y, mo, d, h, mi, sec] = [int('y'), int('mo'), int('d'), orZero('h'), orZero('mi'), orZero('s')];
    const us = `CAST(rpad(${g}.f, 6, '0')[1:6] AS BIGINT)`;
    // The zone group is `Z`, `z`, `UTC` or `±hh[[:]mm]`: the hours are its 2nd and 3rd characters.
    const off =
      `(CASE WHEN ${g}.z = '' THEN ${naive} WHEN ${g}.z IN ('Z', 'z', 'UTC') THEN 0 ` +
      `ELSE (CASE WHEN ${g}.z[1] = '-' THEN -1 ELSE 1 END) * (CAST(${g}.z[2:3] AS INTEGER) * 60 + coalesce(CAST(nullif(replace(${g}.z[4:], ':', ''), '') AS INTEGER), 0)) END)`;
    const instant = `make_timestamp(epoch_us(make_timestamp(${y}, ${mo}, ${d}, ${h}, ${mi}, ${sec}::DOUBLE)) - ${off}::BIGINT * 60000000 + ${us})::TIMESTAMPTZ`;
    // Checked without functions that throw (DuckDB's try() falls back to row-at-a-time): CASE
    // computes the instant only for rows that passed.
    const valid = `coalesce(${y} >= 100 AND ${validDate(y, mo, d)} AND ${h} <= 23 AND ${mi} <= 59 AND ${sec} <= 59 AND abs(${off}) <= 1080, FALSE)`;
    return {
      value: `CASE WHEN ${fast} THEN ${cast} WHEN ${raw} <> '' AND ${valid} THEN ${instant} END`,
      ok: `${raw} = '' OR (CASE WHEN ${fast} THEN ${cast} IS NOT NULL ELSE ${valid} END)`,
    };
  }
}

/** `validDate` of value-parsers.ts: a month of the calendar and a day of that month. */
function validDate(y: string, mo: string, d: string): string {
  const leap = `((${y} % 4 = 0 AND ${y} % 100 <> 0) OR ${y} % 400 = 0)`;
  const last = `(CASE WHEN ${mo} = 2 THEN (CASE WHEN ${leap} THEN 29 ELSE 28 END) WHEN ${mo} IN (4, 6, 9, 11) THEN 30 ELSE 31 END)`;
  return `(${mo} BETWEEN 1 AND 12 AND ${d} >= 1 AND ${d} <= ${last})`;
}

/** A per-file table of the distinct values (query with `%FILE%`) that `keep` accepts. */
function distinctLookup(query: string, keep: (text: string) => boolean, prefix: string): Lookup {
  return {
    async build(session, file) {
      const table = NativeSession.tableName(prefix);
      const values = (await session.rows(query.replace('%FILE%', lit(file)))).map((r) => r.v).filter((v): v is string => typeof v === 'string' && keep(v));
      await session.textTable(table, values);
      return table;
    },
  };
}

/** A value as the text RowValidator compares with category lists (`String(value)`). */
function asText(v: string, target: ParsedLakeType, f: FieldContract): string {
  if (target.base === 'string') return v;
  if (INTEGER_BASES.has(target.base) || target.base === 'boolean') return `CAST(${v} AS VARCHAR)`;
  throw new Unplannable(`${f.name}: categories on ${f.type}`);
}

function textList(values: readonly string[]): string {
  return values.length === 0 ? '[]::VARCHAR[]' : `[${values.map(lit).join(', ')}]::VARCHAR[]`;
}

function number(n: number): string {
  if (!Number.isFinite(n)) throw new Unplannable(`bound ${n} is not finite`);
  return `${String(n)}::DOUBLE`;
}
