import { PermanentError } from '@lake/contracts';

/** Where in a file a problem is. */
export interface FilePlace {
  /** `bucket/path` of the raw object. */
  file: string;
  line?: number;
  /** 1-based field position (delimited) or byte column (JSON). */
  column?: number;
  /** Header cell or JSON pointer at fault. */
  field?: string;
  rule: string;
}

/**
 * A file the extract cannot read at all (empty, binary, no header, duplicate or missing
 * columns, malformed JSON, unknown genotype format). Permanent: the same bytes fail the same way,
 * so the run fails at once with the file and the place in its message.
 */
export class FileRejectedError extends PermanentError {
  override name = 'FileRejectedError';
  constructor(
    readonly place: FilePlace,
    detail: string,
  ) {
    super(`${describePlace(place)}: ${place.rule}: ${detail}`);
  }
}

export function describePlace(p: FilePlace): string {
  const at = [p.line !== undefined ? `line ${p.line}` : '', p.column !== undefined ? `column ${p.column}${p.field ? ` (${p.field})` : ''}` : p.field ? `${p.field}` : '']
    .filter(Boolean)
    .join(', ');
  return at ? `${p.file}: ${at}` : p.file;
}
