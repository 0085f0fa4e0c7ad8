// The header's date and clock on a box behind a static edge node, whose
// generation.json carries no server time, only the day the export was built:
// a box with a set clock shows today by its own clock; a box whose clock was
// never set (years before the build) shows no date or clock rather than a
// wrong one, until its clock is set.
//
// Usage: node edge.mjs EDGE_URL
import { fail, launch } from './chromium.mjs';

const [base] = process.argv.slice(2);

const browser = await launch();
const errors = [];
const polled = await (await fetch(`${base}/api/v1/generation`)).json();
if (polled.time !== undefined) fail(`the edge's generation carries a server time: ${JSON.stringify(polled)}`);
// The day it was built: the export was made just now (today, or yesterday
// if midnight UTC has passed since).
const today = Math.floor(Date.now() / 864e5) * 864e5;
if (polled.built !== today && polled.built !== today - 864e5) fail(`the edge's generation gives ${polled.built} as its build day, not ${today}`);

// What the header shows: the clock's and the date's visible glyphs, and the
// date the box's own clock gives in the channel's zone.
async function header(page) {
  return page.evaluate(() => {
    const shown = (id) => document.getElementById(id).style.visibility === 'visible';
    const clock = [0, 1, 2, 3, 4].filter((k) => shown(`c${k}`)).length;
    const date = Array.from({ length: 13 }, (_, k) => k).filter((k) => shown(`d${k}`)).length;
    const t = new Date(Date.now() + tz * 60000);
    const today = `${t.getUTCFullYear()}年${t.getUTCMonth() + 1}月${t.getUTCDate()}日`;
    return { clock, date, today, digits: today.replace(/[^0-9]/g, '').length };
  });
}

async function box(profile, width, height, clock) {
  const context = await browser.newContext({ viewport: { width, height } });
  if (clock) await context.clock.install({ time: clock });
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(`${profile}: ${e}`));
  await page.goto(`${base}/tv/${profile}/home.html`);
  // The first poll has come back once the shell knows the generation.
  await page.waitForFunction(() => G !== '', null, { timeout: 10000 });
  return { context, page };
}

for (const [profile, width, height] of [['sd', 720, 576], ['hd', 1280, 720]]) {
  // A set clock: the clock's five glyphs, and the date (its digits, 年 月 日,
  // 星期 and the weekday) as the box's own clock gives it.
  {
    const { context, page } = await box(profile, width, height, null);
    const h = await header(page);
    if (h.clock !== 5) fail(`${profile}: a box with a set clock shows ${h.clock} of the clock's 5 glyphs`);
    if (h.date !== h.digits + 5) fail(`${profile}: ${h.today} should draw ${h.digits + 5} date glyphs, shows ${h.date}`);
    await context.close();
  }
  // A clock never set (the year 2000): nothing, however long it runs.
  {
    const { context, page } = await box(profile, width, height, new Date('2000-01-01T00:00:00Z'));
    await context.clock.runFor(12000);
    const h = await header(page);
    if (h.clock || h.date) fail(`${profile}: a box whose clock reads ${h.today} shows ${h.clock} clock and ${h.date} date glyphs`);
    // Set at last (as by the network's time): the next tick shows both.
    await context.clock.setSystemTime(polled.built + 3600000);
    await context.clock.runFor(6000);
    const set = await header(page);
    if (set.clock !== 5 || set.date !== set.digits + 5) {
      fail(`${profile}: once the clock is set, ${set.clock} clock and ${set.date} date glyphs for ${set.today}`);
    }
    await context.close();
  }
  console.log(`${profile}: date and clock by a set box clock, none by an unset one, both once it is set`);
}
await browser.close();
if (errors.length) fail(`script errors: ${errors.join('; ')}`);
