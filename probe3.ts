import { RedisStore } from './infra/store/redis.js';
import { startRedis } from './tests/helpers/redis.js';
const redis = await startRedis();
const store = await RedisStore.open(redis.url, { commandTimeoutMs: 500 });
await store.set('a', 'k', 1);
redis.process.kill('SIGSTOP');
for (let i = 0; i < 6; i++) {
  const t = Date.now();
  try { await store.writeBatch([{ op: 'set', ns: 'a', key: 'k', value: i }]); console.log('ok', Date.now() - t); }
  catch (e) { console.log((e as any).code, Date.now() - t, (e as Error).message.slice(0, 120)); }
  try { await store.get('a', 'k'); } catch (e) { console.log(' get', (e as any).code, Date.now() - t); }
}
redis.process.kill('SIGCONT');
const t0 = Date.now();
for (let i = 0; i < 100; i++) {
  try { await store.get('a', 'k'); console.log('recovered after', Date.now() - t0); break; } catch { await new Promise(r => setTimeout(r, 100)); }
}
console.log(await store.get('a', 'k'));
await store.close(); await redis.stop();
