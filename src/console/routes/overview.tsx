/** GET /admin: the overview screen. */
import { Hono } from 'hono';
import { t } from '../i18n';
import { loadOverview } from '../../domain/overview';
import { pushQuota } from '../../domain/push-quota';
import { lineClientOf } from '../../services';
import type { ConsoleEnv } from '../types';
import { OverviewPage } from '../views/overview';

export const overviewRoutes = new Hono<ConsoleEnv>().get('/', async (c) => {
  const lang = c.get('lang');
  const db = c.get('db');
  const overview = await loadOverview(db);
  overview.pushQuota = await pushQuota({ db, line: lineClientOf(c.env), log: c.get('log') });
  return c.render(<OverviewPage lang={lang} overview={overview} />, {
    title: t(lang, 'overview.title'),
    screen: 'overview',
  });
});
