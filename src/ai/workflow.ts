/**
 * An AI answer as a Cloudflare Workflow: one instance per asking event (its id comes from the
 * event), one step per Claude call, tool call and send, so an answer that takes minutes survives
 * the Worker being restarted or cut off.
 *
 * Every step also keeps its result in the answer's row (`line_ai_answers.steps`) and returns the
 * kept result when there is one: a run the Cron Trigger restarts (locally a cut instance is never
 * resumed; `restart()` runs it from the top) repeats no Claude call and sends nothing twice.
 */
import type Anthropic from '@anthropic-ai/sdk';
import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep, type WorkflowStepConfig } from 'cloudflare:workers';
import { NonRetryableError } from 'cloudflare:workflows';
import { eq } from 'drizzle-orm';
import { lineMessages } from '@linebot-edge/shared/schema';
import { describeError } from '@linebot-edge/shared/error-text';
import { createLogger, type Logger } from '../lib/log';
import { say } from '../messages/catalog';
import { openServices, type Services } from '../services';
import { finishAnswer, keptStep, loadAnswer, touchAnswer, writeStep, type AnswerRow } from './answers';
import { askClaude, createClaude, isFinalClaudeError, textOf, toolUsesOf, type ClaudeRound } from './claude';
import { loadAnswerContext } from './context';
import { fetchImages } from './images';
import type { LateAnswerMode } from './config';
import { armLateNotice } from './late';
import { sendAnswer, type AnswerSent } from './send';
import { runTool, toolDefinitions } from './tools';
import type { AnswerContext } from './types';

export interface AnswerParams {
  answerId: string;
  /**
   * AI_LATE_ANSWER as the asking event read it (an answer keeps the mode it was asked under);
   * absent (a run the backstop created): the Workflow's own setting.
   */
  lateAnswer?: LateAnswerMode;
  /**
   * The origin the asking event would build share links on (PUBLIC_BASE_URL, else the one LINE
   * called the webhook on): the offers' previews are served there. The Workflow has no request of
   * its own; absent or null (a run the backstop created, an event retried from the console):
   * PUBLIC_BASE_URL alone, and without it the offers show no previews.
   */
  publicBaseUrl?: string | null;
}

/** A working step reports progress this often (the backstop's stall window, STALLED_AFTER_MS, is 45 s). */
const HEARTBEAT_MS = 10_000;

/** Tool rounds per answer; the round after the last may not call tools, so it must answer. */
const MAX_TOOL_ROUNDS = 8;

const QUICK: WorkflowStepConfig = {
  retries: { limit: 3, delay: '2 seconds', backoff: 'exponential' },
  timeout: '1 minute',
};
// The SDK already retried 429/5xx/529 within the call; these are the Workflow's retries on top.
const CLAUDE: WorkflowStepConfig = {
  retries: { limit: 2, delay: '10 seconds', backoff: 'exponential' },
  timeout: '5 minutes',
};
const SEND: WorkflowStepConfig = {
  retries: { limit: 3, delay: '3 seconds', backoff: 'exponential' },
  timeout: '1 minute',
};

type ToolOutcome = { content: string; isError: boolean };
type Memo = <T>(
  name: string,
  config: WorkflowStepConfig,
  fn: (s: Services, row: AnswerRow) => Promise<T>,
  options?: { lateNotice?: boolean },
) => Promise<T>;

