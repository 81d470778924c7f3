/** GET /admin: the overview screen. */
import { Hono } from 'hono';
import { t } from '../i18n';
import { loadOverview } from '../../domain/overview';
import type { ConsoleEnv } from '../types';
import { OverviewPage } from '../views/overview';

export const overviewRoutes = new Hono<ConsoleEnv>().get('/', async (c) => {
  const lang = c.get('lang');
  const overview = await loadOverview(c.get('db'));
  return c.render(<OverviewPage lang={lang} overview={overview} />, {
    title: t(lang, 'overview.title'),
    screen: 'overview',
  });
});
