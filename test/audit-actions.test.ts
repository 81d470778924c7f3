/**
 * The audit trail of rights changes, through the surfaces that make them: binding codes issued
 * (never the code), LINE users bound and unbound (chat, API, console), projects created and
 * changed, group settings (the instructions' length, never their text), and share links revoked.
 * Each entry says who (the account, the API, the console operator), from where, on what.
 */
import { and, asc, eq, inArray } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditLog, lineUsers } from '@linebot-edge/shared/schema';
import { liveCodeOf } from '../src/domain/accounts';
import { adminFetch, createAccount, expectJson, issueCode, seedGroup } from './support/admin';
import { pkOf, say } from './support/chat';
import { operator, submit } from './support/console';
import { withDb } from './support/db';
import { newId } from './support/line';
import { seedShareLink } from './support/nas';

const entries = (where: { targetId?: string; actions: string[] }) =>
  withDb((db) =>
    db
      .select()
      .from(auditLog)
      .where(
        and(
          inArray(auditLog.action, where.actions),
          where.targetId ? eq(auditLog.targetId, where.targetId) : undefined,
        ),
      )
      .orderBy(asc(auditLog.id)),
  );

describe('bindings', () => {
  it('codes issued by the API and the console (never the code), bound and unbound in chat, unbound by the API and the console', async () => {
    const account = await createAccount();
    const { code } = await issueCode(account.id);
    const op = await operator();
    await submit(`/accounts/${account.id}/binding-code`, op);
    const issued = await entries({ targetId: String(account.id), actions: ['binding.code_issued'] });
    expect(issued.map((e) => [e.via, e.operator, e.targetType])).toEqual([
      ['api', 'api', 'user'],
      ['console', expect.stringMatching(/^token:/), 'user'],
    ]);
    for (const e of issued) expect(JSON.stringify(e)).not.toContain(code);

    // The console's code was the last: bind with it.
    const live = (await withDb((db) => liveCodeOf(db, account.id)))!.code;
    const userId = newId.user();
    expect((await say({ userId }, live)).replies[0]).toContain('綁定成功');
    expect((await say({ userId }, '/unbind')).replies[0]).toContain('已解除綁定');
    const userPk = await pkOf(userId);
    // Bound again by hand, then unbound by the API (audited) and again (nothing to record).
    await withDb((db) => db.update(lineUsers).set({ userId: account.id }).where(eq(lineUsers.id, userPk)));
    await expectJson(await adminFetch('DELETE', `/line-users/${userPk}/binding`), 204);
    await expectJson(await adminFetch('DELETE', `/line-users/${userPk}/binding`), 204);
    await withDb((db) => db.update(lineUsers).set({ userId: account.id }).where(eq(lineUsers.id, userPk)));
    await submit(`/line-users/${userPk}/unbind`, op);

    const trail = await entries({ targetId: String(account.id), actions: ['binding.bound', 'binding.unbound'] });
    expect(trail.map((e) => [e.action, e.via, e.actorLineUserId, e.actorUserId])).toEqual([
      ['binding.bound', 'chat', userPk, account.id],
      ['binding.unbound', 'chat', userPk, account.id],
      ['binding.unbound', 'api', null, null],
      ['binding.unbound', 'console', null, null],
    ]);
  });
});

describe('projects, groups and share links', () => {
  it('project created and changed, group settings (instructions by length), a share link revoked once', async () => {
    const name = `Audit ${crypto.randomUUID()}`;
    const project = await expectJson(
      await adminFetch('POST', '/projects', { body: { name, nasFolder: 'projects/a' } }),
      201,
    );
    await expectJson(
      await adminFetch('PATCH', `/projects/${project.id}`, {
        body: { aiInstructions: 'secret plan', nasFolder: null },
      }),
      200,
    );
    expect(
      (await entries({ targetId: project.id, actions: ['project.created', 'project.changed'] })).map((e) => [
        e.action,
        e.via,
        e.details,
      ]),
    ).toEqual([
      ['project.created', 'api', { name, nasFolder: 'projects/a' }],
      ['project.changed', 'api', { nasFolder: null, aiInstructionsLength: 11 }],
    ]);

    const group = await seedGroup();
    await expectJson(
      await adminFetch('PATCH', `/groups/${group.id}`, {
        body: { aiInstructions: 'never in the trail', allowAiResponse: false },
      }),
      200,
    );
    const op = await operator();
    await submit(`/groups/${group.id}/ai`, op, { allow: 'true' });
    await submit(`/groups/${group.id}/project`, op, { projectId: project.id });
    await submit(`/groups/${group.id}/project`, op, { projectId: '' });
    const settings = await entries({ targetId: group.id, actions: ['group.settings_changed', 'group.project_set'] });
    expect(settings.map((e) => [e.action, e.via, e.lineGroupId, e.details])).toEqual([
      ['group.settings_changed', 'api', group.id, { allowAiResponse: false, aiInstructionsLength: 18 }],
      ['group.settings_changed', 'console', group.id, { allowAiResponse: true }],
      ['group.project_set', 'console', group.id, { from: null, to: project.id }],
      ['group.project_set', 'console', group.id, { from: project.id, to: null }],
    ]);
    expect(settings.at(-1)!.operator).toMatch(/^token:/);
    expect(JSON.stringify(settings)).not.toContain('never in the trail');

    const { link } = await seedShareLink({ name: 'a.pdf', contentType: 'application/pdf', bytes: new Uint8Array(8) });
    await expectJson(await adminFetch('DELETE', `/share-links/${link.id}`), 200);
    await expectJson(await adminFetch('DELETE', `/share-links/${link.id}`), 200);
    expect(
      (await entries({ targetId: link.id, actions: ['share_link.revoked'] })).map((e) => [e.via, e.details]),
    ).toEqual([['api', { reason: 'revoked' }]]);
  });
});