export class AiAnswerWorkflow extends WorkflowEntrypoint<Env, AnswerParams> {
  override async run(event: Readonly<WorkflowEvent<AnswerParams>>, step: WorkflowStep) {
    const { answerId } = event.payload;
    const log = createLogger({ job: 'ai-answer', answerId, instanceId: event.instanceId });
    const env = this.env;

    // One connection for the whole run, not one per step: opening it (WebSocket, startup, password)
    // costs more than the step's queries. A step that fails drops it, so a retry never inherits a
    // connection left mid-query or mid-transaction; the next step opens a fresh one.
    let open: Services | undefined;
    const services = () => (open ??= openServices(env, log, event.payload.publicBaseUrl ?? null));
    const lateAnswer = (s: Services) => event.payload.lateAnswer ?? s.ai.lateAnswer;
    /** The answer's row after the step this run ran last; a step of a resumed or retried run reads it. */
    let seen: AnswerRow | undefined;
    /** The late notice was tried in this run (its row, as `seen` has it, does not say so). */
    let noticeTried = false;
    const drop = () => {
      const s = open;
      open = undefined;
      seen = undefined;
      void s?.close();
    };

    /**
     * A step whose result is also kept in the answer's row; a kept result is returned as it is.
     * The row is read at the first step this run executes, with the kept results in it, and handed
     * to the step; later steps of the same run get it as that step left it.
     *
     * `lateNotice` (button mode, a step that waits for Claude or a tool): the "still working" notice
     * goes out from within the step when the reply window is about to close (./late.ts).
     */
    const memo = <T>(
      name: string,
      config: WorkflowStepConfig,
      fn: (s: Services, row: AnswerRow) => Promise<T>,
      options: { lateNotice?: boolean } = {},
    ): Promise<T> =>
      step.do(name, config, async () => {
        const s = services();
        try {
          const row = seen ?? (await loadAnswer(s.db, answerId));
          seen = undefined;
          if (!row) throw new NonRetryableError(`answer ${answerId} does not exist`);
          const kept = keptStep<T>(row, name);
          if (kept !== undefined) return kept as never;
          // Progress is reported while the step works, so only a run that really stopped looks stalled.
          const beat = setInterval(() => void touchAnswer(s.db, answerId).catch(() => {}), HEARTBEAT_MS);
          const notice =
            options.lateNotice && !noticeTried && lateAnswer(s) === 'button' ? armLateNotice(s, row) : null;
          let value: T;
          try {
            value = await fn(s, row);
          } finally {
            clearInterval(beat);
            if (await notice?.stop()) noticeTried = true;
          }
          await writeStep(s.db, answerId, name, value);
          // The next step starts from this row instead of reading it again (a round trip before and
          // one after Claude): what it needs of the row is fixed at the asking event, except what
          // is decided in Postgres anyway (the reply's attempt mark, the late notice, the question's unsend).
          seen = {
            ...row,
            status: row.status === 'pending' ? 'running' : row.status,
            steps: { ...(row.steps as object | null), [name]: value },
          };
          return value as never;
        } catch (err) {
          drop();
          throw err;
        }
      }) as Promise<T>;

    try {
      return await this.answer(memo, log, lateAnswer);
    } finally {
      await open?.close();
    }
  }

