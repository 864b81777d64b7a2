// MARC language codes (what Open Library stores, `/languages/eng`) and ISO 639-2 codes → ISO
// 639-1, the two-letter code our sections carry. MARC uses the ISO 639-2 *bibliographic* forms
// (fre, ger, chi); other catalogues use the *terminologic* ones (fra, deu, zho): both are here.
// The list covers the languages books are catalogued in most often; others are dropped, since a
// wrong language is worse than none.
const ISO_639_1_BY_CODE3: Readonly<Record<string, string>> = {
  afr: 'af', alb: 'sq', sqi: 'sq', amh: 'am', ara: 'ar', arm: 'hy', hye: 'hy', aze: 'az',
  baq: 'eu', eus: 'eu', bel: 'be', ben: 'bn', bos: 'bs', bul: 'bg', bur: 'my', mya: 'my',
  cat: 'ca', chi: 'zh', zho: 'zh', cze: 'cs', ces: 'cs', dan: 'da', dut: 'nl', nld: 'nl',
  eng: 'en', epo: 'eo', est: 'et', fin: 'fi', fre: 'fr', fra: 'fr', geo: 'ka', kat: 'ka',
  ger: 'de', deu: 'de', gle: 'ga', glg: 'gl', gre: 'el', ell: 'el', guj: 'gu', heb: 'he',
  hin: 'hi', hrv: 'hr', hun: 'hu', ice: 'is', isl: 'is', ind: 'id', ita: 'it', jpn: 'ja',
  kan: 'kn', kaz: 'kk', kor: 'ko', lat: 'la', lav: 'lv', lit: 'lt', mac: 'mk', mkd: 'mk',
  mal: 'ml', mar: 'mr', may: 'ms', msa: 'ms', mon: 'mn', nep: 'ne', nor: 'no', nob: 'nb',
  nno: 'nn', pan: 'pa', per: 'fa', fas: 'fa', pol: 'pl', por: 'pt', rum: 'ro', ron: 'ro',
  rus: 'ru', san: 'sa', slo: 'sk', slk: 'sk', slv: 'sl', spa: 'es', srp: 'sr', swa: 'sw',
  swe: 'sv', tam: 'ta', tel: 'te', tgl: 'tl', tha: 'th', tur: 'tr', ukr: 'uk', urd: 'ur',
  uzb: 'uz', vie: 'vi', wel: 'cy', cym: 'cy', yid: 'yi', yor: 'yo', zul: 'zu',
  // Obsolete MARC codes still found on older records.
  scr: 'hr', scc: 'sr', esk: 'iu', tag: 'tl', mol: 'ro'
}

/**
 * `/languages/eng`, `eng`, `ENG`, `en`, `en-GB`, `zh_CN` → `en` / `zh`; `undefined` for a
 * three-letter code not in the table. Two-letter codes pass as they are: providers that send
 * them (Google, Hardcover's `code2`) already speak ISO 639-1, for every language.
 */
export function toIso6391(code: string): string | undefined {
  const bare = code.trim().toLowerCase().replace(/^\/languages\//, '')
  const primary = bare.split(/[-_]/)[0] ?? ''
  if (/^[a-z]{3}$/.test(primary)) return ISO_639_1_BY_CODE3[primary]
  return /^[a-z]{2}$/.test(primary) ? primary : undefined
}
