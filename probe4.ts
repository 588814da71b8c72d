import { RedisStore } from './infra/store/redis.js';
import { startSentinelSet } from './tests/helpers/sentinel.js';
const t0 = Date.now();
const ha = await startSentinelSet();
console.log('set up', Date.now() - t0, ha.primary.port, ha.replicas.map(r=>r.port).join('/'));
const store = await RedisStore.open('redis://127.0.0.1', { sentinel: { nodes: [ha.sentinel], name: ha.name }, waitReplicas: 1, commandTimeoutMs: 1000 });
console.log(store.description, store.capabilities);
let acked = 0; const ackedKeys: string[] = [];
let stop = false; let errors = 0;
const loop = (async () => { for (let i = 0; !stop && i < 100000; i++) {
  try { await store.writeBatch([{ op: 'set', ns: 'r', key: `k${i}`, value: i }]); acked++; ackedKeys.push(`k${i}`); }
  catch (e) { errors++; if (errors < 5 || errors % 20 === 0) console.log('err', (e as any).code, (e as Error).message.slice(0, 100)); await new Promise(r => setTimeout(r, 50)); }
}})();
await new Promise(r => setTimeout(r, 1000));
const killAt = Date.now();
await ha.primary.kill();
console.log('killed primary; acked so far', acked);
let back = 0;
for (let i = 0; i < 300; i++) { await new Promise(r => setTimeout(r, 100)); const p = await ha.primaryPort(); if (p !== ha.primary.port) { console.log('sentinel promoted after', Date.now() - killAt); break; } }
const before = acked;
for (let i = 0; i < 300; i++) { await new Promise(r => setTimeout(r, 100)); if (acked > before + 5) { back = Date.now() - killAt; break; } }
console.log('writes back after', back);
stop = true; await loop;
const vals = await store.getMany('r', ackedKeys);
console.log('acked', ackedKeys.length, 'lost', vals.filter(v => v === undefined).length, 'errors', errors);
await store.close(); await ha.stop();
