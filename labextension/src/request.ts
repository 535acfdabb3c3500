import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { apiErrorMessage } from './apiError';

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
  const body = await response.text();
  if (!response.ok) {
    throw new ServerConnection.ResponseError(
      response,
      apiErrorMessage(response.status, response.statusText, body)
    );
  }
  try {
    return JSON.parse(body) as T;
  } catch {
    throw new ServerConnection.ResponseError(response, 'The server answered with invalid JSON.');
  }
}
