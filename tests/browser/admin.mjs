// The operators' pages in real headless Chromium: log in through the form,
// open the dashboard, render history, a render run, problems, the preview wall
// of every profile and the statistics, and fail on any script error, failed
// request or broken picture. Screenshots go to SCREENSHOT_DIR when given.
//
// Usage: node admin.mjs ADMIN_URL TOKEN [SCREENSHOT_DIR]
import { chromium } from 'playwright-core';

const [base, token, shots] = process.argv.slice(2);
const fail = (msg) => { throw new Error(msg); };

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync'],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });

// Not logged in: any page leads to the login form.
await page.goto(`${base}/stats`);
if (!page.url().includes('/login')) fail(`no login form without the token: at ${page.url()}`);
await page.fill('input[name=token]', 'wrong');
await Promise.all([page.waitForLoadState(), page.click('button')]);
if (!(await page.content()).includes('令牌不正确')) fail('a wrong token is not refused');
if (shots) await page.screenshot({ path: `${shots}/login.png` });
await page.fill('input[name=token]', token);
await Promise.all([page.waitForURL(`${base}/stats`), page.click('button')]);

// From here on, every error counts.
const errors = [];
page.on('pageerror', (e) => errors.push(String(e)));
page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
page.on('response', (r) => { if (r.status() >= 400) errors.push(`${r.status()} ${r.url()}`); });

async function visit(path, name, check) {
  await page.goto(`${base}${path}`);
  await page.waitForLoadState('networkidle').catch(() => {});
  const broken = await page.evaluate(() => [...document.images].filter((i) => !i.complete || i.naturalWidth === 0).map((i) => i.src));
  if (broken.length) fail(`${path}: broken pictures ${broken.slice(0, 3).join(' ')}`);
  if (check) await check();
  if (shots) await page.screenshot({ path: `${shots}/${name}.png`, fullPage: name !== 'preview-sd' && name !== 'preview-hd' });
  console.log(`ok ${path}`);
}

await visit('/', 'status', async () => {
  // The live log fills from server-sent events.
  await page.waitForFunction(() => document.getElementById('log').textContent.includes('start'), null, { timeout: 10000 });
});
await visit('/renders', 'renders');
const first = await page.getAttribute('table a', 'href');
await visit(first, 'render-run');
await visit('/problems', 'problems');
for (const profile of ['sd', 'hd']) {
  await visit(`/preview/${profile}`, `preview-${profile}`, async () => {
    const n = await page.locator('.shot').count();
    if (n < 20) fail(`preview ${profile}: only ${n} screens`);
  });
}
await visit('/stats', 'stats', async () => {
  if ((await page.locator('svg rect').count()) < 7) fail('no chart');
});

await browser.close();
if (errors.length) fail(`errors:\n${errors.join('\n')}`);
console.log('admin pages ok');
