/**
 * /find's previews of NAS images: PUT /api/linebot/nas/nas-files/:id/preview (the on-prem job's
 * upload: auth, the contract's refusals, the version it was made from, R2 and the row, a remake
 * replacing the old object), the /find Flex carrying a signed preview URL only for an image with a
 * fresh preview (checked by the LINE emulator against LINE's OpenAPI document), GET /p/:token
 * serving the JPEG while the grant holds (the file indexed unchanged, the asker's scope covering
 * it, not expired) and 404 otherwise (forged, tampered), the Cron sweep of orphaned objects, and a
 * property: no input makes the route or /p/ answer 5xx.
 */
import { env } from 'cloudflare:test';
import { eq, sql } from 'drizzle-orm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lineGroups, nasFilePreviews, nasFiles } from '@linebot-edge/shared/schema';
import { sweepFilePreviews } from '../src/nas/file-previews';
import { jpegSize } from '../src/nas/jpeg-size';
import { previewUrlKey, readPreviewToken, signPreviewToken } from '../src/nas/preview-urls';
import { addMember, createProjectWithFolder, removeMember } from './support/admin';
import { accountOf, boundUser, groupPkOf, pkOf, replyMessagesTo, say } from './support/chat';
import { withDb } from './support/db';
import { call, sha256 } from './support/nas';
import { imagesOf, JPEG, MODIFIED, pathOf, putPreview } from './support/previews';
import { insertNasFiles, memberInProjectGroup, newShare } from './support/nas-find';

/** Another JPEG: the same with a comment segment (a different SHA-256, the same size). */
const JPEG2 = Uint8Array.from([...JPEG.slice(0, 2), 0xff, 0xfe, 0x00, 0x05, 0x76, 0x32, 0x21, ...JPEG.slice(2)]);

const MODIFIED_AT = new Date('2026-11-20T06:30:00.123Z');

/** The file's modified_at to the microsecond (a Date keeps milliseconds only). */
const setModifiedAt = (id: string, iso: string) =>
  withDb((db) =>
    db
      .update(nasFiles)
      .set({ modifiedAt: sql`${iso}::timestamptz` })
      .where(eq(nasFiles.id, id)),
  );

const previewRow = (id: string) =>
  withDb(async (db) => (await db.select().from(nasFilePreviews).where(eq(nasFilePreviews.nasFileId, id)))[0]);

/** An indexed photo (and a PDF), modified_at to the microsecond. */
async function indexed(share = newShare(), folder = '案場A') {
  const [photo, pdf] = await insertNasFiles(share, [
    { path: `${folder}/現場照片-一樓.jpg`, size: 300_000, modifiedAt: MODIFIED_AT },
    { path: `${folder}/現場照片-說明.pdf`, size: 2048, modifiedAt: MODIFIED_AT },
  ]);
  await setModifiedAt(photo!.id, MODIFIED);
  await setModifiedAt(pdf!.id, MODIFIED);
  return { share, photo: photo!, pdf: pdf! };
}

/** A bound member's group, bound to a project whose folder is `share/案場A`; `/find 現場照片` there. */
async function findInGroup(share: string) {
  const { userId, groupId, project } = await memberInProjectGroup(`${share}/案場A`);
  const find = async () => {
    const { ev } = await say({ userId, groupId }, '/find 現場照片');
    const [list] = await replyMessagesTo(ev.replyToken);
    return list!;
  };
  return { userId, groupId, project, find, groupPk: await groupPkOf(groupId), userPk: await pkOf(userId) };
}

