// Writes a deterministic system.billing.usage CSV of N rows (and a list_prices file) for
// the import benchmark: 500 jobs on job compute (a run per job and day), 50 all-purpose clusters, 20 warehouses,
// hourly rows over 180 days, a retraction/restatement every 500 rows.
import { createWriteStream, writeFileSync } from 'node:fs';

export async function generateUsage(file, pricesFile, rows) {
  const out = createWriteStream(file);
  const write = (s) => (out.write(s) ? null : new Promise((r) => out.once('drain', r)));
  await write('record_id,account_id,workspace_id,sku_name,cloud,usage_start_time,usage_end_time,usage_date,custom_tags,usage_unit,usage_quantity,usage_metadata,record_type,billing_origin_product\n');
  let seed = 42;
  const rand = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
  const start = Date.UTC(2025, 5, 1);
  let chunk = '';
  for (let i = 0; i < rows; i++) {
    const hour = Math.floor(i / 40) % (180 * 24);
    const t0 = new Date(start + hour * 3600e3).toISOString().replace('Z', '+00:00');
    const t1 = new Date(start + (hour + 1) * 3600e3).toISOString().replace('Z', '+00:00');
    const kind = i % 10;
    let sku; let meta; let product;
    if (kind < 7) {
      // 500 jobs, one run per job and day, several hourly rows per run.
      const job = 1000 + Math.floor(rand() * 500);
      const day = Math.floor(hour / 24);
      sku = 'PREMIUM_JOBS_COMPUTE'; product = 'JOBS';
      meta = `{""job_id"":""${job}"",""job_run_id"":""${job}-${day}"",""cluster_id"":""jc-${job}-${day}""}`;
    } else if (kind < 9) {
      sku = 'PREMIUM_ALL_PURPOSE_COMPUTE'; product = 'ALL_PURPOSE';
      meta = `{""cluster_id"":""ap-${Math.floor(rand() * 50)}""}`;
    } else {
      sku = 'PREMIUM_SQL_PRO_COMPUTE'; product = 'SQL';
      meta = `{""warehouse_id"":""wh-${Math.floor(rand() * 20)}""}`;
    }
    const qty = (rand() * 8).toFixed(3);
    const tags = rand() < 0.3 ? '{}' : '{""team"":""data""}';
    const type = i % 500 === 499 ? 'RETRACTION' : 'ORIGINAL';
    chunk += `r${i},acct,ws1,${sku},AWS,${t0},${t1},${t0.slice(0, 10)},"${tags}",DBU,${type === 'RETRACTION' ? '-' : ''}${qty},"${meta}",${type},${product}\n`;
    if (chunk.length > 1 << 20) { await write(chunk); chunk = ''; }
  }
  await write(chunk);
  await new Promise((r) => out.end(r));
  const prices = [['PREMIUM_JOBS_COMPUTE', 0.15], ['PREMIUM_ALL_PURPOSE_COMPUTE', 0.55], ['PREMIUM_SQL_PRO_COMPUTE', 0.55]]
    .map(([sku, p]) => JSON.stringify({ sku_name: sku, cloud: 'AWS', currency_code: 'USD', usage_unit: 'DBU', price_start_time: '2024-01-01T00:00:00.000Z', price_end_time: null, pricing: { default: String(p) } }));
  writeFileSync(pricesFile, prices.join('\n') + '\n');
}

if (process.argv[1].endsWith('gen-usage.mjs')) {
  await generateUsage(process.argv[2], process.argv[3], Number(process.argv[4] ?? 1000000));
}
