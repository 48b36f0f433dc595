import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const INDEX = fileURLToPath(new URL('../src/index.ts', import.meta.url));

describe('the native writers\' DuckDB', () => {
  it('computes instants in UTC whatever zone the process runs in (TZ)', () => {
    // A fresh process: DuckDB takes the process's zone when its instance starts.
    const script = `
      import { NativeSession } from ${JSON.stringify(INDEX)};
      const session = await NativeSession.open();
      const [row] = await session.rows("SELECT current_setting('TimeZone') AS zone, epoch_us(make_timestamp(0::BIGINT)::TIMESTAMPTZ) AS us, CAST(TIMESTAMP '2024-03-01 10:11:12' AS TIMESTAMPTZ)::VARCHAR AS text");
      console.log(JSON.stringify({ zone: row.zone, us: String(row.us), text: row.text }));
      session.close();
    `;
    for (const zone of ['Asia/Kolkata', 'America/Los_Angeles']) {
      const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env: { ...process.env, TZ: zone }, encoding: 'utf8' });
      expect(JSON.parse(out.trim().split('\n').pop() as string), zone).toEqual({ zone: 'UTC', us: '0', text: '2024-03-01 10:11:12+00' });
    }
  });
});
