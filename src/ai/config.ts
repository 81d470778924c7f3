/** The AI settings of a deployment (src/config) and the Workflow binding that starts an answer. */
import { config, type ConfigEnv } from '../config';

/** AI_LATE_ANSWER: what becomes of an answer not ready within the reply window (./late.ts). */
export type LateAnswerMode = 'button' | 'push';

export interface AiConfig {
  /** Starts an answer's Workflow; absent where the binding is (a bench without Workflows). */
  workflow: Workflow | undefined;
  botNames: readonly string[];
  dailyLimit: number;
  model: string;
  /** AI_LATE_ANSWER: an answer not ready within the reply window waits for a tap (`button`) or is pushed. */
  lateAnswer: LateAnswerMode;
}

export function aiConfig(env: ConfigEnv & Partial<Pick<Env, 'AI_ANSWER'>>): AiConfig {
  const { botNames, aiDailyLimitPerUser, aiModel, aiLateAnswer } = config(env);
  return {
    workflow: env.AI_ANSWER,
    botNames,
    dailyLimit: aiDailyLimitPerUser,
    model: aiModel,
    lateAnswer: aiLateAnswer,
  };
}
