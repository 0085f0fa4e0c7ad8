// Households answering with the remote, in real headless Chromium at 720x576:
// a two-question poll picked with digits (DOM keys and dispatched iPanel
// codes), the results screen; the same box changing its answer; a second box
// adding its own; a rating; a request with a callback number typed on the
// remote and its reference read off the screen; back from the start screen
// to the portal's return address, and to site.toml's portal_url without one.
//
// Usage: node answers.mjs BASE_URL
import { fail, launch } from './chromium.mjs';

const [base] = process.argv.slice(2);
// A box reloads its screen by itself when a new generation changed it
// (answers re-render the results screen): a navigation of the test's can
// meet one of the box's own, and is then simply made again.
const go = async (page, url) => {
  for (let i = 0; ; i++) {
    try {
      return await page.goto(url);
    } catch (e) {
      if (i >= 3 || !String(e).includes('interrupted by another navigation')) throw e;
      await page.waitForLoadState('load');
    }
  }
};

const browser = await launch();
const errors = [];
const graph = await (await fetch(`${base}/api/v1/sd/graph.json`)).json();
const entries = Object.entries(graph.screens);
const find = (f) => { const e = entries.find(([id, s]) => f(s, id)); if (!e) fail('no such screen'); return e[0]; };
const q1 = find((s) => s.ask && s.ask.kind === 'question' && s.ask.index === 0);
const q2 = find((s) => s.ask && s.ask.kind === 'question' && s.ask.index === 1);
const results = graph.screens[q2].ask.send.next.split('#')[0];
const rating = find((s) => s.ask && s.ask.kind === 'rating');
const phone1 = find((s) => s.ask && s.ask.kind === 'phone' && s.ask.number === 1);
const desk = graph.screens[phone1].parent;

async function box() {
  const context = await browser.newContext({ viewport: { width: 720, height: 576 } });
  await context.route('http://portal.example/**', (r) => r.fulfill({ status: 200, contentType: 'text/html', body: '<p>portal</p>' }));
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(`${e}`));
  const at = () => new URL(page.url()).pathname.split('/').pop().replace('.html', '');
  const F = () => page.evaluate('F');
  // A key as a box delivers it: a keydown whose keyCode is the box's code.
  const code = (c) => page.evaluate((c) => {
    const e = document.createEvent('Event');
    e.initEvent('keydown', true, true);
    Object.defineProperty(e, 'keyCode', { get: () => c });
    document.dispatchEvent(e);
  }, c);
  const to = async (act, test) => {
    await Promise.all([page.waitForURL(test, { timeout: 10000 }), act()]);
    await page.waitForLoadState('load');
  };
  const screen = (id) => (u) => u.pathname.endsWith(`/${id}.html`);
  const visible = (id) => page.evaluate((i) => document.getElementById(i).style.visibility === 'visible', id);
  return { context, page, at, F, code, to, screen, visible };
}

// Answers the poll from the first question with two digits; `useCodes`
// sends the second answer as iPanel codes (digits 48–57, OK 13).
async function answer(b, first, second, useCodes) {
  const { page, F, code, to, screen } = b;
  await go(page, `${base}/tv/sd/${q1}.html`);
  const n1 = graph.screens[q1].ask.choices;
  await page.keyboard.press(String(first));
  if (await F() !== n1 + first - 1) fail(`digit ${first} shows choice ${first} as chosen, F=${await F()}`);
  await to(() => page.keyboard.press('Enter'), screen(q2));
  if (!page.url().includes(`a=${first}`)) fail(`the first answer rides along: ${page.url()}`);
  const n2 = graph.screens[q2].ask.choices;
  if (useCodes) await code(48 + second); else await page.keyboard.press(String(second));
  if (await F() !== n2 + second - 1) fail(`second digit chosen, F=${await F()}`);
  // Back un-chooses; the digit again chooses.
  await page.keyboard.press('Escape');
  if (await F() !== second - 1) fail(`back returns to the choice, F=${await F()}`);
  if (useCodes) await code(48 + second); else await page.keyboard.press(String(second));
  await to(() => (useCodes ? code(13) : page.keyboard.press('Enter')), screen(results));
}

// Box 1: opened by the portal with a return address.
const one = await box();
await go(one.page, `${base}/?returnurl=${encodeURIComponent(`${base}/portal-back?from=infotv`)}`);
if (one.at() !== 'home') fail(`/ leads to home: ${one.page.url()}`);
await answer(one, 3, 2, false);
// The same box changes its mind: 2 then 2 replaces 3 then 2.
await answer(one, 2, 2, true);

// Box 2: a box of its own (its own infotv_box cookie).
const two = await box();
await answer(two, 1, 1, true);

// The results screen shows what the store holds once re-rendered (1 s here).
const shown = async () => (await (await fetch(`${base}/api/v1/sd/screens/${results}.json`)).text()).includes('2 户参与');
for (let i = 0; i < 100 && !(await shown()); i++) await new Promise((r) => setTimeout(r, 200));
if (!(await shown())) fail('the results screen shows two boxes');

// A rating: 2 is 满意 (level 4).
await go(one.page, `${base}/tv/sd/${rating}.html`);
await one.page.keyboard.press('2');
await one.to(() => one.page.keyboard.press('Enter'), one.screen(`${rating}-ok`));

// A request: category 1 with a digit, a number typed, one digit corrected.
await go(one.page, `${base}/tv/sd/${desk}.html`);
await one.to(() => one.page.keyboard.press('1'), one.screen(phone1));
await one.page.keyboard.press('1'); await one.page.keyboard.press('3');
await one.page.keyboard.press('Enter');
if (!(await one.visible('nw'))) fail('a number too short shows a notice');
if (await one.F() !== 0) fail('and stays typing');
for (const d of '881812349') await one.page.keyboard.press(d);
await one.code(340); // iPanel back deletes the last digit
await one.code(48 + 5);
if (await one.page.evaluate('ph') !== '13881812345') fail(`typed ${await one.page.evaluate('ph')}`);
for (let k = 0; k < 11; k++) if (!(await one.visible(`p${k}`))) fail(`digit ${k} shown as typed`);
await one.page.keyboard.press('Enter');
if (await one.F() !== 1) fail('OK asks to check the number first');
await one.to(() => one.page.keyboard.press('Enter'), (u) => u.pathname.endsWith(`/${desk}-ok.html`));
const reference = new URL(one.page.url()).searchParams.get('r');
if (!/^\d{4}-\d{4}$/.test(reference || '')) fail(`a reference on screen: ${one.page.url()}`);
for (let k = 0; k < 8; k++) if (!(await one.visible(`p${k}`))) fail(`reference digit ${k} shown`);
console.log(`reference ${reference}`);

// The keytest page shows the return address this box keeps.
await go(one.page, `${base}/tv/keytest`);
const keytest = await one.page.textContent('body');
if (!keytest.includes(`${base}/portal-back?from=infotv`)) fail(`keytest shows the return address: ${keytest}`);

// Back on the start screen leaves for the portal: box 1 to its return
// address (by iPanel's back, 340), box 2 to site.toml's portal_url.
await go(one.page, `${base}/tv/sd/home.html`);
await one.to(() => one.code(340), (u) => u.pathname === '/portal-back');
await go(two.page, `${base}/tv/sd/home.html`);
await two.to(() => two.page.keyboard.press('Escape'), (u) => u.host === 'portal.example');

await browser.close();
if (errors.length) fail(`script errors: ${errors.join('; ')}`);
console.log('answers ok');
