/**
 * Parsing of `WWW-Authenticate` challenges (RFC 9110 §11.6.1) as registries
 * send them: `Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"`
 * or `Basic realm="Registry Realm"`. Scope values contain commas
 * (`pull,push`), so this is a real tokenizer, not a split on commas.
 */

/** One challenge: its scheme (lower-cased) and its parameters (names lower-cased). */
export interface AuthChallenge {
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
}

const TOKEN = /[!#$%&'*+.^_`|~0-9A-Za-z-]+/y;

/** Parses every challenge in a header value; unknown syntax yields what was read so far. */
export function parseAuthChallenges(header: string | null | undefined): AuthChallenge[] {
  const challenges: AuthChallenge[] = [];
  if (!header) return challenges;
  let i = 0;
  const skip = (): void => {
    while (i < header.length && (header[i] === " " || header[i] === "\t" || header[i] === ",")) i++;
  };
  const token = (): string | undefined => {
    TOKEN.lastIndex = i;
    const m = TOKEN.exec(header);
    if (!m) return undefined;
    i = TOKEN.lastIndex;
    return m[0];
  };
  while (i < header.length) {
    skip();
    const scheme = token();
    if (!scheme) break;
    const params: Record<string, string> = {};
    for (;;) {
      const mark = i;
      while (header[i] === " " || header[i] === "\t" || header[i] === ",") i++;
      const name = token();
      if (!name) break;
      while (header[i] === " ") i++;
      if (header[i] !== "=") {
        // A bare token: it starts the next challenge.
        i = mark;
        break;
      }
      i++;
      while (header[i] === " ") i++;
      let value = "";
      if (header[i] === '"') {
        i++;
        while (i < header.length && header[i] !== '"') {
          if (header[i] === "\\" && i + 1 < header.length) i++;
          value += header[i++];
        }
        i++;
      } else {
        value = token() ?? "";
      }
      params[name.toLowerCase()] = value;
    }
    challenges.push({ scheme: scheme.toLowerCase(), params });
  }
  return challenges;
}

/** The token endpoint URL for a Bearer challenge, with `service` and `scope` query parameters. */
export function tokenUrl(challenge: AuthChallenge, fallbackScope: string): URL | undefined {
  const realm = challenge.params.realm;
  if (!realm) return undefined;
  let url: URL;
  try {
    url = new URL(realm);
  } catch {
    return undefined;
  }
  if (challenge.params.service) url.searchParams.set("service", challenge.params.service);
  const scope = challenge.params.scope ?? fallbackScope;
  for (const s of scope.split(" ").filter(Boolean)) url.searchParams.append("scope", s);
  return url;
}
