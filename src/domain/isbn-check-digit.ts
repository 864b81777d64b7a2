// The two check-digit rules of ISO 2108, on digit strings whose shape the caller has checked.

/** The 10th character of an ISBN-10 (`0`–`9` or `X`) for its first nine digits: weights 10…2, mod 11. */
export function isbn10CheckDigit(nineDigits: string): string {
  let sum = 0
  for (let i = 0; i < 9; i++) sum += (10 - i) * (nineDigits.charCodeAt(i) - 48)
  const check = (11 - (sum % 11)) % 11
  return check === 10 ? 'X' : String(check)
}

/** The 13th digit of an ISBN-13 (an EAN-13) for its first twelve: weights 1, 3, 1, 3…, mod 10. */
export function isbn13CheckDigit(twelveDigits: string): string {
  let sum = 0
  for (let i = 0; i < 12; i++) sum += (i % 2 === 0 ? 1 : 3) * (twelveDigits.charCodeAt(i) - 48)
  return String((10 - (sum % 10)) % 10)
}
