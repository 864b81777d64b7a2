// Valid random ISBN-13s, so every fanout request is a fresh book no cache can help with.
// Group 0 (9780…) covers every registrant range, so any 8 digits after it form an ISBN that
// isbn3 (and therefore the service's validation) accepts once the check digit is right.

export function isbn13CheckDigit(first12: string): string {
  let sum = 0
  for (let i = 0; i < 12; i++) sum += Number(first12[i]) * (i % 2 === 0 ? 1 : 3)
  return String((10 - (sum % 10)) % 10)
}

export function randomIsbn13(): string {
  const body = `9780${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`
  return body + isbn13CheckDigit(body)
}

/** The book every request asks for in `fixed` mode (cache-hit, coalesce): Dune. */
export const FIXED_ISBN = '9780441013593'
