/** POST /api/linebot/webhook: LINE's webhook. */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { ApiError } from '../api/errors';
import { config } from '../config';
import { MAX_WEBHOOK_BODY_BYTES } from '../config/constants';
import type { AppEnv } from '../http/types';
import { openServices } from '../services';
import { recordAndProcess } from '../webhook/ack';
import { InvalidWebhookBody, parseWebhookBody } from '../line/webhook-body';
import { verifySignature } from '../webhook/signature';

export const webhook = new Hono<AppEnv>().post(
  '/',
  bodyLimit({
    maxSize: MAX_WEBHOOK_BODY_BYTES,
    onError: () => {
      throw new ApiError(413, 'payload_too_large', `webhook body exceeds ${MAX_WEBHOOK_BODY_BYTES} bytes`);
    },
  }),
  async (c) => {
    const log = c.get('log');
    const raw = await c.req.arrayBuffer();
    // Hono's header lookup is case-insensitive, as HTTP headers are.
    if (
      !(await verifySignature(config(c.env).secrets.lineChannelSecret ?? '', raw, c.req.header('x-line-signature')))
    ) {
      log.warn('webhook.invalid_signature', { bytes: raw.byteLength });
      throw new ApiError(401, 'invalid_signature', 'missing or invalid X-Line-Signature');
    }

    let body;
    try {
      body = parseWebhookBody(raw);
    } catch (err) {
      if (err instanceof InvalidWebhookBody) throw new ApiError(400, 'invalid_body', err.message);
      throw err;
    }
    // LINE's "Verify" button sends no events: nothing to record.
    if (body.events.length === 0) return c.json({ ok: true, recorded: 0 });

    let services;
    try {
      services = openServices(c.env, log, new URL(c.req.url).origin);
    } catch (err) {
      log.error('webhook.database_unconfigured', { error: err });
      throw new ApiError(503, 'database_unavailable', 'database unavailable');
    }
    const result = await recordAndProcess(body, services, (p) => c.executionCtx.waitUntil(p), log);
    if (result.status === 'unavailable')
      throw new ApiError(503, 'database_unavailable', 'database unavailable; retry later');
    return c.json({ ok: true, ...result });
  },
);
