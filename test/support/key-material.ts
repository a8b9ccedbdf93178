/**
 * Searching text for key material: every spelling under which a key can leak into a log line, an error, an HTTP
 * body or a captured output stream. Used by the key-leak tests (test/e2e/key-leak.test.ts, the logger's and the
 * secret store's tests).
 */

/** The spellings of a key that must never appear: hex in both cases, base64 (padded and not) and base64url. */
export function keyForms(key: Buffer): { name: string; text: string }[] {
  const hex = key.toString('hex');
  return [
    { name: 'hex', text: hex },
    { name: 'HEX', text: hex.toUpperCase() },
    { name: 'base64', text: key.toString('base64').replace(/=+$/, '') },
    { name: 'base64url', text: key.toString('base64url') },
  ];
}

/** The places (index of the text, spelling, index of the key) where any key appears in any text. */
export function findKeyLeaks(texts: readonly string[], keys: readonly Buffer[]): { text: number; form: string; key: number }[] {
  const hits: { text: number; form: string; key: number }[] = [];
  keys.forEach((key, k) => {
    if (key.length < 4) throw new Error(`key #${k} is shorter than 4 bytes and would match by chance`);
    const hex = key.toString('hex');
    texts.forEach((t, i) => {
      for (const form of keyForms(key)) if (t.includes(form.text)) hits.push({ text: i, form: form.name, key: k });
      // Hex with mixed case or separators (00:11:…, 00 11 …, 00-11-…).
      if (t.replace(/[\s:-]/g, '').toLowerCase().includes(hex) && !hits.some((h) => h.text === i && h.key === k)) hits.push({ text: i, form: 'separated hex', key: k });
    });
  });
  return hits;
}

/**
 * Throws when any key occurs in `text`. The message names the key's index and the spelling, never the key.
 */
export function assertNoKeyMaterial(text: string, keys: readonly Buffer[]): void {
  const [hit] = findKeyLeaks([text], keys);
  if (hit) throw new Error(`key material leaked: key #${hit.key} found as ${hit.form}`);
}
