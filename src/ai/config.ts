/** The AI settings of a deployment (src/config) and the Workflow binding that starts an answer. */
import { config, type ConfigEnv } from '../config';

export interface AiConfig {
  /** Starts an answer's Workflow; absent where the binding is (a bench without Workflows). */
  workflow: Workflow | undefined;
  botNames: readonly string[];
  dailyLimit: number;
  model: string;
}

export function aiConfig(env: ConfigEnv & Partial<Pick<Env, 'AI_ANSWER'>>): AiConfig {
  const { botNames, aiDailyLimitPerUser, aiModel } = config(env);
  return { workflow: env.AI_ANSWER, botNames, dailyLimit: aiDailyLimitPerUser, model: aiModel };
}
