/** Short human-readable summaries of the messages a bot sends (the transcript and the `log` option). */

/** One line per reply/push for a human-readable chat transcript, e.g. `[text] hello | [sticker] 446/1988`. */
export function summarizeMessages(messages: unknown[]): string {
  return messages
    .map((m) => {
      const msg = (isObject(m) ? m : {}) as Record<string, unknown>;
      const type = String(msg.type ?? '?');
      let detail: unknown;
      switch (type) {
        case 'text':
        case 'textV2':
          detail = msg.text;
          break;
        case 'sticker':
          detail = `${String(msg.packageId)}/${String(msg.stickerId)}`;
          break;
        case 'image':
        case 'video':
        case 'audio':
          detail = msg.originalContentUrl;
          break;
        case 'location':
          detail = msg.title ?? msg.address;
          break;
        case 'coupon':
          detail = msg.couponId;
          break;
        default:
          detail = msg.altText; // imagemap, template, flex
      }
      const text = String(detail ?? '').replace(/\s*\n\s*/g, ' ⏎ ');
      return `[${type}] ${text.length > 120 ? `${text.slice(0, 117)}...` : text}`;
    })
    .join(' | ');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