describe('PUT /api/linebot/nas/nas-files/:id/preview', () => {
  it('refuses a missing or wrong token (401), an unknown id (404), a file that is no image (409), changing nothing', async () => {
    const { photo, pdf } = await indexed();
    for (const token of [null, 'wrong', env.ADMIN_API_TOKEN]) {
      const res = await putPreview(photo.id, JPEG, { token });
      expect(res.status, String(token)).toBe(401);
    }
    for (const id of [crypto.randomUUID(), 'nope']) {
      const res = await putPreview(id, JPEG);
      expect([res.status, res.json().error], id).toEqual([404, 'not_found']);
    }
    const doc = await putPreview(pdf.id, JPEG);
    expect([doc.status, doc.json().error]).toEqual([409, 'not_an_image']);
    expect(await previewRow(photo.id)).toBeUndefined();
    expect(await previewRow(pdf.id)).toBeUndefined();
  });

  it('411, 400 (bad SHA-256, type or modified-at), 413 over 1 MiB, 422 for a SHA-256 or length mismatch or a body that is no JPEG', async () => {
    const { photo } = await indexed();
    expect((await putPreview(photo.id, JPEG, { length: null })).status).toBe(411);
    expect((await putPreview(photo.id, JPEG, { sha: 'abc' })).status).toBe(400);
    expect((await putPreview(photo.id, JPEG, { contentType: 'image/png' })).status).toBe(400);
    for (const modifiedAt of [null, '2026-11-20 06:30:00', '2026-02-30T00:00:00Z', '2026-11-20T06:30:00.1234567Z']) {
      const res = await putPreview(photo.id, JPEG, { modifiedAt });
      expect([res.status, res.json().error], String(modifiedAt)).toEqual([400, 'invalid_header']);
    }
    expect((await putPreview(photo.id, JPEG, { length: String(1_048_577) })).status).toBe(413);
    const wrongSha = await putPreview(photo.id, JPEG, { sha: await sha256(JPEG2) });
    expect([wrongSha.status, wrongSha.json().error]).toEqual([422, 'sha256_mismatch']);
    expect((await putPreview(photo.id, JPEG, { length: String(JPEG.length - 1) })).status).toBe(422);
    const text = new TextEncoder().encode('<svg onload=alert(1)>');
    const notJpeg = await putPreview(photo.id, text);
    expect([notJpeg.status, notJpeg.json().error]).toEqual([422, 'not_a_jpeg']);
    expect(await previewRow(photo.id)).toBeUndefined();
    const listed = await env.FILES.list({ prefix: `nas-previews/${photo.id}/` });
    expect(listed.objects).toEqual([]);
  });

  it('409 stale for a preview of another version of the file (nothing kept); stores one of this version with its size from the JPEG itself', async () => {
    const { photo } = await indexed();
    // Made from the file a millisecond earlier (the walk has since seen it change): refused.
    const stale = await putPreview(photo.id, JPEG, { modifiedAt: '2026-11-20T06:30:00.122456Z' });
    expect([stale.status, stale.json().error]).toEqual([409, 'stale']);
    expect((await env.FILES.list({ prefix: `nas-previews/${photo.id}/` })).objects).toEqual([]);

    const res = await putPreview(photo.id, JPEG);
    expect([res.status, res.json()]).toEqual([200, { status: 'stored', width: 240, height: 160 }]);
    const row = await previewRow(photo.id);
    const key = `nas-previews/${photo.id}/${await sha256(JPEG)}`;
    expect(row).toMatchObject({ r2Key: key, bytes: JPEG.length, width: 240, height: 160 });
    // The version it was made from, to the microsecond.
    const [same] = await withDb((db) =>
      db.execute<{ same: boolean }>(
        sql`SELECT p.modified_at = ${MODIFIED}::timestamptz AS same FROM nas_file_previews p WHERE p.nas_file_id = ${photo.id}`,
      ),
    ).then((r) => r.rows);
    expect(same?.same).toBe(true);
    expect(new Uint8Array(await (await env.FILES.get(key))!.arrayBuffer())).toEqual(JPEG);
  });

  it('a remake after the file changed replaces the row and deletes the object it replaced', async () => {
    const { photo } = await indexed();
    expect((await putPreview(photo.id, JPEG)).status).toBe(200);
    const firstKey = (await previewRow(photo.id))!.r2Key;
    const changed = '2026-12-01T01:02:03.000001Z';
    await setModifiedAt(photo.id, changed);
    expect((await putPreview(photo.id, JPEG2, { modifiedAt: changed })).status).toBe(200);
    const row = (await previewRow(photo.id))!;
    expect(row.r2Key).toBe(`nas-previews/${photo.id}/${await sha256(JPEG2)}`);
    expect(await env.FILES.head(firstKey)).toBeNull();
    expect(await env.FILES.head(row.r2Key)).not.toBeNull();
  });

  it('never a 5xx: random ids, headers and bodies get a documented status, and a stored preview is exactly the JPEG sent', async () => {
    const { photo, pdf } = await indexed();
    const printable = fc.string({
      unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
      maxLength: 60,
    });
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          id: fc.oneof(fc.constantFrom(photo.id, pdf.id, 'x', '%00', '..'), fc.uuid()),
          token: fc.oneof(fc.constant(undefined), fc.constant(null), printable),
          body: fc.oneof(fc.constant(JPEG), fc.uint8Array({ maxLength: 600 })),
          contentType: fc.oneof(fc.constantFrom('image/jpeg', 'image/png', 'IMAGE/JPEG; q=1', ''), printable),
          length: fc.oneof(fc.constant(undefined), fc.constant(null), printable, fc.nat().map(String)),
          sha: fc.oneof(fc.constant(undefined), printable, fc.stringMatching(/^[0-9a-f]{64}$/)),
          modifiedAt: fc.oneof(
            fc.constantFrom(MODIFIED, '2026-11-20T06:30:00Z', '9999-12-31T23:59:59.999999Z', '1970-01-01T00:00:00Z'),
            fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
            printable,
          ),
        }),
        async (r) => {
          const res = await putPreview(r.id, r.body, {
            token: r.token,
            contentType: r.contentType,
            length: r.length,
            sha: r.sha,
            modifiedAt: r.modifiedAt,
          });
          expect([200, 400, 401, 404, 409, 411, 413, 422, 429]).toContain(res.status);
          // The route's refusals are the contract's; an id like `..` leaves the route (the app's 404).
          if (res.status !== 200) expect(res.json()).toHaveProperty('error');
          const row = await previewRow(photo.id);
          if (row) {
            const object = await env.FILES.get(row.r2Key);
            const bytes = new Uint8Array(await object!.arrayBuffer());
            expect(jpegSize(bytes)).toEqual({ width: row.width, height: row.height });
            expect(bytes.length).toBe(row.bytes);
          }
        },
      ),
      { numRuns: 80 },
    );
  });
});

