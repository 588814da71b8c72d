/**
 * Every chat adapter passes the one adapter contract (tests/adapters/contract.ts) through its real client
 * library: the console, Discord (discord.js ↔ fake Discord) and Telegram (grammY ↔ fake Bot API).
 */
import { defineAdapterContract } from './contract.js';
import { consoleDriver, discordDriver, telegramDriver } from './drivers.js';

defineAdapterContract('console', consoleDriver);
defineAdapterContract('discord', discordDriver);
defineAdapterContract('telegram', telegramDriver);
