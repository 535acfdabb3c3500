/** What a failed API answer says: its message, its stable code, and for `429` when to retry. */
export interface IApiErrorInfo {
  message: string;
  code: string | null;
  /** Seconds to wait before trying again (`Retry-After` / `retry_after`), or null. */
  retryAfter: number | null;
}

/**
 * Read a failed API answer: the API's own `message` and `code`, else the HTTP status. Pure, so
 * Jest tests it without a server.
 */
export function apiErrorInfo(
  status: number,
  statusText: string,
  body: string,
  retryAfterHeader: string | null = null
): IApiErrorInfo {
  let data: unknown = null;
  try {
    data = body ? JSON.parse(body) : null;
  } catch {
    data = null;
  }
  const fields = data && typeof data === 'object' ? (data as Record<string, unknown>) : {};
  const message = typeof fields.message === 'string' && fields.message ? fields.message : null;
  const retry = Number(fields.retry_after ?? retryAfterHeader ?? NaN);
  return {
    message: message ?? `${status} ${statusText}`.trim(),
    code: typeof fields.code === 'string' ? fields.code : null,
    retryAfter: Number.isFinite(retry) && retry > 0 ? Math.ceil(retry) : null
  };
}
