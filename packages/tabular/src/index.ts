export { type CellResult, fail, ok } from './cell-result.js';
export { type CellOptions, type CellParser, createCellParser, parseCell } from './cell-parser.js';
export { type DateOrder, daysFromCivil, isValidDate, parseDateText } from './date-parser.js';
export {
  DELIMITERS,
  type Delimiter,
  type LineEnding,
  type PreambleKind,
  type QuoteChar,
  SNIFF_BYTES,
  type SniffDialectOptions,
  sniffDialect,
  type TextDialect,
} from './dialect-sniffer.js';
export { type EncodingGuess, looksBinary, sniffEncoding, type TextEncodingName } from './encoding-sniffer.js';
export {
  type ColumnMapping,
  type HeaderMapping,
  type MapHeaderOptions,
  mapHeader,
  type TargetField,
} from './header-mapper.js';
export { type HeaderName, normalizeHeaderName, splitHeaderUnit } from './header-names.js';
export { DEFAULT_MISSING_VALUES, missingMatcher } from './missing-values.js';
export { type DecimalSeparator, normalizeNumberText, parseDecimalText, parseIntegerText, parseNumberText } from './number-parser.js';
export { type RawRecord, RecordParser, type RecordParserOptions } from './record-parser.js';
export { createRowTyper, type RowField, type TypedRow } from './row-typer.js';
export {
  type ByteSource,
  type Dialect,
  type OpenedTable,
  openTable,
  type ReadTableOptions,
  type TableHeader,
  type TableRecord,
  type TableRow,
} from './table-reader.js';
export { MAX_RAW_CHARS, type TabularError, type TabularRule, tabularError } from './tabular-error.js';
export { fixedOffsetMinutes, resolveTimeZone, type TimeZone } from './time-zone.js';
export { parseTimestampText } from './timestamp-parser.js';
export { parseTraitCell, type TraitRef } from './trait-cell-parser.js';
export { type Dimension, UNIT_ATOMS, type UnitAtom } from './ucum-units.js';
export {
  applyConversion,
  type ConversionResult,
  type ConvertResult,
  conversionBetween,
  convert,
  type UnitConversion,
  unitConversion,
} from './unit-converter.js';
export { parseUnit, toUcum, type Unit, type UnitParseResult } from './unit-parser.js';
