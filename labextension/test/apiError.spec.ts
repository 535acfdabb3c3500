import { apiErrorMessage } from '../src/apiError';

describe('apiErrorMessage', () => {
  it('uses the API message', () => {
    const body = JSON.stringify({ message: 'Session 3 belongs to bob', code: 'forbidden' });
    expect(apiErrorMessage(403, 'Forbidden', body)).toBe('Session 3 belongs to bob');
  });

  it('falls back on the HTTP status for HTML, empty or message-less answers', () => {
    expect(apiErrorMessage(502, 'Bad Gateway', '<html>proxy error</html>')).toBe('502 Bad Gateway');
    expect(apiErrorMessage(500, 'Internal Server Error', '')).toBe('500 Internal Server Error');
    expect(apiErrorMessage(500, '', JSON.stringify({ code: 'error' }))).toBe('500');
    expect(apiErrorMessage(404, 'Not Found', JSON.stringify(['x']))).toBe('404 Not Found');
  });
});