describe('/find with previews', () => {
  it('an image with a fresh preview shows it beside its name, a PDF none; the URL serves the JPEG; a stale preview is not shown', async () => {
    const { share, photo, pdf } = await indexed();
    expect((await putPreview(photo.id, JPEG)).status).toBe(200);
    const chat = await findInGroup(share);
    const list = await chat.find();
    // One image: the photo's.
    expect(list.altText).toContain('現場照片-一樓.jpg');
    const [image, ...more] = imagesOf(list.contents);
    expect(more).toEqual([]);
    expect(image).toMatchObject({ type: 'image', aspectRatio: '1:1', aspectMode: 'cover' });
    expect(image!.url).toMatch(/^https:\/\/bot\.example\/p\/[A-Za-z0-9_-]{82}\.[A-Za-z0-9_-]{43}$/);
    const grant = await readPreviewToken(
      (await previewUrlKey(env.NAS_AGENT_TOKEN))!,
      pathOf(image!.url).slice('/p/'.length),
    );
    expect(grant).toMatchObject({ fileId: photo.id, askerPk: chat.userPk, chatPk: chat.groupPk });
    expect(grant!.fileId).not.toBe(pdf.id);

    const served = await call('GET', pathOf(image!.url), { token: null });
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('image/jpeg');
    expect(served.headers.get('x-content-type-options')).toBe('nosniff');
    expect(served.bytes).toEqual(JPEG);
    expect((await call('HEAD', pathOf(image!.url), { token: null })).status).toBe(200);

    // The file changes on the NAS (the walk updates modified_at): the old URL stops working and a
    // new /find shows no preview until the job has made one of this version.
    await setModifiedAt(photo.id, '2026-11-21T00:00:00.5Z');
    expect((await call('GET', pathOf(image!.url), { token: null })).status).toBe(404);
    expect(imagesOf((await chat.find()).contents)).toEqual([]);
    expect((await putPreview(photo.id, JPEG2, { modifiedAt: '2026-11-21T00:00:00.5Z' })).status).toBe(200);
    const [again] = imagesOf((await chat.find()).contents);
    expect(again!.url).not.toBe(image!.url);
    expect((await call('GET', pathOf(again!.url), { token: null })).bytes).toEqual(JPEG2);
  });

  it('forged, tampered, expired or foreign tokens get 404; so does a URL once the asker may no longer see the file or it left the index', async () => {
    const { share, photo } = await indexed();
    expect((await putPreview(photo.id, JPEG)).status).toBe(200);
    const chat = await findInGroup(share);
    const [image] = imagesOf((await chat.find()).contents);
    const path = pathOf(image!.url);
    expect((await call('GET', path, { token: null })).status).toBe(200);

    const token = path.slice('/p/'.length);
    const [payload, sig] = token.split('.') as [string, string];
    const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
    const key = (await previewUrlKey(env.NAS_AGENT_TOKEN))!;
    const grant = (await readPreviewToken(key, token))!;
    const otherKey = (await previewUrlKey('another-nas-agent-token-of-32-characters'))!;
    for (const forged of [
      'x',
      `${payload}`,
      `${flip(payload, 10)}.${sig}`,
      `${payload}.${flip(sig, 5)}`,
      await signPreviewToken(otherKey, grant),
      // Signed by us but expired (a second ago), or for another asker of the same chat.
      await signPreviewToken(key, { ...grant, expiresAt: Math.floor(Date.now() / 1000) - 1 }),
      await signPreviewToken(key, { ...grant, askerPk: await pkOf(await boundUser()) }),
    ]) {
      const res = await call('GET', `/p/${forged}`, { token: null });
      expect(res.status, forged).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    }

    // The group's project changes: the asker may no longer see the old folder from there.
    const other = await createProjectWithFolder(`${newShare()}/其他`);
    await withDb((db) => db.update(lineGroups).set({ projectId: other.id }).where(eq(lineGroups.id, chat.groupPk)));
    expect((await call('GET', path, { token: null })).status).toBe(404);
    await withDb((db) =>
      db.update(lineGroups).set({ projectId: chat.project.id }).where(eq(lineGroups.id, chat.groupPk)),
    );
    expect((await call('GET', path, { token: null })).status).toBe(200);

    // The file leaves the index: its row goes with it, the URL is a 404, the sweep deletes the object.
    const r2Key = (await previewRow(photo.id))!.r2Key;
    await withDb((db) => db.delete(nasFiles).where(eq(nasFiles.id, photo.id)));
    expect(await previewRow(photo.id)).toBeUndefined();
    expect((await call('GET', path, { token: null })).status).toBe(404);
    const start = `nas-previews/${photo.id.slice(0, 8)}`;
    // Within the hour after its upload an object is left alone (its row may be on its way).
    expect(await withDb((db) => sweepFilePreviews(db, env.FILES, start))).toMatchObject({ deleted: 0 });
    expect(await env.FILES.head(r2Key)).not.toBeNull();
    const later = Date.now() + 2 * 3600_000;
    await withDb((db) => sweepFilePreviews(db, env.FILES, start, later));
    expect(await env.FILES.head(r2Key)).toBeNull();
  });

  it('in a 1:1 chat: the URL is bound to the asker alone, and ends when they leave the project', async () => {
    const { share, photo } = await indexed();
    expect((await putPreview(photo.id, JPEG)).status).toBe(200);
    const userId = await boundUser();
    const project = await createProjectWithFolder(`${share}/案場A`);
    await addMember(project.id, accountOf(userId));
    const { ev } = await say({ userId }, '/find 現場照片');
    const [list] = await replyMessagesTo(ev.replyToken);
    const [image] = imagesOf(list!.contents);
    const path = pathOf(image!.url);
    const grant = await readPreviewToken((await previewUrlKey(env.NAS_AGENT_TOKEN))!, path.slice('/p/'.length));
    expect(grant).toMatchObject({ fileId: photo.id, askerPk: await pkOf(userId), chatPk: null });
    expect((await call('GET', path, { token: null })).bytes).toEqual(JPEG);
    await removeMember(project.id, accountOf(userId));
    expect((await call('GET', path, { token: null })).status).toBe(404);
  });

  it('the sweep keeps every object a row names', async () => {
    const { photo } = await indexed();
    expect((await putPreview(photo.id, JPEG)).status).toBe(200);
    const r2Key = (await previewRow(photo.id))!.r2Key;
    await withDb((db) =>
      sweepFilePreviews(db, env.FILES, `nas-previews/${photo.id.slice(0, 8)}`, Date.now() + 2 * 3600_000),
    );
    expect(await env.FILES.head(r2Key)).not.toBeNull();
  });

  it('never a 5xx at /p/: random tokens and methods', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 200 }).map(encodeURIComponent),
          fc.stringMatching(/^[A-Za-z0-9_-]{82}\.[A-Za-z0-9_-]{43}$/),
        ),
        fc.constantFrom('GET', 'HEAD', 'POST', 'PUT'),
        async (token, method) => {
          const res = await call(method, `/p/${token}`, { token: null });
          expect([404, 405]).toContain(res.status);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('jpegSize', () => {
  it('reads the frame header of a real JPEG; anything else is null, never an exception', () => {
    expect(jpegSize(JPEG)).toEqual({ width: 240, height: 160 });
    expect(jpegSize(JPEG2)).toEqual({ width: 240, height: 160 });
    expect(jpegSize(JPEG.slice(0, 100))).toBeNull();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), (bytes, cut) => {
        for (const b of [bytes, Uint8Array.from([0xff, 0xd8, ...bytes]), JPEG.slice(0, cut % JPEG.length)]) {
          const size = jpegSize(b);
          if (size) expect(size.width > 0 && size.height > 0).toBe(true);
        }
      }),
    );
  });
});
