// A small log-log line chart as SVG text (no dependency): one line per series, points marked.

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#bcbd22', '#17becf'];

function esc(s) {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function fmt(v) {
  if (v >= 1e6) return `${v / 1e6}M`;
  if (v >= 1e3) return `${v / 1e3}k`;
  return String(v);
}

/**
 * series: [{ name, points: [[x, y], ...] }] with x, y > 0. Both axes are log10; ticks at powers of 10.
 */
export function logLogChart({ title, xLabel, yLabel, series }) {
  const W = 640;
  const H = 400;
  const L = 70;
  const R = 170;
  const T = 40;
  const B = 50;
  const pts = series.flatMap((s) => s.points).filter(([x, y]) => x > 0 && y > 0);
  if (pts.length === 0) return '';
  const lx = (v) => Math.log10(v);
  let x0 = Math.floor(Math.min(...pts.map((p) => lx(p[0]))));
  let x1 = Math.ceil(Math.max(...pts.map((p) => lx(p[0]))));
  let y0 = Math.floor(Math.min(...pts.map((p) => lx(p[1]))));
  let y1 = Math.ceil(Math.max(...pts.map((p) => lx(p[1]))));
  if (x1 === x0) x1++;
  if (y1 === y0) y1++;
  const sx = (v) => L + ((lx(v) - x0) / (x1 - x0)) * (W - L - R);
  const sy = (v) => H - B - ((lx(v) - y0) / (y1 - y0)) * (H - T - B);
  const out = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2 - R / 2 + L / 2}" y="22" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`,
  );
  for (let e = x0; e <= x1; e++) {
    const x = sx(10 ** e);
    out.push(
      `<line x1="${x}" y1="${T}" x2="${x}" y2="${H - B}" stroke="#ddd"/>`,
      `<text x="${x}" y="${H - B + 16}" text-anchor="middle">${fmt(10 ** e)}</text>`,
    );
  }
  for (let e = y0; e <= y1; e++) {
    const y = sy(10 ** e);
    out.push(
      `<line x1="${L}" y1="${y}" x2="${W - R}" y2="${y}" stroke="#ddd"/>`,
      `<text x="${L - 6}" y="${y + 4}" text-anchor="end">${fmt(10 ** e)}</text>`,
    );
  }
  out.push(
    `<rect x="${L}" y="${T}" width="${W - L - R}" height="${H - T - B}" fill="none" stroke="#333"/>`,
    `<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">${esc(xLabel)}</text>`,
    `<text x="16" y="${(T + H - B) / 2}" text-anchor="middle" transform="rotate(-90 16 ${(T + H - B) / 2})">${esc(yLabel)}</text>`,
  );
  series.forEach((s, i) => {
    const c = COLORS[i % COLORS.length];
    const p = s.points.filter(([x, y]) => x > 0 && y > 0).sort((a, b) => a[0] - b[0]);
    if (p.length === 0) return;
    out.push(
      `<polyline fill="none" stroke="${c}" stroke-width="2" points="${p.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ')}"/>`,
    );
    for (const [x, y] of p) out.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3" fill="${c}"/>`);
    const ly = T + 10 + i * 18;
    out.push(
      `<line x1="${W - R + 12}" y1="${ly}" x2="${W - R + 32}" y2="${ly}" stroke="${c}" stroke-width="2"/>`,
      `<text x="${W - R + 38}" y="${ly + 4}">${esc(s.name)}</text>`,
    );
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
