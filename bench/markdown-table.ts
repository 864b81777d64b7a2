// The number formats and the table the bench reports share (Markdown; reads fine in a terminal).

export const n = (value: number | null | undefined, digits = 0): string =>
  value === null || value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits)

export const ratio = (value: number | null | undefined): string => (value === null || value === undefined ? '–' : `${value.toFixed(2)}×`)

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`
}

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [row(header), row(header.map(() => '---')), ...rows.map(row)].join('\n')
}
