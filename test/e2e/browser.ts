// Helpers for the end-to-end tests of the web application: Debian's Chromium driven by
// playwright-core (no browser download), axe-core run inside the page, screenshots for
// docs/screenshots/, and one production build of web/ per run.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { projectRoot } from '../../src/lib/paths.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export async function launchBrowser(): Promise<Browser> {
  // Fail loudly: a missing browser is a broken machine, never a skipped test.
  assert.ok(
    existsSync(CHROMIUM),
    `${CHROMIUM} is missing: apt-get install chromium (.ci/run installs it)`,
  );
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
}

/**
 * The production build the e2e files serve. `npm test` builds web/ once for all of them and
 * names the folder in IFD_TEST_WEB_DIST (issue 14: one build per run, not one per file); a
 * file run on its own (node --test) builds its own. `owned` says whether the caller removes it.
 */
export async function webDist(): Promise<{ dist: string; owned: boolean }> {
  const shared = process.env.IFD_TEST_WEB_DIST;
  if (shared !== undefined && shared !== '') {
    assert.ok(existsSync(join(shared, 'index.html')), `${shared} holds no build of web/`);
    return { dist: shared, owned: false };
  }
  return { dist: await buildWeb(), owned: true };
}

/** `vite build` of web/ into a fresh folder: the tests serve exactly what `npm run build` makes. */
export async function buildWeb(): Promise<string> {
  const out = mkdtempSync(join(tmpdir(), 'ifd-web-'));
  const code = await new Promise<number>((resolve) => {
    const child = spawn(
      join(projectRoot, 'node_modules/.bin/vite'),
      [
        'build',
        '--config',
        'web/vite.config.ts',
        '--outDir',
        out,
        '--emptyOutDir',
        '--logLevel',
        'warn',
        // The e2e files build side by side, each into a folder of its own: Vite's lock
        // against a second build of one project would refuse the other one.
        '--bypass-lock',
      ],
      // npm test runs with NODE_ENV=test; the build must be the production one.
      { cwd: projectRoot, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } },
    );
    child.on('exit', (c) => resolve(c ?? 1));
  });
  assert.equal(code, 0, 'vite build failed');
  return out;
}

const axeSource = readFileSync(join(projectRoot, 'node_modules/axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** axe-core in the page (evaluated through the DevTools protocol, so the CSP stays on). */
export async function expectAccessible(page: Page, what: string): Promise<void> {
  await page.evaluate(axeSource);
  const violations = await page.evaluate<AxeViolation[]>(`
    axe.run().then((r) => r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target })),
    })))`);
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(
    bad.map(
      (v) =>
        `${v.impact} ${v.id}: ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
    ),
    [],
    `axe-core on ${what}`,
  );
}

// The documentation's screenshots (docs/screenshots/) are taken only when asked
// (UPDATE_SCREENSHOTS=1 npm test -- test/e2e): a test run must not leave the checkout changed
// (every run re-encodes the PNGs slightly), and taking them asserts nothing, while the
// resizes, settles and full-page captures of 10 pages at two widths cost every run ~3 s per
// journey (docs/testing.md).
const SHOTS = join(projectRoot, 'docs/screenshots');

/** Screenshots of the page at 1280 and 375 px wide (docs/screenshots/NAME-WIDTH.png). */
export async function screenshots(page: Page, name: string): Promise<void> {
  if (process.env.UPDATE_SCREENSHOTS !== '1') {
    return;
  }
  mkdirSync(SHOTS, { recursive: true });
  const original = page.viewportSize() ?? { width: 1280, height: 800 };
  for (const width of [1280, 375]) {
    await page.setViewportSize({ width, height: width === 375 ? 812 : 800 });
    await page.waitForTimeout(150); // layout settles after the resize
    await page.screenshot({ path: join(SHOTS, `${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize(original);
}

/** The link of the given page in a mail's text part. */
export function linkIn(text: string | undefined, path: string): string {
  const m = new RegExp(`https?://[^\\s"'<>]+${path}[?#]token=[^\\s"'<>]+`).exec(text ?? '');
  assert.ok(m, `no ${path} link in the mail: ${text}`);
  return m[0];
}