  private async answer(memo: Memo, log: Logger, lateAnswer: (s: Services) => LateAnswerMode) {
    const waits = { lateNotice: true };
    const context = await memo(
      'load context',
      QUICK,
      (s, row) => loadAnswerContext(s.db, row.id, { model: s.ai.model }),
      waits,
    );

    const transcript: Anthropic.MessageParam[] = [...context.messages];
    const rounds: ClaudeRound[] = [];
    const toolCalls: { name: string; ok: boolean }[] = [];
    let answer: string | null = null;
    let failure: string | null = null;
    try {
      for (let round = 1; round <= MAX_TOOL_ROUNDS + 1 && answer === null; round++) {
        const allowTools = round <= MAX_TOOL_ROUNDS;
        const result = await memo<ClaudeRound>(
          `ask Claude ${round}`,
          CLAUDE,
          (s) => this.ask(s, context, transcript, allowTools),
          waits,
        );
        rounds.push(result);
        const uses = toolUsesOf(result.content);
        if (result.stopReason !== 'tool_use' || uses.length === 0) {
          answer = textOf(result.content) || say(context.lang, 'ai.noAnswer');
          break;
        }
        transcript.push({ role: 'assistant', content: result.content });
        const results: Anthropic.ToolResultBlockParam[] = [];
        for (const [i, use] of uses.entries()) {
          const out = await memo<ToolOutcome>(
            `run tool ${use.name} ${round}.${i + 1}`,
            QUICK,
            (s) => runTool({ db: s.db, nas: s.nas }, context.asker, use.name, use.input),
            waits,
          );
          toolCalls.push({ name: use.name, ok: !out.isError });
          results.push({ type: 'tool_result', tool_use_id: use.id, content: out.content, is_error: out.isError });
        }
        transcript.push({ role: 'user', content: results });
      }
    } catch (err) {
      // Retries are spent or the request was refused: say so once in the chat; the log says why.
      failure = JSON.stringify(describeError(err));
      log.error('ai.no_answer', { error: err, rounds: rounds.length });
    }

    // Button mode, the notice sent: the send keeps the answer for the tap instead (sentBy null, `waiting`).
    const sent = await memo<AnswerSent>(answer !== null ? 'send answer' : 'send apology', SEND, (s, row) =>
      sendAnswer(
        s,
        row,
        answer ?? say(context.lang, 'ai.noAnswer'),
        answer !== null ? 'answer' : 'apology',
        lateAnswer(s),
      ),
    );

    await memo('finish', QUICK, async (s, row) => {
      const sum = (f: (u: ClaudeRound['usage']) => number) => rounds.reduce((n, r) => n + f(r.usage), 0);
      await finishAnswer(s.db, row.id, {
        status: answer !== null ? 'answered' : 'failed',
        outcome: answer !== null ? 'answered' : 'no_answer',
        model: context.model,
        inputTokens: sum((u) => u.inputTokens),
        outputTokens: sum((u) => u.outputTokens),
        cacheCreationInputTokens: sum((u) => u.cacheCreationInputTokens),
        cacheReadInputTokens: sum((u) => u.cacheReadInputTokens),
        latencyMs: rounds.reduce((n, r) => n + r.latencyMs, 0),
        stopReason: rounds.at(-1)?.stopReason ?? null,
        toolCalls,
        requestIds: rounds.map((r) => r.requestId).filter((id): id is string => id !== null),
        // A waiting answer's sent_by is set by the tap that delivers it, which may come first.
        sentBy: sent.waiting ? undefined : sent.sentBy,
        // Nothing went out because LINE refused the push (line.quota_exceeded): the row says so too.
        error: failure ?? (sent.refused ? 'LINE refused the push (429: monthly limit)' : null),
      });
      await s.db
        .update(lineMessages)
        .set({ aiProcessed: true })
        .where(eq(lineMessages.id, context.asker.questionMessagePk));
      const tokens = {
        input: sum((u) => u.inputTokens),
        output: sum((u) => u.outputTokens),
        cacheRead: sum((u) => u.cacheReadInputTokens),
      };
      log.info('ai.answered', {
        outcome: answer !== null ? 'answered' : 'no_answer',
        rounds: rounds.length,
        tools: toolCalls.length,
        sentBy: sent.sentBy,
        waiting: sent.waiting !== undefined,
        tokens,
      });
      return { done: true };
    });
    return { answered: answer !== null, sentBy: sent.sentBy, waiting: sent.waiting !== undefined };
  }

  private async ask(
    s: Services,
    context: AnswerContext,
    transcript: Anthropic.MessageParam[],
    allowTools: boolean,
  ): Promise<ClaudeRound> {
    const images = await fetchImages(s.line, s.log, context.imageMessageIds);
    try {
      return await askClaude(
        createClaude(this.env),
        context,
        withImages(transcript, images, context.messages.length - 1),
        toolDefinitions(),
        {
          allowTools,
        },
      );
    } catch (err) {
      if (isFinalClaudeError(err))
        throw new NonRetryableError(`Claude refused the request: ${describeError(err).message}`);
      throw err;
    }
  }
}

/** The images go with the question: the last turn of the context, before its text. */
function withImages(transcript: Anthropic.MessageParam[], images: Anthropic.ImageBlockParam[], questionIndex: number) {
  if (images.length === 0) return transcript;
  return transcript.map((turn, i) => {
    if (i !== questionIndex) return turn;
    const content = typeof turn.content === 'string' ? [{ type: 'text' as const, text: turn.content }] : turn.content;
    return { ...turn, content: [...images, ...content] } as Anthropic.MessageParam;
  });
}
