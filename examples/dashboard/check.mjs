// Checks a DOM dump of the built dashboard (chromium --dump-dom):
//   node check.mjs dom.html
// Every tile must have drawn rows from its view (data-rows > 0) and its
// marks: table rows for tables, SVG marks for charts; no cell may have
// failed (Observable shows a failed cell as .observablehq--error).  Prints
// one line per check and "dashboard: N passed, N failed"; exit status 1 on
// any failure.
import {readFileSync} from "node:fs";

const dom = readFileSync(process.argv[2], "utf8");
const tiles = {
  // tile id: [what must be inside it, minimum count]
  recommendations: [["table rows", /<tr[\s>]/g, 2]],
  trending: [["bars", /<rect[\s>]/g, 5]],
  churn: [["bars", /<rect[\s>]/g, 5], ["table rows", /<tr[\s>]/g, 2]],
  roi: [["dots", /<circle[\s>]/g, 5], ["table rows", /<tr[\s>]/g, 2]],
  health: [["table rows", /<tr[\s>]/g, 2]]
};
let passed = 0, failed = 0;
const check = (ok, what) => { ok ? passed++ : failed++; console.log(`${ok ? "ok" : "FAILED"}: ${what}`); };

const starts = [...dom.matchAll(/id="tile-([a-z_]+)"/g)].map((m) => ({id: m[1], at: m.index}));
for (const [id, needs] of Object.entries(tiles)) {
  const i = starts.findIndex((s) => s.id === id);
  if (i < 0) { check(false, `tile ${id} is on the page`); continue; }
  const part = dom.slice(starts[i].at, i + 1 < starts.length ? starts[i + 1].at : dom.length);
  const rows = Number((/data-rows="(\d+)"/.exec(part) ?? [])[1] ?? 0);
  check(rows > 0, `tile ${id} drew ${rows} rows of its view`);
  for (const [what, re, min] of needs) {
    const n = (part.match(re) ?? []).length;
    check(n >= min, `tile ${id} shows ${n} ${what} (at least ${min})`);
  }
}
// the four headline figures: a number, then Observable's comment marker
const figures = [...dom.matchAll(/class="big">([^<]*)(?:<!--[^>]*-->)?([^<]*)</g)].map((m) => m[1] + m[2]);
check(figures.length === 4 && figures.every((f) => /^[0-9][0-9,.]*%?$/.test(f)),
      `headline figures are numbers: ${figures.join(", ")}`);
const errors = [...dom.matchAll(/observablehq--error[\s\S]{0,300}?observablehq--inspect">([^<]*)/g)].map((m) => m[1]);
check(errors.length === 0, `no failed cell${errors.length ? ": " + errors.slice(0, 3).join("; ") : ""}`);
console.log(`dashboard: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
