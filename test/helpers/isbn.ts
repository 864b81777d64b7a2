/** The n-th valid ISBN-13 in group 0 (English), so tests can use many distinct cold ISBNs. */
export function nthIsbn(n: number): string {
  const body = `9780${String(100_000_00 + n).slice(-8)}`
  const sum = [...body].reduce((acc, digit, i) => acc + Number(digit) * (i % 2 === 0 ? 1 : 3), 0)
  return body + String((10 - (sum % 10)) % 10)
}
