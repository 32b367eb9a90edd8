// Keeping credentials out of status pages and diagnostics: the strings an exporter must never
// repeat (passwords, tokens, API keys, the Authorization header and its parts) and the scrub that
// replaces them, applied to a backend's answer before it is cut short, so that a cut cannot leave
// half a secret behind.

/** Secrets shorter than this are not masked: they would garble status codes and words. */
const MIN_SECRET_LENGTH = 4;

/**
 * Every string to mask for these credentials: each value, the credential of an Authorization
 * value (`Bearer x` → `x`), and a Basic value decoded (`user:password` and the password).
 * Longest first, so a secret containing another is masked whole.
 */
export function secretsOf(values: ReadonlyArray<string | undefined>): string[] {
  const found = new Set<string>();
  for (const value of values) {
    if (value === undefined) continue;
    found.add(value);
    const scheme = /^(basic|bearer|token|apikey)\s+(.+)$/i.exec(value.trim());
    if (scheme !== null) {
      const credential = scheme[2] as string;
      found.add(credential);
      if ((scheme[1] as string).toLowerCase() === 'basic') {
        const decoded = Buffer.from(credential, 'base64').toString('utf8');
        found.add(decoded);
        found.add(decoded.slice(decoded.indexOf(':') + 1));
      }
    }
  }
  return [...found]
    .filter((secret) => secret.length >= MIN_SECRET_LENGTH)
    .sort((a, b) => b.length - a.length);
}

/**
 * The credentials a URL carries: its userinfo and every query value (`?api_key=…`, as some
 * vendors' endpoints take), each as written and decoded. For `secretsOf`.
 */
export function urlSecrets(url: string | undefined): string[] {
  if (url === undefined) return [];
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return [];
  }
  const written = [
    parsed.username,
    parsed.password,
    ...parsed.search
      .slice(1)
      .split('&')
      .map((pair) => pair.slice(pair.indexOf('=') + 1)),
  ];
  const decoded = written.map((value) => {
    try {
      return decodeURIComponent(value);
    } catch {
      return value; // not URL-encoded: the value as written is the one sent
    }
  });
  // searchParams also reads `+` as a space, as servers do.
  return [...written, ...decoded, ...parsed.searchParams.values()];
}

/** `text` with every secret replaced by `[REDACTED]`. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join('[REDACTED]');
  return out;
}
