/**
 * `get_project`: the project the asker's group or room is bound to. Read from the chat's current
 * binding (the asker's context names the chat; the model names nothing), so a group unbound while
 * the answer runs shows no project.
 */
import { eq } from 'drizzle-orm';
import { lineGroups, projects } from '@linebot-edge/shared/schema';
import { taipeiDate } from '../../lib/taipei';
import { oneLine } from '../quote';
import type { AiTool } from '../types';

export const getProject: AiTool = {
  name: 'get_project',
  description:
    "The company project this group or room is bound to: its name, id and creation date. Use it when the question is about this chat's project.",
  input_schema: { type: 'object', properties: {} },

  async run({ db }, asker) {
    if (asker.chatPk === null)
      return 'This is a 1:1 chat. Projects are bound to groups and rooms, so no project is bound here.';
    const [project] = await db
      .select({ id: projects.id, name: projects.name, createdAt: projects.createdAt })
      .from(lineGroups)
      .innerJoin(projects, eq(projects.id, lineGroups.projectId))
      .where(eq(lineGroups.id, asker.chatPk));
    const chat = asker.chatType === 'room' ? 'chat' : 'group';
    if (!project) return `No project is bound to this ${chat}.`;
    return [
      `Project bound to this ${chat}:`,
      `name: ${oneLine(project.name, 200)}`,
      `id: ${project.id}`,
      `created: ${taipeiDate(project.createdAt)}`,
    ].join('\n');
  },
};
