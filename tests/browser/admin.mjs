// The operators' pages in real headless Chromium, as the people who use
// them: the first administrator logs in and must change the generated
// password, adds a reviewer and an auditor (their passwords shown once);
// each of them logs in, changes that password, and sees the menu of their
// role. The reviewer then opens the dashboard, render history, a render
// run, problems, the preview wall of every profile and the statistics, and
// the test fails on any script error, failed request or broken picture.
// Screenshots go to SCREENSHOT_DIR when given.
//
// Usage: node admin.mjs ADMIN_URL FIRST_ADMIN_PASSWORD [SCREENSHOT_DIR]
import { fail, launch } from './chromium.mjs';

const [base, firstPassword, shots] = process.argv.slice(2);

const browser = await launch();
// Every page, the login form included, runs under a policy without
// unsafe-inline: anything it refuses (a style or script without the
// answer's nonce) is a failure.
const refusedByPolicy = [];
const person = async () => {
  const p = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  p.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) refusedByPolicy.push(`${p.url()}: ${m.text()}`); });
  return p;
};
const menu = async (p) => (await p.locator('header nav a').allTextContents()).join(' ');
async function login(p, name, password) {
  await p.fill('input[name=name]', name);
  await p.fill('input[name=password]', password);
  await Promise.all([p.waitForNavigation(), p.click('form.login button')]);
}
// A password set by someone else must be replaced before anything else.
async function ownPassword(p, current, mine) {
  if (!p.url().endsWith('/password')) fail(`no forced change: at ${p.url()}`);
  await p.fill('input[name=current]', current);
  await p.fill('input[name=new]', mine);
  await p.fill('input[name=again]', mine);
  await Promise.all([p.waitForNavigation(), p.click('form.login button')]);
}
const secret = async (p) => (await p.locator('.secret code').textContent()).trim();

// Not logged in: any page leads to the login form; a wrong password is refused.
const admin = await person();
await admin.goto(`${base}/stats`);
if (!admin.url().includes('/login')) fail(`no login form: at ${admin.url()}`);
await login(admin, 'admin', 'wrong-password');
if (!(await admin.content()).includes('账号或口令不正确')) fail('a wrong password is not refused');
if (shots) await admin.screenshot({ path: `${shots}/login.png` });
await login(admin, 'admin', firstPassword);
if (shots) await admin.screenshot({ path: `${shots}/password.png` });
await ownPassword(admin, firstPassword, 'weakpassword1');
if (!admin.url().endsWith('/password')) fail('a weak password was taken');
await ownPassword(admin, firstPassword, 'Wanyuan-Guanli-2026');
if (!admin.url().endsWith('/accounts')) fail(`the administrator lands at ${admin.url()}`);
if ((await menu(admin)) !== '账号') fail(`the administrator's menu: ${await menu(admin)}`);

// Accounts for a reviewer and an auditor.
const made = {};
for (const [name, role] of [['chen', 'reviewer'], ['sun', 'auditor']]) {
  await admin.fill('input[name=name]', name);
  await admin.selectOption('select[name=role]', role);
  await Promise.all([admin.waitForNavigation(), admin.click('form.range button')]);
  made[name] = await secret(admin);
}
if (shots) await admin.screenshot({ path: `${shots}/accounts.png`, fullPage: true });

const auditor = await person();
await auditor.goto(`${base}/`);
await login(auditor, 'sun', made.sun);
await ownPassword(auditor, made.sun, 'Shenji-Wanyuan-26!');
if (!auditor.url().endsWith('/audit')) fail(`the auditor lands at ${auditor.url()}`);
if ((await menu(auditor)) !== '审计日志') fail(`the auditor's menu: ${await menu(auditor)}`);
if (!(await auditor.content()).includes('哈希链完整')) fail('the chain state is not shown');
if ((await auditor.locator('table tr').count()) < 8) fail('too few audit rows');
const denied = await auditor.goto(`${base}/stats`);
if (denied.status() !== 403 || !(await auditor.content()).includes('无权访问')) fail('the auditor reached the statistics');

const page = await person();
await page.goto(`${base}/stats`);
await login(page, 'chen', made.chen);
await ownPassword(page, made.chen, 'Shenhe-Wanyuan-26');
const readerMenu = await menu(page);
if (readerMenu !== '状态 审核 渲染记录 问题 预览墙 统计 投票评价 诉求') fail(`the reviewer's menu: ${readerMenu}`);

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

if (shots) {
  await auditor.goto(`${base}/audit`);
  await auditor.screenshot({ path: `${shots}/audit.png`, fullPage: true });
}
// Logging out ends the session: the page behind it asks for a login again.
await Promise.all([page.waitForURL(/\/login/), page.click('header form button')]);
await page.goto(`${base}/stats`);
if (!page.url().includes('/login')) fail('still logged in after logging out');

await browser.close();
if (refusedByPolicy.length) fail(`refused by the page's policy:\n${refusedByPolicy.join('\n')}`);
if (errors.length) fail(`errors:\n${errors.join('\n')}`);
console.log('admin pages ok');
