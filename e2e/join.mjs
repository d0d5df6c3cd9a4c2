// Browser end-to-end test of the join page: Playwright (playwright-core) drives Debian's
// Chromium, headless, against a huiyi server this script starts and stops itself.
//
//   node e2e/join.mjs            (after `cargo build -p huiyi-server`)
//
// Environment: HUIYI_BIN (default target/debug/huiyi), CHROMIUM (default /usr/bin/chromium),
// E2E_SCREENSHOTS (default target/e2e-screenshots). Exits non-zero with a message on failure.

import { chromium } from 'playwright-core';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { spawn, spawnSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = process.env.HUIYI_BIN || path.join(ROOT, 'target/debug/huiyi');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SHOTS = process.env.E2E_SCREENSHOTS || path.join(ROOT, 'target/e2e-screenshots');
const HOST_USER = 10001; // the demo tenant's host (services/tenants.rs)
const WAIT = 10_000; // the longest any single UI step may take
const HEARTBEAT_BOUND = 15_000; // a closed tab must be gone from the count within this
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
const DESKTOP = { viewport: { width: 1280, height: 800 } };
// `area` as configured; `zh`, what the Chinese page shows (a number's area comes from its area code).
const DIAL_IN = [{ area: '全国', zh: '全国', number: '400-810-5211' }, { area: 'Beijing', zh: '北京', number: '+86 10 5808 4299' }];

let server = null;
let serverLog = '';
// Letters the server sends, as an independent parser (mailparser) reads them.
const letters = [];
let smtp = null;
let dataDir = null;
const MEDIA_SECRET = randomBytes(24).toString('hex');
let browser = null;
const pages = new Map(); // label -> page, for screenshots on failure
const jsErrors = [];
let passed = 0;

function check(ok, what) {
  if (!ok) throw new Error(`check failed: ${what}`);
  passed += 1;
  console.log(`  ok ${passed} - ${what}`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Starts `huiyi serve --demo` on a fresh database; resolves with its URL and API key. */
async function startServer() {
  if (!fs.existsSync(BIN)) throw new Error(`${BIN} is missing: run cargo build -p huiyi-server first`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'huiyi-e2e-'));
  dataDir = dir;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = path.join(dir, 'huiyi.toml');
  // A local SMTP server (the smtp-server package) receives the invitation letters.
  const smtpPort = await freePort();
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, done) {
      simpleParser(stream).then((m) => { letters.push(m); done(); }, done);
    },
  });
  await new Promise((resolve) => smtp.listen(smtpPort, '127.0.0.1', resolve));
  fs.writeFileSync(config,
    `smtp_url = "smtp://127.0.0.1:${smtpPort}"\nmail_from = "会议 huiyi <meet@huiyi.test>"\n`
    + DIAL_IN.map((n) => `[[access_numbers]]\narea = "${n.area}"\nnumber = "${n.number}"\n`).join(''));
  server = spawn(BIN, [
    'serve', '--demo', '--config', config,
    '--listen', `127.0.0.1:${port}`,
    '--database', `sqlite://${dir}/huiyi.db`,
    '--media-secret', MEDIA_SECRET,
    '--session-grace-secs', '2',
  ], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', RUST_LOG: process.env.RUST_LOG || 'info,sqlx=warn' } });
  server.stdout.on('data', (d) => { serverLog += d; });
  server.stderr.on('data', (d) => { serverLog += d; });
  server.on('exit', (code, signal) => { serverLog += `\n[server exited: ${code ?? signal}]\n`; });

  const until = Date.now() + 60_000;
  let key = null;
  while (Date.now() < until) {
    if (server.exitCode !== null) throw new Error('the server stopped while starting');
    key = key || (serverLog.match(/API key \(shown once\): (\S+)/) || [])[1];
    if (key) {
      try {
        const r = await fetch(`${url}/readyz`);
        if (r.ok) return { url, key, dir };
      } catch { /* not listening yet */ }
    }
    await sleep(100);
  }
  throw new Error('the server did not print its demo key and become ready within 60 s');
}

function stopServer() {
  if (server && server.exitCode === null) server.kill('SIGTERM');
}

/** Stops the server, waits (at most 5 s) for it to exit, and removes its database. */
async function cleanUp() {
  if (!server) return;
  const exited = server.exitCode !== null ? Promise.resolve() : new Promise((r) => server.once('exit', r));
  stopServer();
  await Promise.race([exited, sleep(5000)]);
  if (server.exitCode === null) server.kill('SIGKILL');
  if (smtp) smtp.close();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
}

