import { startAppServer } from '/work/main/test/support/app-server';
import { launchChromium } from '/work/main/test/support/browser';
const app = await startAppServer({ env: { ZL_START_SLAVE: '0' } });
import { trpc } from '/work/main/test/support/app-server';
await new Promise((r) => setTimeout(r, 8000));
console.log(await trpc(app.url, 'drills.run', { drillId: 'process-crash', durationSec: 3, rate: 50, consumers: 1 }));
for (let i = 0; i < 120; i++) { const h = await trpc<{ status: string }[]>(app.url, 'drills.history', { limit: 1 }, 'query'); if (h.ok && h.data[0] && h.data[0].status !== 'running') break; await new Promise((r) => setTimeout(r, 1000)); }
const c = await launchChromium();
try {
  const page = await c.browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
  for (const url of ['/drills']) {
    await page.goto(app.url + url);
    await page.locator('h1').first().waitFor();
    await page.waitForTimeout(3000);
    const out = await page.evaluate(() => {
      const w = document.documentElement.scrollWidth;
      const bad: string[] = [];
      for (const el of Array.from(document.querySelectorAll('body *'))) {
        const r = el.getBoundingClientRect();
        if (r.right > 392) {
          let p = el.parentElement; let clipped = false;
          while (p && p !== document.body) { const s = getComputedStyle(p); if (s.overflowX !== 'visible' && p.getBoundingClientRect().right <= 392) { clipped = true; break; } p = p.parentElement; }
          if (!clipped || getComputedStyle(el).position === "absolute") bad.push(`${el.tagName}.${(el.getAttribute('class') ?? '').slice(0, 80)} right=${Math.round(r.right)} w=${Math.round(r.width)} clipped=${clipped} pos=${getComputedStyle(el).position} text=${(el.textContent ?? '').slice(0, 40)}`);
        }
      }
      return { w, bad: bad.slice(0, 12) };
    });
    console.log(url, JSON.stringify(out, null, 1));
  }
} finally { await c.close(); await app.stop(); }
