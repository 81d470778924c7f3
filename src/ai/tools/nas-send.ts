/**
 * `send_nas_file`: offer a NAS file to the asker. The model never sends a file: whatever a chat
 * message or a file name talked it into, the result is a button under the answer that only the
 * asker can tap (src/ai/offers.ts). The id comes from the model, so it is never trusted: the file
 * must be in the asker's scope now and within NAS_SEND_MAX_BYTES; the tap checks both again.
 */
import { formatSize } from '../../bot/nas';
import { DEFAULT_NAS_CONFIG } from '../../nas/requests';
import { nasScopeOf } from '../../nas/scope';
import { fileInScope } from '../../nas/search';
import { MAX_OFFERS_PER_ANSWER, OFFER_BUTTON_LABEL, OFFER_TTL_MINUTES, offerFile } from '../offers';
import { oneLine } from '../quote';
import { ToolInputError, type AiTool } from '../types';
import { noScopeText } from './nas-search';
import { isUuid } from '../../lib/uuid';

export const sendNasFileTool: AiTool = {
  name: 'send_nas_file',
  description:
    'Offer one NAS file to the asker, by the id search_nas_files returned. Nothing is sent by this tool: ' +
    `below your answer the asker sees the file's name with a "${OFFER_BUTTON_LABEL}" (send) button, and the file is ` +
    `sent into this chat only if the asker taps it within ${OFFER_TTL_MINUTES} minutes. Say that they can tap the button. ` +
    `Use it only when the asker asked for the file. At most ${MAX_OFFERS_PER_ANSWER} files per answer; only files this chat may search.`,
  input_schema: {
    type: 'object',
    properties: { fileId: { type: 'string', description: 'The id of a file from search_nas_files.' } },
    required: ['fileId'],
  },

  async run({ db, nas = DEFAULT_NAS_CONFIG }, asker, input) {
    const fileId = (input as { fileId?: unknown } | null)?.fileId;
    if (typeof fileId !== 'string' || !isUuid(fileId.trim()))
      throw new ToolInputError('"fileId" must be a file id from search_nas_files');
    const id = fileId.trim().toLowerCase();

    const decision = await nasScopeOf(db, asker);
    if (decision.kind !== 'scope') return noScopeText(decision);
    const file = await fileInScope(db, decision.scope, id);
    if (!file)
      return "No such file in this chat's NAS scope (it may have been moved or deleted). Search again with search_nas_files.";
    const name = oneLine(file.name, 200);
    if (file.size > nas.sendMaxBytes) {
      return `Not offered: "${name}" is ${formatSize(file.size)}, larger than the ${formatSize(nas.sendMaxBytes)} the bot can send. Tell the user where it is on the NAS instead.`;
    }
    const outcome = await offerFile(db, asker, file);
    switch (outcome.kind) {
      case 'limit':
        return `Not offered: this answer already offers ${MAX_OFFERS_PER_ANSWER} files, the most one answer may.`;
      case 'alreadyOffered':
        return `"${name}" is already offered in this answer.`;
      case 'offered':
        return `Offered "${name}" (${formatSize(file.size)}): the asker will see a "${OFFER_BUTTON_LABEL}" button for it below your answer; it is sent only if they tap it within ${OFFER_TTL_MINUTES} minutes. Nothing has been sent yet.`;
    }
  },
};