/** Posts to the vendor API; returns `result`, failing on any status but 0. */
async function api(env, endpoint, body) {
  const r = await fetch(env.url + endpoint, {
    method: 'POST',
    headers: { token: env.key, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(WAIT),
  });
  const json = await r.json();
  if (json.status !== 0) throw new Error(`${endpoint} answered ${JSON.stringify(json)}`);
  return json.result;
}

/** Local Asia/Shanghai time `minutes` from now, as the vendor API writes it. */
function shanghaiIn(minutes) {
  const t = new Date(Date.now() + minutes * 60_000);
  const f = new Intl.DateTimeFormat('sv-SE', {
    timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false,
  });
  return f.format(t).replace('T', ' ');
}

const web = (link) => link + (link.includes('?') ? '&' : '?') + 'priority=web';

async function confStatus(env, conferenceId) {
  return api(env, '/conference/conference/getConfStatus', { conferenceId });
}

/** Polls getConfStatus until `want(result)`; returns how long it took (ms). */
async function statusUntil(env, conferenceId, want, what, timeout) {
  const start = Date.now();
  let last = null;
  while (Date.now() - start < timeout) {
    last = await confStatus(env, conferenceId);
    if (want(last)) return Date.now() - start;
    await sleep(250);
  }
  throw new Error(`getConfStatus never showed ${what} within ${timeout} ms; last ${JSON.stringify(last)}`);
}

async function newPage(label, options, lang) {
  const context = await browser.newContext({ ...options, locale: lang === 'en' ? 'en-US' : 'zh-CN' });
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT);
  page.on('pageerror', (e) => jsErrors.push(`${label}: ${e.message}`));
  page.on('console', (m) => {
    // A page this test asks for on purpose with a 404 or 410 is not a script error.
    const expected = m.text().startsWith('Failed to load resource') && /\/k\/AAAAAAAAAAA|\/replay\/|\/panel\?key=nope/.test(m.location().url);
    if (m.type() === 'error' && !expected) jsErrors.push(`${label} console: ${m.text()} (${m.location().url})`);
  });
  pages.set(label, page);
  return page;
}

const testid = (id) => `[data-testid="${id}"]`;

async function state(page) {
  return page.locator(testid('status-banner')).getAttribute('data-state');
}

async function waitState(page, want, label) {
  try {
    await page.waitForSelector(`${testid('status-banner')}[data-state="${want}"]`, { timeout: WAIT });
  } catch {
    const text = await page.locator(testid('status-banner')).textContent();
    throw new Error(`${label}: the banner never reached "${want}" (it is "${await state(page)}": ${text})`);
  }
}

async function waitCount(page, selector, n, label, timeout = WAIT) {
  try {
    await page.waitForFunction(([s, k]) => document.querySelectorAll(s).length === k, [selector, n], { timeout });
  } catch {
    const have = await page.locator(selector).count();
    throw new Error(`${label}: expected ${n} of ${selector}, have ${have}`);
  }
}

async function join(page, name, label, extra = {}) {
  await page.fill(testid('name-input'), name);
  if (extra.watchword !== undefined) await page.fill(testid('watchword-input'), extra.watchword);
  if (extra.pcode !== undefined) await page.fill(testid('pcode-input'), extra.pcode);
  await page.click(testid('join-button'));
  await waitState(page, extra.expect || 'joined', label);
}

