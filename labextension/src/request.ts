import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

/** The server extension's namespace under the server's base URL. */
export const API_NAMESPACE = 'ilum/api';

/**
 * One request to the server extension. `ServerConnection.makeRequest` adds the token and
 * the XSRF header; a non-2xx answer becomes a `ServerConnection.ResponseError` whose
 * message is the API's own `message` field.
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
  const text = await response.text();
  let data: unknown = null;
  if (text.length > 0) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const message =
      data &&
      typeof data === 'object' &&
      typeof (data as { message?: unknown }).message === 'string'
        ? (data as { message: string }).message
        : `${response.status} ${response.statusText}`.trim();
    throw new ServerConnection.ResponseError(response, message);
  }
  return data as T;
}
