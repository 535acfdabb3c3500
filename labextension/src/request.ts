import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { apiErrorInfo, IApiErrorInfo } from './apiError';

/** The server extension's namespace under the server's base URL. */
export const API_NAMESPACE = 'ilum/api';

/** A non-2xx answer of the API: its message, plus its stable `code` and `retryAfter`. */
export class IlumApiError extends ServerConnection.ResponseError {
  constructor(response: Response, info: IApiErrorInfo) {
    super(response, info.message);
    this.code = info.code;
    this.retryAfter = info.retryAfter;
  }

  readonly code: string | null;
  readonly retryAfter: number | null;
}

/**
 * One request to the server extension. `ServerConnection.makeRequest` adds the token and
 * the XSRF header; a non-2xx answer becomes an {@link IlumApiError} whose message is the
 * API's own `message` field.
 */
export async function requestAPI<T>(
  endpoint: string,
  serverSettings: ServerConnection.ISettings = ServerConnection.makeSettings(),
  init: RequestInit = {}
): Promise<T> {
  const url = URLExt.join(serverSettings.baseUrl, API_NAMESPACE, endpoint);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, serverSettings);
  } catch (error) {
    throw new ServerConnection.NetworkError(error as TypeError);
  }
  const body = await response.text();
  if (!response.ok) {
    const retryAfter = response.headers.get('Retry-After');
    throw new IlumApiError(
      response,
      apiErrorInfo(response.status, response.statusText, body, retryAfter)
    );
  }
  try {
    return JSON.parse(body) as T;
  } catch {
    throw new ServerConnection.ResponseError(response, 'The server answered with invalid JSON.');
  }
}
