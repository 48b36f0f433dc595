/**
 * Splits one line of a delimited file. Quoted fields (`"a,b"`, `""` for a quote) are honoured
 * within the line; the genotype formats read here never put line breaks inside quotes.
 */
export function splitDelimited(text: string, delimiter: string): string[] {
  if (!text.includes('"')) return text.split(delimiter);
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === delimiter) {
      out.push(field);
      field = '';
    } else field += ch;
  }
  out.push(field);
  return out;
}

/** The header's sample names: everything from `first` on, without trailing empty fields. */
export function headerSamples(fields: readonly string[], first: number): string[] {
  let end = fields.length;
  while (end > first && fields[end - 1] === '') end--;
  return fields.slice(first, end);
}
