/**
 * Wide-VCF benchmark: a synthetic VCF of 10,000 samples × N variants, generated on the fly (never
 * on disk), parsed and written to Parquet with the parquet package's streaming writer.
 * Prints calls/s for parse alone and parse + write, and peak RSS.
 *
 *   pnpm --filter @lake/genotype-formats bench -- --variants 2000 --samples 10000
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileSink, ParquetFileWriter } from '@lake/parquet';
import { CALL_COLUMNS, parseVcf } from '../src/index.js';

const { values } = parseArgs({
  options: {
    variants: { type: 'string', default: '2000' },
    samples: { type: 'string', default: '10000' },
    'parse-only': { type: 'boolean', default: false },
  },
});
const variants = Number(values.variants);
const samples = Number(values.samples);

/** Cells as cassava_test.vcf has them (GT:AD:DP:GQ:PL), weighted like that file. */
const CELLS = [
  ...Array(8).fill('0/0:3,0:3:88:0,9,108'),
  ...Array(2).fill('./.:0,0:0:-1:-1,-1,-1'),
  '0/1:5,1:6:98:18,0,162',
  '1/1:0,1:1:66:36,3,0',
  '0/0:12,0:12:99:0,36,255',
];

async function* syntheticVcf(): AsyncGenerator<Uint8Array> {
  const encoder = new TextEncoder();
  const names = Array.from({ length: samples }, (_, i) => `S${i}:FLOWCELL:${i % 8}:${250_000_000 + i}`);
  yield encoder.encode(
    '##fileformat=VCFv4.2\n##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n' +
      `#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t${names.join('\t')}\n`,
  );
  let seed = 42;
  for (let v = 0; v < variants; v++) {
    const cells = new Array<string>(samples);
    for (let s = 0; s < samples; s++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      cells[s] = CELLS[seed % CELLS.length] as string;
    }
    yield encoder.encode(`1\t${1000 + v * 37}\tS1_${1000 + v * 37}\tA\tG\t.\tPASS\tDP=24235\tGT:AD:DP:GQ:PL\t${cells.join('\t')}\n`);
  }
}

let peakRss = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 50);

const dir = await mkdtemp(join(tmpdir(), 'wide-vcf-bench-'));
const path = join(dir, 'calls.parquet');
const started = performance.now();
const cpuStart = process.cpuUsage();
let calls = 0;
let errors = 0;
let bytes = 0;
try {
  const sink = values['parse-only'] ? null : await fileSink(path);
  const writer = sink ? new ParquetFileWriter(CALL_COLUMNS, sink, { rowGroupSize: 131_072 }) : null;
  for await (const e of parseVcf(syntheticVcf())) {
    if (e.kind === 'calls') {
      calls += e.batch.rowCount;
      if (writer) await writer.writeBatch(e.batch);
    } else if (e.kind === 'error') errors++;
  }
  if (writer && sink) {
    await writer.close();
    await sink.close();
    bytes = (await stat(path)).size;
  }
} finally {
  clearInterval(sampler);
  await rm(dir, { recursive: true, force: true });
}
const seconds = (performance.now() - started) / 1000;
// CPU seconds too: wall time on a shared machine measures the neighbours as much as the parser.
const cpu = process.cpuUsage(cpuStart);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
peakRss = Math.max(peakRss, process.resourceUsage().maxRSS * 1024);
console.log(
  JSON.stringify({
    variants,
    samples,
    calls,
    errors,
    mode: values['parse-only'] ? 'parse' : 'parse+parquet',
    seconds: Number(seconds.toFixed(1)),
    callsPerSecond: Math.round(calls / seconds),
    cpuSeconds: Number(cpuSeconds.toFixed(1)),
    callsPerCpuSecond: Math.round(calls / cpuSeconds),
    parquetMiB: Number((bytes / 2 ** 20).toFixed(1)),
    peakRssMiB: Math.round(peakRss / 2 ** 20),
  }),
);
