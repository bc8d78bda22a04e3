/*
 * Server-rendered SVG charts: plain markup with presentation attributes (no inline style, no
 * script, no external asset), so the page keeps its strict CSP and prints as it shows.
 * Text is escaped here; callers pass raw labels.
 */
export interface Series {
  label: string
  values: number[]
}

const PALETTE = ['#b3261e', '#1d5fa8', '#2e7d32', '#8e6c00', '#6a3d9a', '#00838f', '#c2185b', '#5d4037', '#455a64', '#ef6c00', '#7cb342', '#3949ab', '#8d6e63', '#26a69a']

export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)
}

/** Stacked daily bars (one colour per series) with a legend. */
export function stackedBars(title: string, labels: string[], series: Series[], options: { band?: { low: number; high: number; label: string } } = {}): string {
  const width = 640
  const height = 240
  const pad = { left: 40, right: 10, top: 24, bottom: 36 }
  const totals = labels.map((_, i) => series.reduce((s, x) => s + (x.values[i] ?? 0), 0))
  const max = Math.max(1, ...totals, options.band?.high ?? 0)
  const plotW = width - pad.left - pad.right
  const plotH = height - pad.top - pad.bottom
  const barW = labels.length > 0 ? plotW / labels.length : plotW
  const y = (v: number) => pad.top + plotH - (v / max) * plotH
  const parts: string[] = []
  if (options.band) {
    parts.push(`<rect x="${pad.left}" y="${y(options.band.high).toFixed(1)}" width="${plotW}" height="${Math.max(0, y(options.band.low) - y(options.band.high)).toFixed(1)}" fill="#fdecea" stroke="#f2b8b5"><title>${esc(options.band.label)}</title></rect>`)
  }
  labels.forEach((label, i) => {
    let base = 0
    series.forEach((s, k) => {
      const v = s.values[i] ?? 0
      if (v <= 0) return
      const top = y(base + v)
      parts.push(`<rect x="${(pad.left + i * barW + 1).toFixed(1)}" y="${top.toFixed(1)}" width="${Math.max(1, barW - 2).toFixed(1)}" height="${(y(base) - top).toFixed(1)}" fill="${PALETTE[k % PALETTE.length]}"><title>${esc(`${label} ${s.label}: ${v}`)}</title></rect>`)
      base += v
    })
    if (labels.length <= 16 || i % Math.ceil(labels.length / 16) === 0) {
      parts.push(`<text x="${(pad.left + i * barW + barW / 2).toFixed(1)}" y="${height - pad.bottom + 14}" font-size="10" text-anchor="middle" fill="#5f5b66">${esc(label)}</text>`)
    }
  })
  parts.push(`<line x1="${pad.left}" y1="${pad.top + plotH}" x2="${width - pad.right}" y2="${pad.top + plotH}" stroke="#d9d4dc"/>`)
  parts.push(`<text x="${pad.left - 4}" y="${pad.top + 4}" font-size="10" text-anchor="end" fill="#5f5b66">${max}</text>`)
  parts.push(`<text x="${pad.left - 4}" y="${pad.top + plotH}" font-size="10" text-anchor="end" fill="#5f5b66">0</text>`)
  const legend = series.length > 1 ? series.map((s, k) => `<tspan fill="${PALETTE[k % PALETTE.length]}">■ </tspan><tspan>${esc(s.label)} </tspan>`).join('') : ''
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(title)}" class="chart"><title>${esc(title)}</title>${parts.join('')}<text x="${pad.left}" y="14" font-size="11" fill="#1d1b20">${legend}</text></svg>`
}

/** Horizontal bars for a ranking or a distribution. */
export function horizontalBars(title: string, rows: { label: string; value: number }[]): string {
  const width = 640
  const rowH = 22
  const height = Math.max(1, rows.length) * rowH + 10
  const labelW = 220
  const max = Math.max(1, ...rows.map((r) => r.value))
  const parts = rows.map((r, i) => {
    const w = ((width - labelW - 50) * r.value) / max
    const yPos = 5 + i * rowH
    return `<text x="${labelW - 6}" y="${yPos + 14}" font-size="12" text-anchor="end" fill="#1d1b20">${esc(r.label.length > 28 ? `${r.label.slice(0, 27)}…` : r.label)}</text><rect x="${labelW}" y="${yPos + 3}" width="${w.toFixed(1)}" height="${rowH - 6}" fill="#b3261e"><title>${esc(`${r.label}: ${r.value}`)}</title></rect><text x="${(labelW + w + 4).toFixed(1)}" y="${yPos + 14}" font-size="11" fill="#5f5b66">${r.value}</text>`
  })
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(title)}" class="chart"><title>${esc(title)}</title>${parts.join('')}</svg>`
}
