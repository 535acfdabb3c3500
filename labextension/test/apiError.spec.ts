import { apiErrorInfo } from '../src/apiError';

describe('apiErrorInfo', () => {
  it('uses the API message and code', () => {
    const body = JSON.stringify({ message: 'Session 3 belongs to bob', code: 'not-yours' });
    expect(apiErrorInfo(403, 'Forbidden', body)).toEqual({
      message: 'Session 3 belongs to bob',
      code: 'not-yours',
      retryAfter: null
    });
  });

  it('falls back on the HTTP status for HTML, empty or message-less answers', () => {
    const message = (status: number, text: string, body: string): string =>
      apiErrorInfo(status, text, body).message;
    expect(message(502, 'Bad Gateway', '<html>proxy error</html>')).toBe('502 Bad Gateway');
    expect(message(500, 'Internal Server Error', '')).toBe('500 Internal Server Error');
    expect(message(500, '', JSON.stringify({ code: 'error' }))).toBe('500');
    expect(message(404, 'Not Found', JSON.stringify(['x']))).toBe('404 Not Found');
  });

  it('reads when a rate-limited request may be retried, from the body or the header', () => {
    const body = JSON.stringify({ message: 'fetched moments ago', code: 'rate-limited' });
    expect(apiErrorInfo(429, 'Too Many Requests', body, '8').retryAfter).toBe(8);
    const withField = JSON.stringify({ message: 'x', code: 'rate-limited', retry_after: 7.2 });
    expect(apiErrorInfo(429, 'Too Many Requests', withField).retryAfter).toBe(8);
    expect(apiErrorInfo(429, 'Too Many Requests', body).retryAfter).toBeNull();
  });
});
