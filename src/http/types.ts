import type { Logger } from '../lib/log';

export type AppEnv = {
  Bindings: Env;
  Variables: { requestId: string; log: Logger };
};
