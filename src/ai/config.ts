/** The AI settings of a deployment, read once from env (names from docs/configuration.md). */
import { settings } from '../config/settings';
import type { Logger } from '../lib/log';
import { parseBotNames } from './addressing';

export const DEFAULT_AI_MODEL = 'claude-sonnet-5-5';

export interface AiConfig {
  /** Starts an answer's Workflow; absent where the binding is (a bench without Workflows). */
  workflow: Workflow | undefined;
  botNames: string[];
  dailyLimit: number;
  model: string;
}

export function aiConfig(env: Partial<Pick<Env, 'AI_ANSWER' | 'BOT_NAMES' | 'AI_DAILY_LIMIT_PER_USER' | 'AI_MODEL'>>, log: Logger): AiConfig {
  return {
    workflow: env.AI_ANSWER,
    botNames: parseBotNames(env.BOT_NAMES),
    dailyLimit: settings(env, log).aiDailyLimitPerUser,
    model: env.AI_MODEL || DEFAULT_AI_MODEL,
  };
}
