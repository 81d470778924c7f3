/**
 * The notices a form may leave for the page it redirects to (./flash.ts carries them). A list of
 * its own, so that the request context (./types.ts) can name the type without importing the cookie
 * handling.
 */
import type { MessageKey } from './i18n';

export const notices = [
  'notice.aiOn',
  'notice.aiOff',
  'notice.projectBound',
  'notice.projectUnbound',
  'notice.instructionsSaved',
  'notice.instructionsCleared',
  'notice.unbound',
  'notice.accountCreated',
  'notice.codeIssued',
  'notice.retried',
  'notice.shareLinkRevoked',
  'notice.projectCreated',
  'notice.projectSaved',
  'notice.memberAdded',
  'notice.memberChanged',
  'notice.memberRemoved',
  'notice.botTextSaved',
  'notice.botTextReset',
  'notice.messageSent',
  'notice.messageAlreadySent',
  'notice.fileRequested',
  'notice.announcementStarted',
  'notice.announcementResumed',
  'notice.announcementRetried',
  'notice.aiPaused',
  'notice.aiResumed',
  'notice.aiWasNotPaused',
] as const satisfies readonly MessageKey[];
export type Notice = (typeof notices)[number];
