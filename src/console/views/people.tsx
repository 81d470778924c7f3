/**
 * How the screens show what LINE users wrote about themselves and their chats: names, pictures.
 * Always as text through JSX (which escapes), never `raw()`; a picture only from an https URL
 * (LINE's CDN), so a stored `javascript:` or `data:` value becomes no image at all.
 */

/** The URL if it is https, else null. */
export function safeImageUrl(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    return new URL(url).protocol === 'https:' ? url : null;
  } catch {
    return null;
  }
}

/** A profile or group picture, or an empty placeholder of the same size. */
export function Avatar({ url }: { url: string | null | undefined }) {
  const src = safeImageUrl(url);
  // Decorative: the name beside it says who it is. No referrer to LINE's CDN.
  if (!src) return <span class="avatar" aria-hidden="true" />;
  return <img class="avatar" src={src} alt="" width={32} height={32} loading="lazy" referrerpolicy="no-referrer" />;
}

/** A LINE user's or chat's name as they set it, falling back to LINE's id when they set none. */
export function DisplayName({ name, lineId }: { name: string | null | undefined; lineId: string }) {
  return name ? <span class="name">{name}</span> : <span class="name unnamed">{lineId}</span>;
}
