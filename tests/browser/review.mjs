// Review before air in real headless Chromium: a reviewer logs in, opens
// 内容审核, sees the waiting article's screens of both profiles (now and
// after approval, every picture loaded), approves it, and the box then
// shows the article. Screenshots go to SCREENSHOT_DIR when given.
//
// Usage: node review.mjs ADMIN_URL BOX_URL NAME PASSWORD TITLE [SCREENSHOT_DIR]
import { fail, launch } from './chromium.mjs';

const [admin, boxes, name, password, title, shots] = process.argv.slice(2);

const browser = await launch();
const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
const errors = [];
page.on('pageerror', (e) => errors.push(String(e)));
page.on('response', (r) => { if (r.status() >= 400) errors.push(`${r.status()} ${r.url()}`); });

await page.goto(`${admin}/review`);
await page.fill('input[name=name]', name);
await page.fill('input[name=password]', password);
await Promise.all([page.waitForNavigation(), page.click('form.login button')]);
if (!page.url().endsWith('/review')) fail(`not at the review page: ${page.url()}`);
const section = page.locator('section.review').filter({ hasText: title });
if ((await section.count()) !== 1) fail(`the waiting article is not listed: ${await page.content()}`);
for (const profile of ['sd', 'hd']) {
  if ((await section.locator('h3', { hasText: profile }).count()) !== 1) fail(`no ${profile} screens`);
}
const after = section.locator('figure', { hasText: '通过后' }).locator('img');
if ((await after.count()) < 2) fail('fewer than two screens after approval');
const broken = await page.evaluate(() => [...document.images].filter((i) => !i.complete || i.naturalWidth === 0).map((i) => i.src));
if (broken.length) fail(`broken pictures: ${broken.join(' ')}`);
if (shots) await page.screenshot({ path: `${shots}/review.png`, fullPage: true });

// Not on the boxes yet; approved, it is.
const graph = async () => (await (await fetch(`${boxes}/api/v1/sd/graph.json`)).text());
if ((await graph()).includes(title)) fail('on air before approval');
await Promise.all([page.waitForNavigation(), section.locator('button', { hasText: '通过并播出' }).click()]);
if (!(await graph()).includes(title)) fail('not on air after approval');
if ((await page.locator('section.review').filter({ hasText: title }).count()) !== 0) fail('still listed as waiting');

// The box: open the article's screen as a box would.
const g = JSON.parse(await graph());
const id = Object.keys(g.screens).find((k) => g.screens[k].title === title && g.screens[k].kind === 'article');
if (!id) fail('no article screen');
const tv = await (await browser.newContext({ viewport: { width: 720, height: 576 } })).newPage();
await tv.goto(`${boxes}/tv/sd/${id}.html`);
await tv.waitForLoadState('networkidle').catch(() => {});
const shown = await tv.evaluate(() => [...document.images].filter((i) => i.complete && i.naturalWidth > 0).length);
if (shown < 1) fail('the box shows no picture');
if (shots) await tv.screenshot({ path: `${shots}/box-after-approval.png` });

await browser.close();
if (errors.length) fail(`errors:\n${errors.join('\n')}`);
console.log('review ok');
