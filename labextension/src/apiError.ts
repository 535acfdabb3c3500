/**
 * The message of a failed API answer: the API's own `message` (which already says when a
 * rate-limited fetch may be retried), else the HTTP status. Pure, so Jest tests it without a
 * server.
 */
export function apiErrorMessage(status: number, statusText: string, body: string): string {
  let data: unknown = null;
  try {
    data = body ? JSON.parse(body) : null;
  } catch {
    data = null;
  }
  const fallback = `${status} ${statusText}`.trim();
  if (!data || typeof data !== 'object') {
    return fallback;
  }
  const message = (data as { message?: unknown }).message;
  return typeof message === 'string' && message.length > 0 ? message : fallback;
}
