/**
 * How long a delivered file's share link lives: an image message's URLs (originalContentUrl and
 * previewImageUrl) are served for 30 days whatever SHARE_LINK_TTL is, since LINE's apps fetch them
 * whenever a member opens the chat; a download link (a file sent as a text) lives SHARE_LINK_TTL;
 * either kind answers 410 once an operator revokes it or the group's project changes. Time passes
 * by moving the link's times back in Postgres (`- interval`), as Postgres' clock judges expiry.
 */
import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { shareLinks } from '@linebot-edge/shared/schema';
import { adminFetch, createProject, expectJson } from './support/admin';
import { withDb } from './support/db';
import { lineRequests } from './support/emulator';
import { bytesOf, call, linksOf, seedSendRequest, upload } from './support/nas';

type Msg = { type: string; text?: string; originalContentUrl?: string; previewImageUrl?: string };

/** Delivers a file with SHARE_LINK_TTL=60 through the upload endpoint; the message LINE got and the link. */
async function delivered(kind: 'image' | 'pdf', options: { group?: boolean } = {}) {
  const image = kind === 'image';
  const { request, group } = await seedSendRequest({ name: image ? '現場.jpg' : '報告.pdf', size: 3000 }, options);
  const env = { SHARE_LINK_TTL: '60' };
  if (image) expect((await upload(request.id, 'preview', bytesOf(500, 2), { env })).status).toBe(200);
  expect(
    (await upload(request.id, 'file', bytesOf(3000, 3), { env, contentType: image ? 'image/jpeg' : 'application/pdf' }))
      .status,
  ).toBe(200);
  const replies = (await lineRequests('/v2/bot/message/reply')).filter(
    (r) => (r.body as { replyToken: string }).replyToken === request.replyToken,
  );
  expect(replies).toHaveLength(1);
  const message = (replies[0]!.body as { messages: Msg[] }).messages[0]!;
  const [link] = await linksOf(request.id);
  const url = image ? message.originalContentUrl! : /https:\/\/\S+\/s\/[A-Za-z0-9_-]{22}/.exec(message.text!)![0];
  const file = new URL(url).pathname;
  return { message, link: link!, file, preview: `${file}/preview`, group };
}

/** As if the link had been made `interval` earlier, by Postgres' clock. */
const age = (id: string, interval: string) =>
  withDb((db) =>
    db
      .update(shareLinks)
      .set({
        createdAt: sql`${shareLinks.createdAt} - ${interval}::interval`,
        expiresAt: sql`${shareLinks.expiresAt} - ${interval}::interval`,
      })
      .where(eq(shareLinks.id, id)),
  );

const get = (path: string) => call('GET', path, { token: null });
const statuses = async (...paths: string[]) => Promise.all(paths.map(async (p) => (await get(p)).status));

describe('image messages', () => {
  it('sent with SHARE_LINK_TTL=60: the image and its preview are served for 30 days, then 410', async () => {
    const { message, link, file, preview } = await delivered('image');
    expect(message.type).toBe('image');
    expect(link.expiresAt.getTime() - link.createdAt.getTime()).toBe(30 * 86_400_000);
    expect(await statuses(file, preview)).toEqual([200, 200]);
    // Past the download links' 60 seconds: still served (LINE fetches when the chat is opened).
    await age(link.id, '2 minutes');
    expect(await statuses(file, preview)).toEqual([200, 200]);
    await age(link.id, '29 days 23 hours');
    expect(await statuses(file, preview)).toEqual([200, 200]);
    await age(link.id, '2 hours');
    expect(await statuses(file, preview)).toEqual([410, 410]);
    expect((await get(file)).text()).toContain('已過期');
  });

  it('revoked by an operator (DELETE /share-links/{id}): the image and its preview answer 410 at once', async () => {
    const { link, file, preview } = await delivered('image');
    expect(await statuses(file, preview)).toEqual([200, 200]);
    expect(await expectJson(await adminFetch('DELETE', `/share-links/${link.id}`), 200)).toMatchObject({
      id: link.id,
      state: 'revoked',
    });
    expect(await statuses(file, preview)).toEqual([410, 410]);
    expect((await get(preview)).text()).toContain('撤銷');
  });

  it("revoked with the group's project change, like every link of the group", async () => {
    const { link, file, preview, group } = await delivered('image', { group: true });
    expect(await statuses(file, preview)).toEqual([200, 200]);
    const other = await createProject();
    await expectJson(await adminFetch('PATCH', `/groups/${group!.id}`, { body: { projectId: other.id } }), 200);
    expect(await statuses(file, preview)).toEqual([410, 410]);
    const [row] = await withDb((db) => db.select().from(shareLinks).where(eq(shareLinks.id, link.id)));
    expect(row!.revokedAt).not.toBeNull();
  });
});

describe('download links', () => {
  it('a PDF sent with SHARE_LINK_TTL=60 expires after 60 seconds, as its message says', async () => {
    const { message, link, file } = await delivered('pdf');
    expect(message.type).toBe('text');
    expect(link.expiresAt.getTime() - link.createdAt.getTime()).toBe(60_000);
    expect((await get(file)).status).toBe(200);
    await age(link.id, '30 seconds');
    expect((await get(file)).status).toBe(200);
    await age(link.id, '31 seconds');
    const gone = await get(file);
    expect(gone.status).toBe(410);
    expect(gone.text()).toContain('已過期');
  });
});
