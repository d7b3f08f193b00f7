import { startTestApp } from './helpers/app.js';
import { fuzz } from './fuzz/fuzzer.js';
import { fuzzStage } from './fuzz/harness.js';
const t = await startTestApp();
const o = await fuzzStage(t, { seed: 1, maxRequests: 1500, maxMs: 25000 });
const lines: string[] = [];
o.onExchange = (l, s) => lines.push(`${s} ${l}`);
const r = await fuzz(o);
console.log(
  lines
    .filter((l) => l.startsWith('401') && !l.includes('[token'))
    .slice(0, 60)
    .join('\n'),
);
await t.close();