async function shot(page, name) {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

async function bannerText(page) {
  return (await page.locator(testid('status-banner')).textContent()) || '';
}

// ---- the scenarios ----------------------------------------------------------------------

/** Two attendees and a host: presence, hands, roll-call, counts, a closed tab, the end. */
async function presence(env) {
  console.log('presence, roll-call, a closed tab and the end');
  const b = await api(env, '/conference/conference/reservConference2',
    { userId: HOST_USER, title: 'E2E 周会 weekly', length: 60, starttime: shanghaiIn(10) });
  const id = b.conferenceId;

  const host = await newPage('host', DESKTOP, 'zh');
  const alice = await newPage('attendee-zh-phone', PHONE, 'zh');
  const bob = await newPage('attendee-en', DESKTOP, 'en');

  // The plain link shows a landing page; its button opens the join page.
  const landing = await alice.goto(b.attendeeJoinUrl);
  check(landing.status() === 200, 'the attendee link answers 200 with a landing page');
  check((await alice.locator(testid('join-in-browser')).textContent()).includes('在浏览器中加入'),
    'the landing page speaks Chinese by default');
  await shot(alice, 'landing-phone-zh');
  await alice.click(testid('join-in-browser'));
  await alice.waitForURL(/priority=web/);

  await host.goto(web(b.hostConferenceUrl)); // v1 calls the host link hostConferenceUrl
  check(await host.locator(testid('join-role')).getAttribute('data-role') === 'host', 'the host link joins as host');
  await join(host, '王主持', 'host');
  await join(alice, '张三', 'attendee 1');
  await bob.goto(web(b.attendeeJoinUrl) + '&lang=en');
  check((await bob.locator(testid('join-button')).textContent()).trim() === 'Join', '?lang=en shows English');
  await join(bob, 'Bob Li', 'attendee 2');

  for (const [label, page] of [['host', host], ['attendee 1', alice], ['attendee 2', bob]]) {
    await waitCount(page, testid('participant'), 3, label);
    const names = await page.locator(`${testid('participant')} .name`).allTextContents();
    check(['王主持', '张三', 'Bob Li'].every((n) => names.includes(n)), `${label} shows all three (${names.join(', ')})`);
  }
  const status = await confStatus(env, id);
  check(status.attendees === 3, `getConfStatus reports 3 attendees (${status.attendees}, status ${status.confStatus})`);

  // A hand goes up on one page and shows on the others.
  await alice.click(testid('hand-button'));
  await waitCount(host, `${testid('participant')}[data-hand="up"]`, 1, 'host sees the raised hand');
  await waitCount(bob, `${testid('participant')}[data-hand="up"]`, 1, 'attendee 2 sees the raised hand');
  check(true, 'a raised hand shows on every page');

  // Roll-call: the host starts it, both attendees answer, the host sees 2/2.
  await host.click(testid('rollcall-start'));
  for (const [label, page] of [['attendee 1', alice], ['attendee 2', bob]]) {
    await page.waitForSelector(`${testid('rollcall-answer')}:visible`);
    await page.click(testid('rollcall-answer'));
    await page.waitForSelector(`${testid('rollcall-done')}:visible`);
    check(true, `${label} got the roll-call prompt and answered`);
  }
  await host.waitForFunction((s) => {
    const e = document.querySelector(s);
    return e && e.getAttribute('data-answered') === '2' && e.getAttribute('data-total') === '2';
  }, testid('rollcall-count'));
  check((await host.locator(testid('rollcall-count')).textContent()).includes('2/2'), 'the host sees 2/2 answered');

  await shot(host, 'host-desktop-zh');
  await shot(alice, 'attendee-phone-zh');
  await shot(bob, 'attendee-desktop-en');
  await bob.setViewportSize(PHONE.viewport);
  await shot(bob, 'attendee-phone-en');
  // The toggle switches in place (a reload would spend a secure link's use).
  await host.click(testid('lang-toggle'));
  check((await host.locator(testid('end-button')).textContent()).trim() === 'End for everyone', 'the toggle switches the host page to English');
  check(!/[\u4e00-\u9fff]/.test(await host.locator('dl.facts dt').allTextContents().then((t) => t.join(''))), 'including the meeting card\'s labels');
  await shot(host, 'host-desktop-en');
  await host.setViewportSize(PHONE.viewport);
  await shot(host, 'host-phone-en');
  await host.setViewportSize(DESKTOP.viewport);
  await host.click(testid('lang-toggle'));
  check(await host.evaluate(() => document.documentElement.lang) === 'zh-CN', 'and back to Chinese');

  // One attendee closes the tab: the count drops within the heartbeat bound.
  await bob.close();
  pages.delete('attendee-en');
  const took = await statusUntil(env, id, (s) => s.attendees === 2, '2 attendees', HEARTBEAT_BOUND);
  check(true, `getConfStatus drops to 2 attendees ${took} ms after the tab closed`);
  await waitCount(host, testid('participant'), 2, 'host after the tab closed', HEARTBEAT_BOUND);
  await waitCount(alice, testid('participant'), 2, 'attendee 1 after the tab closed', HEARTBEAT_BOUND);
  check(true, 'both remaining pages show 2 people');

  // The host ends the meeting for everyone.
  await host.click(testid('end-button'));
  await host.click(testid('end-confirm'));
  await waitState(host, 'ended', 'host');
  await waitState(alice, 'ended', 'attendee 1');
  check((await bannerText(alice)).includes('会议已结束'), 'every page says the meeting has ended');
  await statusUntil(env, id, (s) => s.confStatus === 4, 'status 4', WAIT);
  check(true, 'getConfStatus reports status 4 (ended)');
  await shot(alice, 'ended-phone-zh');
  await host.context().close();
  await alice.context().close();
  pages.clear();
}

/** Waiting room, watchword, lock, removal, and the meeting-number page. */
async function waitingRoom(env) {
  console.log('waiting room, watchword, lock, removal, meeting number');
  const b = await api(env, '/confopenapi/room/reservConference', {
    userId: HOST_USER, title: 'E2E 等候室', length: 60, starttime: shanghaiIn(10),
    useWaitingRoom: 1, openWatchword: 1, eventWatchword: '芝麻开门',
  });

  const host = await newPage('host-2', DESKTOP, 'zh');
  await host.goto(web(b.hostJoinUrl));
  check(await host.locator(testid('watchword-input')).count() === 0, 'the host is not asked for the watchword');
  await join(host, '王主持', 'host');

  const guest = await newPage('guest-phone', PHONE, 'zh');
  await guest.goto(web(b.attendeeJoinUrl));
  check(await guest.locator(testid('watchword-input')).isVisible(), 'the attendee page asks for the watchword');
  check(await guest.locator(testid('waiting-room-note')).isVisible(), 'the attendee page mentions the waiting room');
  await join(guest, '赵六', 'guest, wrong watchword', { watchword: '错误', expect: 'refused' });
  check((await bannerText(guest)).includes('口令不正确'), 'a wrong watchword is refused with a Chinese message');
  await shot(guest, 'refused-watchword-phone-zh');

  await join(guest, '赵六', 'guest, right watchword', { watchword: '芝麻开门', expect: 'waiting' });
  check(await guest.locator(testid('waiting-state')).isVisible(), 'the attendee waits for the host');
  await shot(guest, 'waiting-phone-zh');
  await waitCount(host, testid('waiting-participant'), 1, 'host sees one waiting');
  await shot(host, 'host-waiting-room-desktop-zh');
  await host.click(testid('admit-button'));
  await waitState(guest, 'joined', 'guest after admission');
  await waitCount(guest, testid('participant'), 2, 'guest sees both');
  await waitCount(host, testid('participant'), 2, 'host sees both');
  check(true, 'the host admits the attendee, who then sees the meeting');

  // Locked: nobody new comes in, in English too.
  await host.click(testid('lock-toggle'));
  await host.waitForSelector(`${testid('lock-toggle')}[data-locked="true"]`);
  const late = await newPage('late-en', PHONE, 'en');
  await late.goto(web(b.attendeeJoinUrl) + '&lang=en');
  await join(late, 'Late Comer', 'late attendee', { watchword: '芝麻开门', expect: 'refused' });
  check((await bannerText(late)).includes('locked'), `a locked meeting refuses in English ("${await bannerText(late)}")`);
  await shot(late, 'refused-locked-phone-en');
  await host.click(testid('lock-toggle'));
  await host.waitForSelector(`${testid('lock-toggle')}[data-locked="false"]`);
  await late.context().close();
  pages.delete('late-en');

  // Removal.
  await host.click(`${testid('participant')}:has-text("赵六") ${testid('remove-button')}`);
  await waitState(guest, 'removed', 'removed guest');
  await waitCount(host, testid('participant'), 1, 'host after the removal');
  check(true, 'the host removes an attendee, whose page says so');

  // The meeting-number page: the passcode decides, a wrong one is refused.
  const byId = await newPage('by-number', PHONE, 'en');
  await byId.goto(`${env.url}/j/${b.conferenceId}?lang=en`);
  await join(byId, 'Number Person', 'meeting number, wrong passcode', { pcode: '1', watchword: '芝麻开门', expect: 'refused' });
  check((await bannerText(byId)).includes('passcode'), 'a wrong passcode is refused');
  await join(byId, 'Number Person', 'meeting number, attendee passcode', { pcode: b.pcode2, watchword: '芝麻开门', expect: 'waiting' });
  await waitCount(host, testid('waiting-participant'), 1, 'host sees the number person waiting');
  check(true, 'the attendee passcode on /j/ joins as an attendee (into the waiting room)');

  await host.click(testid('end-button'));
  await host.click(testid('end-confirm'));
  await waitState(host, 'ended', 'host 2');
  for (const p of [host, guest, byId]) await p.context().close();
  pages.clear();
}

/** The dial-in page and an error page. */
async function otherPages(env) {
  console.log('dial-in and error pages');
  const b = await api(env, '/conference/conference/reservConference2',
    { userId: HOST_USER, title: 'E2E 电话', length: 30, starttime: shanghaiIn(60) });
  const page = await newPage('other-phone', PHONE, 'zh');
  const r = await page.goto(b.wcallUrl);
  check(r.status() === 200, 'the wcall link answers 200');
  check((await page.locator(testid('dialin-passcode')).textContent()).trim() === b.pcode2, 'the dial-in page shows the attendee passcode');
  check((await page.locator(testid('conference-id')).textContent()).trim() === b.conferenceId, 'and the conference id');
  const numbers = await page.locator(testid('dialin-number')).allTextContents();
  check(DIAL_IN.every((n, i) => numbers[i] && numbers[i].includes(n.zh) && numbers[i].includes(n.number)),
    `and the configured dial-in numbers (${numbers.join(' | ')})`);
  await shot(page, 'dialin-phone-zh');
  const missing = await page.goto(`${env.url}/k/AAAAAAAAAAA?lang=en`);
  check(missing.status() === 404, 'an unknown link answers 404');
  check((await page.locator('h1').textContent()).includes('does not exist'), 'with an English page when asked');
  await shot(page, 'error-phone-en');
  await page.context().close();
  pages.clear();
}

/** Posts signed media events (docs/media-events.md). */
async function mediaEvents(env, events) {
  const body = JSON.stringify({ events });
  const ts = String(Math.floor(Date.now() / 1000));
  const sig = 'sha256=' + createHmac('sha256', MEDIA_SECRET).update(ts + body).digest('hex');
  const r = await fetch(`${env.url}/media/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-huiyi-timestamp': ts, 'x-huiyi-signature': sig },
    body,
  });
  const json = await r.json();
  if (json.status !== 0) throw new Error(`media events answered ${JSON.stringify(json)}`);
}

/** A held meeting's recording, uploaded with `huiyi media upload`, played on the replay page. */
async function replay(env) {
  console.log('replay: a recording uploaded, played, downloaded, deleted');
  const b = await api(env, '/conference/conference/reservConference2',
    { userId: HOST_USER, title: 'E2E 回放', length: 30, starttime: shanghaiIn(30) });
  const t = Date.now() - 120_000;
  await mediaEvents(env, [
    { eventId: `rp-${b.conferenceId}-1`, type: 'participant.joined', at: t, conferenceId: b.conferenceId,
      participant: { id: 'h', name: '主持人', role: 'host', client: 'web' } },
    { eventId: `rp-${b.conferenceId}-2`, type: 'session.ended', at: t + 60_000, conferenceId: b.conferenceId },
  ]);
  const file = path.join(dataDir, 'meeting.mp4');
  const made = spawnSync('ffmpeg', ['-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=duration=6:size=640x360:rate=25',
    '-f', 'lavfi', '-i', 'sine=frequency=440:duration=6', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac',
    '-movflags', '+faststart', '-shortest', file], { encoding: 'utf8' });
  check(made.status === 0, `ffmpeg made a 6 s MP4${made.stderr ? ': ' + made.stderr : ''}`);
  const up = spawnSync(BIN, ['media', 'upload', '--server', env.url, '--conference', b.conferenceId,
    '--chunk-bytes', '65536', '--duration-secs', '6', file],
  { encoding: 'utf8', env: { ...process.env, HUIYI_MEDIA_SECRET: MEDIA_SECRET } });
  check(up.status === 0 && /done/.test(up.stdout), `huiyi media upload sent it (${(up.stdout + up.stderr).trim()})`);
  const held = await api(env, '/confopenapi/conference/movie/getConfReplayById', { conferenceId: b.conferenceId });
  check(held.hasRecord === '1' && held.replayUrl.startsWith(env.url), 'getConfReplayById lists it with a replay link');

  for (const [label, options, lang] of [['replay-desktop', DESKTOP, 'zh'], ['replay-phone', PHONE, 'en']]) {
    const page = await newPage(label, options, lang);
    const r = await page.goto(lang === 'en' ? `${held.replayUrl}&lang=en` : held.replayUrl);
    check(r.status() === 200, `${label}: the replay page answers 200`);
    check((await page.locator(testid('replay-title')).textContent()).trim() === 'E2E 回放', `${label}: it shows the title`);
    check((await page.locator(testid('replay-started')).textContent()).trim() === held.realStartTime,
      `${label}: and the real start ${held.realStartTime}`);
    const button = (await page.locator(testid('replay-download')).textContent()).trim();
    check(button === (lang === 'en' ? 'Download recording' : '下载录制'), `${label}: the download button reads "${button}"`);
    const video = page.locator(testid('replay-video'));
    await page.waitForFunction((s) => { const v = document.querySelector(s); return v && v.readyState >= 1; },
      testid('replay-video'), { timeout: WAIT });
    const duration = await video.evaluate((v) => v.duration);
    check(duration > 5 && duration < 7, `${label}: the video's duration is ${duration.toFixed(2)} s`);
    await video.evaluate((v) => { v.muted = true; return v.play(); });
    await page.waitForFunction((s) => document.querySelector(s).currentTime > 1, testid('replay-video'), { timeout: WAIT });
    const at = await video.evaluate((v) => v.currentTime);
    check(at > 1, `${label}: playing, currentTime reached ${at.toFixed(2)} s`);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    check(width <= options.viewport.width, `${label}: nothing wider than the screen (${width} px)`);
    await video.evaluate((v) => v.pause());
    await shot(page, label + '-' + lang);
  }
  const dl = await fetch(held.downloadUrl);
  const bytes = Buffer.from(await dl.arrayBuffer());
  check(dl.status === 200 && bytes.equals(fs.readFileSync(file)), 'the download is the file, byte for byte');

  await api(env, '/conference/movie/recordsDelete', { userId: HOST_USER, 'tempConferenceIds ': [held.tempConferenceId] });
  const page = await newPage('replay-deleted', PHONE, 'zh');
  const gone = await page.goto(held.replayUrl);
  check(gone.status() === 410, 'after recordsDelete the replay page answers 410');
  check((await page.locator('h1').textContent()).includes('录制已删除'), 'with a page that says the recording was deleted');
  await shot(page, 'replay-deleted-phone-zh');
  for (const p of pages.values()) await p.context().close();
  pages.clear();
}

/** The room panel: a booking of the room going live shows without a reload. */
async function roomPanel(env) {
  console.log('room panel');
  const ROOM = 880001;
  const registry = path.join(env.dir, 'registry.json');
  fs.writeFileSync(registry, JSON.stringify({
    rooms: [{ roomId: ROOM, customerCode: 'DEMO', name: '杏花村 Apricot', city: '西安', location: '锦业路',
      floor: 14, capacity: 12, needsApproval: false, equipment: [{ equipId: 880002, name: '投影仪' }] }],
  }));
  const db = `sqlite://${env.dir}/huiyi.db`;
  const imported = spawnSync(BIN, ['admin', 'import', registry, '--database', db], { encoding: 'utf8' });
  check(imported.status === 0, `the room is imported (${(imported.stdout + imported.stderr).trim()})`);
  const made = spawnSync(BIN, ['admin', 'room', 'panel-key', '--room', String(ROOM), '--database', db], { encoding: 'utf8' });
  const key = made.stdout.trim();
  check(made.status === 0 && key.length > 20, 'huiyi admin room panel-key prints a key');
  const b = await api(env, '/confopenapi/room/reservConference', {
    userId: HOST_USER, title: '季度评审 Review', length: 30, starttime: shanghaiIn(3),
    composeRoomList: [{ roomId: ROOM, isMainRoom: 1, equipIdList: [880002] }],
  });
  const TABLET = { viewport: { width: 1280, height: 800 } };
  const zh = await newPage('panel-zh', TABLET, 'zh');
  const r = await zh.goto(`${env.url}/rooms/${ROOM}/panel?key=${encodeURIComponent(key)}&refresh=1`);
  check(r.status() === 200, 'the panel answers 200 with its key');
  check((await zh.locator(testid('panel-room')).textContent()).includes('杏花村'), 'it shows the room');
  await zh.waitForSelector(`${testid('panel-item')}`, { timeout: WAIT });
  check((await zh.locator(testid('panel-headline')).textContent()).trim() === '空闲', 'the room is free before the meeting');
  check((await zh.locator(testid('panel-next')).textContent()).includes('季度评审'), 'the booking is next');
  await shot(zh, 'panel-tablet-zh-free');
  await zh.evaluate(() => { window.notReloaded = true; });
  const at = Date.now();
  await mediaEvents(env, [
    { eventId: 'panel-1', type: 'participant.joined', conferenceId: b.conferenceId, at,
      participant: { id: 'p1', name: '主持人', role: 'host', client: 'web', voice: 'network', address: '127.0.0.1' } },
    { eventId: 'panel-2', type: 'participant.joined', conferenceId: b.conferenceId, at: at + 1,
      participant: { id: 'p2', name: '来宾', role: 'attendee', client: 'web', voice: 'network', address: '127.0.0.1' } },
  ]);
  await zh.waitForFunction((s) => document.querySelector(s).textContent.trim() === '使用中', testid('panel-headline'), { timeout: WAIT });
  await zh.waitForFunction((s) => document.querySelector(s).textContent.trim() === '2', testid('panel-current-attendees'), { timeout: WAIT });
  check(await zh.evaluate(() => window.notReloaded === true), 'the panel shows the meeting live with 2 attendees, without a reload');
  check((await zh.locator(testid('panel-current-status')).textContent()).trim() === '进行中', 'its status reads 进行中');
  let width = await zh.evaluate(() => document.documentElement.scrollWidth);
  check(width <= 1280, `nothing wider than the tablet (${width} px)`);
  await shot(zh, 'panel-tablet-zh-live');
  const en = await newPage('panel-en', TABLET, 'en');
  await en.goto(`${env.url}/rooms/${ROOM}/panel?key=${encodeURIComponent(key)}&lang=en`);
  check((await en.locator(testid('panel-headline')).textContent()).trim() === 'In use', 'in English it reads In use');
  check((await en.locator(testid('panel-current-status')).textContent()).trim() === 'In progress', 'and In progress');
  width = await en.evaluate(() => document.documentElement.scrollWidth);
  check(width <= 1280, `nothing wider than the tablet in English (${width} px)`);
  await shot(en, 'panel-tablet-en-live');
  const phone = await newPage('panel-phone', PHONE, 'zh');
  await phone.goto(`${env.url}/rooms/${ROOM}/panel?key=${encodeURIComponent(key)}`);
  check((await phone.locator(testid('panel-headline')).textContent()).trim() === '使用中', 'on a phone it reads 使用中 too');
  width = await phone.evaluate(() => document.documentElement.scrollWidth);
  check(width <= 390, `nothing wider than the phone (${width} px)`);
  await shot(phone, 'panel-phone-zh-live');
  const wrong = await newPage('panel-wrong-key', TABLET, 'en');
  const refused = await wrong.goto(`${env.url}/rooms/${ROOM}/panel?key=nope`);
  check(refused.status() === 404, 'a wrong key gets 404');
  for (const p of pages.values()) await p.context().close();
  pages.clear();
}

/** Waits (at most WAIT) for a letter to `to` whose subject starts with `subject`. */
async function letterTo(to, subject) {
  const until = Date.now() + WAIT;
  while (Date.now() < until) {
    const found = letters.find((m) => m.to && m.to.text.includes(to) && m.subject.startsWith(subject));
    if (found) return found;
    await sleep(100);
  }
  throw new Error(`no letter "${subject}…" to ${to}; got: ${letters.map((m) => m.subject).join(' | ')}`);
}

/** Invitation letters: sent on booking and on cancel, rendered in Chromium in both languages. */
async function invitationLetters(env) {
  console.log('invitation letters');
  const b = await api(env, '/conference/conference/reservConference2', {
    userId: HOST_USER, title: 'E2E 邀请 季度评审', length: 60, starttime: shanghaiIn(90), email_notify: true,
    inviteeList: [{ name: '王五', email: 'wang@guest.test', mobile: '' }],
  });
  const zh = await letterTo('wang@guest.test', '会议邀请：E2E 邀请');
  const calendar = zh.attachments.find((a) => a.filename === 'invite.ics');
  check(calendar && /METHOD:REQUEST/.test(calendar.content.toString()), 'the zh letter carries invite.ics with METHOD:REQUEST');
  const shots = [['letter-zh-phone', PHONE, zh], ['letter-zh-desktop', DESKTOP, zh]];
  // A customer whose letters are in English (mailLanguage), with a key of its own.
  const enKey = `e2e-en-${randomBytes(12).toString('hex')}`;
  const tenant = path.join(env.dir, 'english.json');
  fs.writeFileSync(tenant, JSON.stringify({
    customers: [{ customerCode: 'EN1', name: 'English Co', timezone: 'Europe/London', advanceHours: 1, mailLanguage: 'en' }],
    users: [{ userId: 20001, customerCode: 'EN1', email: 'host@english.test', name: 'Ann Host', mobile: '', admin: false }],
    credentials: [{ customerCode: 'EN1', key: enKey, admin: false }],
  }));
  const made = spawnSync(BIN, ['admin', 'import', tenant, '--database', `sqlite://${env.dir}/huiyi.db`], { encoding: 'utf8' });
  check(made.status === 0, `an English-speaking customer is imported (${(made.stdout + made.stderr).trim()})`);
  const english = await api({ ...env, key: enKey }, '/conference/conference/reservConference2', {
    userId: 20001, title: 'E2E 邀请 季度评审', length: 60, starttime: shanghaiIn(120), email_notify: true,
    inviteeList: [{ name: 'Bob Guest', email: 'bob@guest.test', mobile: '' }],
  });
  const invite = await letterTo('bob@guest.test', 'Invitation: E2E 邀请');
  shots.push(['letter-en-invitation-phone', PHONE, invite]);
  const cancel = await fetch(`${env.url}/conference/conference/cancelReservConference/6/${b.conferenceId}/En-us/${HOST_USER}//true/false`,
    { headers: { token: env.key } });
  check((await cancel.json()).status === 0, 'the v1 cancel in English answers 0');
  const en = await letterTo('wang@guest.test', 'Cancelled: E2E 邀请');
  check(/METHOD:CANCEL/.test(en.attachments.find((a) => a.filename === 'invite.ics').content.toString()),
    'the English letter cancels the calendar event');
  shots.push(['letter-en-phone', PHONE, en]);
  for (const [label, options, letter] of shots) {
    const page = await newPage(label, options, label.includes('-en-') ? 'en' : 'zh');
    await page.setContent(letter.html, { waitUntil: 'load' });
    const title = (await page.locator(testid('mail-title')).textContent()).trim();
    check(title === 'E2E 邀请 季度评审', `${label}: the letter shows the title`);
    if (letter === zh || letter === invite) {
      const booked = letter === zh ? b : english;
      const href = await page.locator(testid('mail-join')).getAttribute('href');
      check(href === booked.attendeeJoinUrl, `${label}: its join button opens the attendee link`);
      check((await page.locator(testid('mail-passcode')).textContent()).trim() === booked.pcode2, `${label}: it shows the attendee passcode`);
      const headline = (await page.locator(testid('mail-headline')).textContent()).trim();
      check(headline === (letter === zh ? '会议邀请' : 'Invitation'), `${label}: its headline reads ${headline}`);
    } else {
      check((await page.locator(testid('mail-cancelled')).textContent()).includes('cancelled'), `${label}: it says the meeting is cancelled`);
    }
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    check(width <= options.viewport.width, `${label}: nothing wider than the screen (${width} px)`);
    await shot(page, label);
  }
  for (const p of pages.values()) await p.context().close();
  pages.clear();
}

async function main() {
  const started = Date.now();
  const env = await startServer();
  console.log(`server ${env.url} (database in ${env.dir})`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    headless: true,
  });
  await presence(env);
  await waitingRoom(env);
  await otherPages(env);
  await replay(env);
  await roomPanel(env);
  await invitationLetters(env);
  check(jsErrors.length === 0, `no script errors on any page${jsErrors.length ? ': ' + jsErrors.join('; ') : ''}`);
  console.log(`screenshots in ${SHOTS}`);
  console.log(`took ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

const limit = setTimeout(() => {
  console.error('e2e: FAILED: the run took longer than 170 s');
  stopServer();
  process.exit(1);
}, 170_000);

try {
  await main();
  console.log(`e2e: ${passed} passed, 0 failed`);
  process.exitCode = 0;
} catch (e) {
  console.error(`\ne2e: FAILED: ${e.message}`);
  for (const [label, page] of pages) {
    try { await shot(page, `failure-${label}`); } catch { /* page already gone */ }
  }
  if (jsErrors.length) console.error(`script errors: ${jsErrors.join('; ')}`);
  console.error(`--- server log (last 60 lines) ---\n${serverLog.split('\n').slice(-60).join('\n')}`);
  console.log(`e2e: ${passed} passed, 1 failed`);
  process.exitCode = 1;
} finally {
  clearTimeout(limit);
  if (browser) await browser.close().catch(() => {});
  await cleanUp();
}
