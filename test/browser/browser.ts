import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Browser, type Page, chromium } from 'playwright-core';

/** Debian's Chromium; the browser tests skip without it. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);

const root = resolve(__dirname, '../..');
const web = join(root, 'apps/web');
export const SCREENSHOTS = join(root, 'test-results/screenshots');

function newest(dir: string): number {
  let latest = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = statSync(path);
    latest = Math.max(latest, stat.isDirectory() ? newest(path) : stat.mtimeMs);
  }
  return latest;
}

/** Builds apps/web/dist when it is missing or older than the sources, so the server serves this code. */
export function ensureWebBuilt(): void {
  const index = join(web, 'dist/index.html');
  if (existsSync(index) && statSync(index).mtimeMs >= Math.max(newest(join(web, 'src')), statSync(join(web, 'index.html')).mtimeMs)) return;
  execFileSync(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', web, '--logLevel', 'warn'], {
    cwd: root,
    stdio: 'inherit',
  });
}

/** Headless Chromium through playwright-core. */
export async function launch(): Promise<Browser> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Saves a full-page screenshot to test-results/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

let axeCode: string | undefined;
const axeSource = () => (axeCode ??= readFileSync(join(root, 'node_modules/axe-core/axe.min.js'), 'utf8'));

/** One axe-core finding, as the report prints it. */
export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/**
 * Runs axe-core (evaluated from node_modules; the @axe-core/playwright wrapper needs Node 22) on the
 * page as it is, and returns its serious and critical violations.
 */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  // The dashboard's CSP refuses inline scripts (addScriptTag); evaluating through the DevTools protocol is not a page script.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource());
  const violations: AxeViolation[] = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
