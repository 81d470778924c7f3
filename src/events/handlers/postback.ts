/**
 * `postback`: a tap on a button of one of the bot's messages, routed by its data's prefix. Each
 * prefix names what the bot wrote into its buttons; a postback with any other data (the bot never
 * sent it) stays in the inbox only (dispatch.ts asks `tapHandlerFor` before handling it at all).
 */
import { answerIdOf, isAnswerData } from '../../ai/late';
import { isOfferData } from '../../ai/offers';
import { isFindData } from '../../bot/nas';
import { postbackDataOf, type EventHandler } from '../types';
import { handleAnswerTap } from './answer-tap';
import { handleFindTap } from './find-tap';
import { handleOfferTap } from './offer-tap';

/**
 * Prefix test and handler: `offer:<offer id>` (the AI's file offers), `find:<list id>:<n>` (`/find`'s
 * list), `answer:<answer id>` (a late answer's 取得回答, ./answer-tap.ts).
 */
const tapHandlers: ReadonlyArray<readonly [(data: unknown) => boolean, EventHandler]> = [
  [isOfferData, handleOfferTap],
  [isFindData, handleFindTap],
  [isAnswerData, (event, deps) => handleAnswerTap(event, deps, answerIdOf(postbackDataOf(event)))],
];

/** The handler of a postback with this data, if the bot's buttons could have sent it. */
export const tapHandlerFor = (data: unknown): EventHandler | undefined => tapHandlers.find(([isIt]) => isIt(data))?.[1];

export const handlePostback: EventHandler = async (event, deps) => tapHandlerFor(postbackDataOf(event))?.(event, deps);
