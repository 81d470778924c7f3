/**
 * Asking the on-prem job to send a NAS file into a chat: one nas_send_requests row (a trigger
 * NOTIFYs the job). The row's request_key names what asked (`event:<webhookEventId>` for `/send`,
 * `ai:<answerId>:<fileId>` for the AI), so a redelivered event or a retried tool step creates nothing.
 * The file is snapshotted as indexed: the job sends only if the NAS still has exactly that.
 */
import { config, type ConfigEnv } from '../config';
import { defaultSettings } from '../config/settings';
import type { Queryable } from '../db/client';
import { previewUrlKey } from './preview-urls';
import { type nasFiles, nasSendRequests } from '@linebot-edge/shared/schema';

/** The NAS settings of a deployment (names from docs/configuration.md). */
export interface NasConfig {
  /** Files larger than this are answered with a message instead of sent. */
  sendMaxBytes: number;
  /** Origin of share links: PUBLIC_BASE_URL, else the origin LINE called the webhook on; null when neither is known (a cron run). */
  publicBaseUrl: string | null;
  /** The key /find signs its preview URLs with (from NAS_AGENT_TOKEN); absent or null: no previews. */
  previewKey?: () => Promise<CryptoKey | null>;
}

/** NAS_SEND_MAX_BYTES as the upload endpoint reads it (src/config): /find never offers what it would refuse. */
export function nasConfig(env: ConfigEnv, origin: string | null = null): NasConfig {
  const c = config(env);
  return {
    sendMaxBytes: c.nasSendMaxBytes,
    publicBaseUrl: c.publicBaseUrl ?? origin,
    previewKey: () => previewUrlKey(c.secrets.nasAgentToken),
  };
}

/** Without env: NAS_SEND_MAX_BYTES' default, no public origin. */
export const DEFAULT_NAS_CONFIG: NasConfig = { sendMaxBytes: defaultSettings.nasSendMaxBytes, publicBaseUrl: null };

export interface NewSendRequest {
  requestKey: string;
  file: typeof nasFiles.$inferSelect;
  /** The asker; null for a console operator's send into a group or room (nobody in the chat asked). */
  lineUserPk: string | null;
  /** The group or room; null for a 1:1 chat. */
  chatPk: string | null;
  /** The asking message's reply token; null when the bot's own answer uses it (the AI) and the file goes by push. */
  replyToken: string | null;
  eventAt: Date;
  publicBaseUrl: string | null;
}

/** Inserts the request; `created: false` when one with this key exists already (a redelivery). */
export async function createSendRequest(
  db: Queryable,
  r: NewSendRequest,
): Promise<{ created: boolean; id: string | null }> {
  const [row] = await db
    .insert(nasSendRequests)
    .values({
      requestKey: r.requestKey,
      nasFileId: r.file.id,
      share: r.file.share,
      path: r.file.path,
      name: r.file.name,
      size: r.file.size,
      modifiedAt: r.file.modifiedAt,
      lineUserId: r.lineUserPk,
      lineGroupId: r.chatPk,
      replyToken: r.replyToken,
      eventAt: r.eventAt,
      publicBaseUrl: r.publicBaseUrl,
    })
    .onConflictDoNothing({ target: nasSendRequests.requestKey })
    .returning({ id: nasSendRequests.id });
  return row ? { created: true, id: row.id } : { created: false, id: null };
}
