/** What stands in for a value that must not reach a log line or a span. */
const redactedValue = '[redacted]';

/**
 * A URL fit for a log line or a span: no user or password (`https://key:secret@host`), and every query
 * parameter's value replaced (signed URLs carry their signature there). Text that is no URL is
 * replaced whole: it could be anything.
 */
export function redactedUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return redactedValue;
  }
  parsed.username = '';
  parsed.password = '';
  parsed.search = redactedQuery(parsed.search);
  return parsed.toString();
}

/**
 * A query string (with or without its `?`) with every value replaced and the names kept: a GraphQL GET
 * carries the document and its variables there.
 */
export function redactedQuery(search: string): string {
  const parameters = new URLSearchParams(search);
  const names = [...new Set(parameters.keys())];
  if (names.length === 0) return '';
  return names.map((name) => `${encodeURIComponent(name)}=${redactedValue}`).join('&');
}
