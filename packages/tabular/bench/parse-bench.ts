/**
 * Throughput and memory flatness of the streaming reader. Generates a Field Book-like CSV on
 * the fly (quoted cells, `name|CURIE` traits, `-0500` timestamps, CRLF) — nothing is written to
 * disk — and streams it through `openTable` (and, with `--typed`, header mapping and typing).
 * Peak RSS must stay flat whatever the size.
 *
 *   pnpm --filter @lake/tabular bench -- 200        # MB of CSV (default 200; try 2048)
 *   pnpm --filter @lake/tabular bench -- 200 --typed
 */
import { createRowTyper, mapHeader, openTable } from '../src/index.js';

const megabytes = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 200);
const typed = process.argv.includes('--typed');
const targetBytes = megabytes * 1024 * 1024;
const CHUNK = 64 * 1024;

const HEADER = '"plot_name","range","plot","rep","accession","is_a_control","trait","value","timestamp","person","location","number",\r\n';

function row(i: number): string {
  const seconds = String(i % 60).padStart(2, '0');
  const value = i % 17 === 0 ? '' : String((i * 7919) % 1000 / 10);
  return `"plot_${i}",${i % 50},${i % 1000},${i % 4},"accession ${i % 300}",,"dry matter content|CO_334:0000092",${value},"2016-01-07 12:08:${seconds}-0500","johndoe","42.4472 ; -76.4676",1\r\n`;
}

let generatedRows = 0;
async function* generate(): AsyncGenerator<Uint8Array> {
  const encoder = new TextEncoder();
  let produced = 0;
  let pending = HEADER;
  while (produced < targetBytes) {
    while (pending.length < CHUNK) pending += row(generatedRows++);
    const bytes = encoder.encode(pending);
    produced += bytes.length;
    pending = '';
    yield bytes;
  }
}

let peakRss = 0;
const sample = () => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
};
const timer = setInterval(sample, 50);

const started = process.hrtime.bigint();
const table = await openTable(generate());
const type = typed
  ? createRowTyper(
      mapHeader(table.header!, [{ name: 'plot_name' }, { name: 'value' }, { name: 'timestamp' }, { name: 'trait' }]),
      [
        { name: 'plot_name', type: 'string' },
        { name: 'value', type: 'float64' },
        { name: 'timestamp', type: 'timestamp' },
        { name: 'trait', type: 'string' },
      ],
    )
  : undefined;
let rows = 0;
let errors = 0;
for await (const record of table.records) {
  const out = type && record.kind === 'row' ? type(record) : record;
  if (out.kind === 'row') rows++;
  else errors++;
  if ((rows & 0xffff) === 0) sample();
}
sample();
clearInterval(timer);
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
console.log(
  JSON.stringify({
    input: `${megabytes} MB`,
    mode: typed ? 'parse + map + type' : 'parse',
    rows,
    errors,
    generatedRows,
    seconds: Number(seconds.toFixed(2)),
    rowsPerSecond: Math.round(rows / seconds),
    megabytesPerSecond: Number((megabytes / seconds).toFixed(1)),
    peakRssMB: Math.round(peakRss / 1024 / 1024),
  }),
);
