// What every browser test here starts with: Debian's Chromium, headless,
// driven by playwright-core (never a downloaded browser), and a failure that
// ends the script with its message.
import { chromium } from 'playwright-core';

export const fail = (msg) => { throw new Error(msg); };

export const launch = () => chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync'],
});
