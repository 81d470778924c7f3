/**
 * The console's pages and the share pages speak the language the browser prefers, of the two the
 * project writes (src/console/i18n.ts, src/messages/catalog.ts).
 */

/**
 * The language a browser asks for in `Accept-Language`: English when it ranks English above
 * Chinese (or names English and no Chinese), Traditional Chinese otherwise. Other languages and
 * `*` do not decide; ties keep the browser's order.
 */
export function pickLanguage(header: string | undefined | null): 'zh-Hant' | 'en' {
  if (!header) return 'zh-Hant';
  const ranked = header
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(p)?.[1]).find((v) => v !== undefined);
      const quality = q === undefined ? 1 : Number(q);
      return {
        primary: tag.trim().toLowerCase().split('-')[0],
        quality: Number.isFinite(quality) ? quality : 0,
        index,
      };
    })
    .filter((e) => e.quality > 0 && (e.primary === 'en' || e.primary === 'zh'))
    .sort((a, b) => b.quality - a.quality || a.index - b.index);
  return ranked[0]?.primary === 'en' ? 'en' : 'zh-Hant';
}
