/**
 * Sharding for large bots (Discord requires it from 2,500 servers; recommended well before): runs
 * `bots/main.ts` once per shard in child processes through discord.js's `ShardingManager`. Each child
 * is a full DEEP-RECO process (BOT_MODE=discord) whose discord.js client picks its shard ids up from
 * the environment the manager sets; only the process holding shard 0 registers the slash commands.
 * All shards must share one store: set REDIS_URL (or keep SQLite in one DATA_DIR on one host).
 *
 *   npx tsx bots/discord/shard.ts           # DISCORD_SHARDS=auto (Discord's recommendation)
 *   DISCORD_SHARDS=4 npx tsx bots/discord/shard.ts
 *
 * Not exercised by the test suite (one shard there); see docs/DISCORD.md.
 */
import { fileURLToPath } from 'node:url';
import { ShardingManager } from 'discord.js';
import { loadConfig } from '../../infra/config.js';
import { RecoError } from '../../core/errors.js';
import { createLogger, secretValues } from '../../infra/logger.js';

export async function startShards(): Promise<ShardingManager> {
  const config = loadConfig();
  const log = createLogger({ level: config.LOG_LEVEL, format: config.LOG_FORMAT, secrets: secretValues(config) }).child(
    { module: 'discord-shards' },
  );
  if (!config.DISCORD_TOKEN) throw new RecoError('CONFIG_INVALID', 'DISCORD_TOKEN is not set');
  // Shards are separate processes: per-user writes are serialised across processes only on a shared Redis store.
  if (!config.REDIS_URL) {
    throw new RecoError('CONFIG_INVALID', 'Sharding runs one process per shard: set REDIS_URL so they share one store');
  }
  const totalShards = config.DISCORD_SHARDS; // validated in core/config.ts: 'auto' or a positive integer
  const manager = new ShardingManager(fileURLToPath(new URL('../main.ts', import.meta.url)), {
    token: config.DISCORD_TOKEN,
    totalShards,
    mode: 'process',
    respawn: true,
    // the children run TypeScript through tsx, like `npm start`
    execArgv: ['--import', 'tsx'],
    shardArgs: [],
  });
  process.env.BOT_MODE = 'discord';
  manager.on('shardCreate', (shard) => {
    log.info({ shard: shard.id }, 'shard started');
    shard.on('death', () => log.warn({ shard: shard.id }, 'shard process exited; the manager respawns it'));
  });
  await manager.spawn({ timeout: 120_000 });
  return manager;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  startShards().catch((e: unknown) => {
    process.stderr.write(`deep-reco shards: ${(e as Error).message}\n`);
    process.exitCode = 1;
  });
}
