// A model in the URL: `#code=` and the base64url (RFC 4648 §5, no padding) of the text's UTF-8.

export function encodeCode(text: string): string {
  let binary = "";
  for (const b of new TextEncoder().encode(text)) binary += String.fromCharCode(b);
  return `#code=${btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")}`;
}

/** The text a `#code=` hash carries, or null when the hash has none (or it is not base64url of UTF-8). */
export function decodeCode(hash: string): string | null {
  const m = /^#?code=([A-Za-z0-9_-]*)$/.exec(hash);
  if (!m) return null;
  try {
    const binary = atob(m[1]!.replace(/-/g, "+").replace(/_/g, "/"));
    return new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
  } catch {
    return null;
  }
}
