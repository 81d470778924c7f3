/** What test/global-setup.ts provide()s, as the worker tests inject() it (the setup runs in Node). */
import 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    wsProxy: string;
    lineApiUrl: string;
    claudeApiUrl: string;
    /** `pooled` (PgBouncer, password, pipelined) or `direct` (Postgres, trust). */
    databasePath: 'pooled' | 'direct';
  }
}
