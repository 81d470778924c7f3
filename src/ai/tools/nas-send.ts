/**
 * `send_nas_file`: ask for a NAS file to be sent into this chat. The id comes from the model, so it
 * is never trusted: the file must be in the asker's scope now and within NAS_SEND_MAX_BYTES. The
 * request has no reply token (the answer itself uses it): the file goes by push once the on-prem
 * job has uploaded it. Its key `ai:<answerId>:<fileId>` makes a retried step create nothing new.
 */
import { count, eq, like } from 'drizzle-orm';
import { formatSize } from '../../bot/nas';
import { lineAiAnswers, nasSendRequests } from '../../db/schema';
import { createSendRequest, nasConfig } from '../../nas/requests';
import { nasScopeOf } from '../../nas/scope';
import { fileInScope } from '../../nas/search';
import { ToolInputError, type AiTool } from '../types';
import { noScopeText } from './nas-search';

/** Files one answer may send: a model in a loop must not flood the chat. */
export const MAX_SENDS_PER_ANSWER = 5;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const sendNasFileTool: AiTool = {
  name: 'send_nas_file',
  description:
    'Send one NAS file into this chat, by the id search_nas_files returned. The file is uploaded from the NAS ' +
    'and arrives as a separate message (an image, or a download link) shortly after your answer; say that it is ' +
    `on its way. At most ${MAX_SENDS_PER_ANSWER} files per answer; only files this chat may search can be sent.`,
  input_schema: {
    type: 'object',
    properties: { fileId: { type: 'string', description: 'The id of a file from search_nas_files.' } },
    required: ['fileId'],
  },

  async run({ db, nas = nasConfig({}) }, asker, input) {
    const fileId = (input as { fileId?: unknown } | null)?.fileId;
    if (typeof fileId !== 'string' || !UUID.test(fileId.trim())) throw new ToolInputError('"fileId" must be a file id from search_nas_files');
    const id = fileId.trim().toLowerCase();

    const decision = await nasScopeOf(db, asker);
    if (decision.kind !== 'scope') return noScopeText(decision);
    const file = await fileInScope(db, decision.scope, id);
    if (!file) return 'No such file in this chat\'s NAS scope (it may have been moved or deleted). Search again with search_nas_files.';
    if (file.size > nas.sendMaxBytes) {
      return `Not sent: "${file.name}" is ${formatSize(file.size)}, larger than the ${formatSize(nas.sendMaxBytes)} the bot can send. Tell the user where it is on the NAS instead.`;
    }
    const prefix = `ai:${asker.answerId}:`;
    const [{ sent } = { sent: 0 }] = await db
      .select({ sent: count() })
      .from(nasSendRequests)
      .where(like(nasSendRequests.requestKey, `${prefix}%`));
    const [answer] = await db.select({ eventAt: lineAiAnswers.eventAt }).from(lineAiAnswers).where(eq(lineAiAnswers.id, asker.answerId));
    if (sent >= MAX_SENDS_PER_ANSWER) return `Not sent: this answer has already sent ${MAX_SENDS_PER_ANSWER} files, the most one answer may.`;

    const { created } = await createSendRequest(db, {
      requestKey: `${prefix}${id}`,
      file,
      lineUserPk: asker.lineUserPk,
      chatPk: asker.chatPk,
      replyToken: null,
      eventAt: answer?.eventAt ?? new Date(),
      publicBaseUrl: nas.publicBaseUrl,
    });
    return created
      ? `Sending "${file.name}" (${formatSize(file.size)}): it will arrive in this chat as a separate message shortly.`
      : `"${file.name}" was already requested in this answer; it is on its way.`;
  },
};
