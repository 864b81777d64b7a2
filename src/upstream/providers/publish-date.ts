// Publish dates as providers write them: Open Library keeps what the cataloguer typed ("October
// 1, 1988", "Oct 1988", "c1988", "[1992?]"), Google and Hardcover send ISO forms of varying
// precision ("2004", "2004-05", "2004-05-01"). We keep the text and add the ISO date we can read,
// at the precision the text has: guessing a day or month would invent data.

export interface PublishDate {
  publishedDate: string
  publishedDateIso?: string
}

const MONTHS: Readonly<Record<string, number>> = {
  jan: 1, january: 1, feb: 2, february: 2, mar: 3, march: 3, apr: 4, april: 4, may: 5, jun: 6, june: 6,
  jul: 7, july: 7, aug: 8, august: 8, sep: 9, sept: 9, september: 9, oct: 10, october: 10,
  nov: 11, november: 11, dec: 12, december: 12
}

const ISO = /^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$/i
const ORDINAL = '(\\d{1,2})(?:st|nd|rd|th)?'
const MONTH = '([a-z]+)\\.?,?'
const MONTH_DAY_YEAR = new RegExp(`^${MONTH}\\s+${ORDINAL},?\\s+(\\d{4})$`)
const DAY_MONTH_YEAR = new RegExp(`^${ORDINAL}\\s+${MONTH}\\s+(\\d{4})$`)
const MONTH_YEAR = new RegExp(`^${MONTH}\\s+(\\d{4})$`)
const MONTH_SLASH_YEAR = /^(\d{1,2})\/(\d{4})$/
// A lone year inside other text: "c1988", "[1992?]", "1st ed. 1988", "01/10/1988" (D/M or M/D: only the year is sure).
const ANY_YEAR = /(?<!\d)(1\d{3}|20\d{2})(?!\d)/g

export function normalizePublishDate(text: string): PublishDate {
  const publishedDate = text.trim()
  const iso = readIsoDate(publishedDate)
  return iso === undefined ? { publishedDate } : { publishedDate, publishedDateIso: iso }
}

/** `YYYY`, `YYYY-MM` or `YYYY-MM-DD` for a free-text date, or `undefined` when none can be read. */
export function readIsoDate(text: string): string | undefined {
  const value = text.trim().toLowerCase()
  const exact = readWholeDate(value)
  if (exact !== undefined) return exact
  // "Summer 1988", "c1988", "February 30, 1988": the year is still sure.
  const years = new Set([...value.matchAll(ANY_YEAR)].map((m) => m[1]))
  // Two different years ("1988-1990", "1988, repr. 1990"): which one is meant is a guess.
  return years.size === 1 ? [...years][0] : undefined
}

/** A text that is nothing but a date in one of the known layouts. */
function readWholeDate(value: string): string | undefined {
  let match = ISO.exec(value)
  if (match) return isoDate(match[1], match[2], match[3])
  if ((match = MONTH_DAY_YEAR.exec(value))) return isoDate(match[3], monthNumber(match[1]), match[2])
  if ((match = DAY_MONTH_YEAR.exec(value))) return isoDate(match[3], monthNumber(match[2]), match[1])
  if ((match = MONTH_YEAR.exec(value))) return isoDate(match[2], monthNumber(match[1]))
  if ((match = MONTH_SLASH_YEAR.exec(value))) return isoDate(match[2], match[1])
  return undefined
}

/** `'0'` (refused by isoDate) for a word that is no month, so the date is not read as year-only here. */
function monthNumber(name: string | undefined): string {
  const month = name === undefined ? undefined : MONTHS[name]
  return String(month ?? 0)
}

function isoDate(year: string | undefined, month?: string, day?: string): string | undefined {
  if (year === undefined || Number(year) < 1000) return undefined
  if (month === undefined) return year
  const m = Number(month)
  if (!Number.isInteger(m) || m < 1 || m > 12) return undefined
  const yearMonth = `${year}-${String(m).padStart(2, '0')}`
  if (day === undefined) return yearMonth
  const d = Number(day)
  // Day 0 of the next month is the last day of this one, leap years included.
  const daysInMonth = new Date(Date.UTC(Number(year), m, 0)).getUTCDate()
  if (!Number.isInteger(d) || d < 1 || d > daysInMonth) return undefined
  return `${yearMonth}-${String(d).padStart(2, '0')}`
}
