import type { CaseResult, ScenarioResult } from './scenario-types.js'

// Latency vs load as a hand-written SVG (no chart dependency): from the `scaling` grid, p50
// and p99 against connections (left) and req/s against connections with the latency-bound
// limit (right), one colour per upstream latency. Both axes are logarithmic: connections go
// 10 → 1000 and latencies span two orders of magnitude.

interface Series {
  readonly label: string
  readonly color: string
  readonly dashed: boolean
  readonly points: readonly (readonly [number, number])[]
}

interface Panel {
  readonly x: number
  readonly title: string
  readonly unit: string
  readonly series: readonly Series[]
}

const COLORS = ['#1b9e77', '#d95f02', '#7570b3', '#e7298a']
const WIDTH = 960
const HEIGHT = 460
const PANEL_W = 380
const PANEL_H = 300
const TOP = 80

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;')

function logTicks(min: number, max: number): number[] {
  const ticks: number[] = []
  for (let decade = 10 ** Math.floor(Math.log10(min)); decade <= max * 1.0001; decade *= 10) {
    for (const m of [1, 2, 5]) if (decade * m >= min * 0.999 && decade * m <= max * 1.001) ticks.push(decade * m)
  }
  return ticks
}

function renderPanel(panel: Panel, xs: readonly number[]): string {
  const values = panel.series.flatMap((s) => s.points.map(([, y]) => y)).filter((y) => y > 0)
  if (values.length === 0) return ''
  const yMin = 10 ** Math.floor(Math.log10(Math.min(...values)))
  const yMax = 10 ** Math.ceil(Math.log10(Math.max(...values)))
  const xMin = Math.min(...xs)
  const xMax = Math.max(...xs)
  const px = (x: number): number => panel.x + ((Math.log10(x) - Math.log10(xMin)) / (Math.log10(xMax) - Math.log10(xMin) || 1)) * PANEL_W
  const py = (y: number): number => TOP + PANEL_H - ((Math.log10(Math.max(y, yMin)) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin) || 1)) * PANEL_H
  const out: string[] = [`<text x="${panel.x + PANEL_W / 2}" y="${TOP - 14}" text-anchor="middle" font-weight="bold">${esc(panel.title)}</text>`]
  for (const y of logTicks(yMin, yMax)) {
    out.push(`<line x1="${panel.x}" x2="${panel.x + PANEL_W}" y1="${py(y)}" y2="${py(y)}" stroke="#eee"/>`,
      `<text x="${panel.x - 6}" y="${py(y) + 4}" text-anchor="end">${y}</text>`)
  }
  for (const x of xs) {
    out.push(`<line x1="${px(x)}" x2="${px(x)}" y1="${TOP}" y2="${TOP + PANEL_H}" stroke="#eee"/>`,
      `<text x="${px(x)}" y="${TOP + PANEL_H + 18}" text-anchor="middle">${x}</text>`)
  }
  out.push(`<rect x="${panel.x}" y="${TOP}" width="${PANEL_W}" height="${PANEL_H}" fill="none" stroke="#999"/>`,
    `<text x="${panel.x + PANEL_W / 2}" y="${TOP + PANEL_H + 38}" text-anchor="middle">connections</text>`,
    `<text transform="translate(${panel.x - 44} ${TOP + PANEL_H / 2}) rotate(-90)" text-anchor="middle">${esc(panel.unit)}</text>`)
  panel.series.forEach((s, i) => {
    const path = s.points.map(([x, y], j) => `${j === 0 ? 'M' : 'L'}${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ')
    out.push(`<path d="${path}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5,4"' : ''}/>`)
    for (const [x, y] of s.points) out.push(`<circle cx="${px(x)}" cy="${py(y)}" r="3" fill="${s.color}"><title>${esc(s.label)}: ${y}</title></circle>`)
    const legendY = TOP + PANEL_H + 56 + Math.floor(i / 2) * 16
    const legendX = panel.x + (i % 2) * (PANEL_W / 2)
    out.push(`<line x1="${legendX}" x2="${legendX + 24}" y1="${legendY - 4}" y2="${legendY - 4}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5,4"' : ''}/>`,
      `<text x="${legendX + 30}" y="${legendY}">${esc(s.label)}</text>`)
  })
  return out.join('\n')
}

/** The SVG, or `null` when the results hold no `scaling` grid to draw. */
export function latencyVsLoadSvg(scaling: ScenarioResult | undefined, subtitle: string): string | null {
  if (scaling === undefined || scaling.cases.length < 2) return null
  const cases = scaling.cases
  const latencies = [...new Set(cases.map((c) => c.latencyLabel))]
  const xs = [...new Set(cases.map((c) => c.connections))].sort((a, b) => a - b)
  const pointsOf = (label: string, pick: (c: CaseResult) => number | null | undefined): [number, number][] =>
    cases.filter((c) => c.latencyLabel === label)
      .map((c) => [c.connections, pick(c) ?? 0] as [number, number])
      .filter(([, y]) => y > 0)
      .sort((a, b) => a[0] - b[0])
  const latency: Series[] = latencies.flatMap((label, i) => [
    { label: `p99, upstreams ${label}`, color: COLORS[i % COLORS.length] as string, dashed: false, points: pointsOf(label, (c) => c.measurements[0]?.load.latencyMs.p99) },
    { label: `p50, upstreams ${label}`, color: COLORS[i % COLORS.length] as string, dashed: true, points: pointsOf(label, (c) => c.measurements[0]?.load.latencyMs.p50) }
  ])
  const throughput: Series[] = latencies.flatMap((label, i) => [
    { label: `2xx/s, upstreams ${label}`, color: COLORS[i % COLORS.length] as string, dashed: false, points: pointsOf(label, (c) => c.measurements[0]?.load.okRps) },
    { label: `limit, upstreams ${label}`, color: COLORS[i % COLORS.length] as string, dashed: true, points: pointsOf(label, (c) => c.latencyBoundRps) }
  ])
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT + 40}" viewBox="0 0 ${WIDTH} ${HEIGHT + 40}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">book-aggregator: latency vs load (scaling)</text>`,
    `<text x="${WIDTH / 2}" y="36" text-anchor="middle" fill="#555">${esc(subtitle)}</text>`,
    renderPanel({ x: 70, title: 'latency (p99 solid, p50 dashed)', unit: 'ms', series: latency }, xs),
    renderPanel({ x: 70 + PANEL_W + 110, title: 'throughput (limit dashed)', unit: 'req/s', series: throughput }, xs),
    '</svg>',
    ''
  ].join('\n')
}
