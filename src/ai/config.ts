/** The AI settings of a deployment, read once from env (names from DESIGN.md's configuration table). */
import { parseBotNames } from './addressing';

export const DEFAULT_AI_MODEL = 'claude-sonnet-5-5';
export const DEFAULT_DAILY_LIMIT = 100;

export interface AiConfig {
  /** Starts an answer's Workflow; absent where the binding is (a bench without Workflows). */
  workflow: Workflow | undefined;
  botNames: string[];
  dailyLimit: number;
  model: string;
}

export function aiConfig(env: Partial<Pick<Env, 'AI_ANSWER' | 'BOT_NAMES' | 'AI_DAILY_LIMIT_PER_USER' | 'AI_MODEL'>>): AiConfig {
  const limit = Number(env.AI_DAILY_LIMIT_PER_USER);
  return {
    workflow: env.AI_ANSWER,
    botNames: parseBotNames(env.BOT_NAMES),
    dailyLimit: env.AI_DAILY_LIMIT_PER_USER && Number.isInteger(limit) && limit >= 0 ? limit : DEFAULT_DAILY_LIMIT,
    model: env.AI_MODEL || DEFAULT_AI_MODEL,
  };
}
