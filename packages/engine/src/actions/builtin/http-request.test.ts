import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FlowspecError } from '../../errors.js';
import { silentLogger } from '../../logger.js';
import type { ActionContext, ActionDefinition } from '../types.js';
import { ActionError } from '../types.js';
import { createHttpRequestAction } from './http-request.js';
import type { HttpResponseOutput } from './http-request.js';

// Real sockets on 127.0.0.1: two servers, so that a redirect can go to another origin (another port).

interface Hit {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

interface TestServer {
  readonly server: Server;
  readonly hits: Hit[];
  port: number;
  base: string;
  /** Called for every request before it is answered. */
  onHit: ((hit: Hit) => void) | null;
}

function route(t: TestServer, hit: Hit, res: ServerResponse): void {
  const url = new URL(hit.url, t.base);
  const path = url.pathname;
  const json = (status: number, value: unknown, type = 'application/json'): void => {
    res.writeHead(status, { 'content-type': type });
    res.end(JSON.stringify(value));
  };
  switch (path) {
    case '/echo':
      json(200, {
        method: hit.method,
        path,
        query: Object.fromEntries(url.searchParams),
        rawQuery: url.search,
        headers: hit.headers,
        body: hit.body,
      });
      return;
    case '/text':
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'x-custom': 'Yes' });
      res.end('plain text ✓');
      return;
    case '/cookies':
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.setHeader('x-multi', ['one', 'two']);
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('');
      return;
    case '/problem':
      json(200, { type: 'about:blank', title: 'odd' }, 'application/problem+json');
      return;
    case '/bad-json':
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{not json');
      return;
    case '/empty-json':
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end();
      return;
    case '/no-content':
      res.writeHead(204);
      res.end();
      return;
    case '/latin1':
      res.writeHead(200, { 'content-type': 'text/plain; charset=iso-8859-1' });
      res.end(Buffer.from([0x63, 0x61, 0x66, 0xe9])); // "café" in latin-1
      return;
    case '/missing':
      json(404, { error: 'no such thing', detail: 'x'.repeat(2000) });
      return;
    case '/boom':
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('internal\n   failure');
      return;
    case '/redirect': {
      const status = Number(url.searchParams.get('status') ?? 302);
      res.writeHead(status, { location: url.searchParams.get('to') ?? '/echo' });
      res.end('moved');
      return;
    }
    case '/redirect-no-location':
      res.writeHead(302, { 'content-type': 'text/plain' });
      res.end('nowhere to go');
      return;
    case '/loop':
      res.writeHead(302, { location: '/loop' });
      res.end();
      return;
    case '/big':
      // 5000 bytes in chunks, no content-length: only the byte counter can catch it.
      res.writeHead(200, { 'content-type': 'text/plain' });
      for (let i = 0; i < 5; i++) res.write('y'.repeat(1000));
      res.end();
      return;
    case '/big-declared':
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '5000' });
      res.end('z'.repeat(5000));
      return;
    case '/hang':
      return; // never answers
    case '/slow-body':
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('started…'); // then never ends
      return;
    default:
      json(404, { error: `no route ${path}` });
  }
}

function startServer(): Promise<TestServer> {
  const t: TestServer = { server: createServer(), hits: [], port: 0, base: '', onHit: null };
  t.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const hit: Hit = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      t.hits.push(hit);
      t.onHit?.(hit);
      route(t, hit, res);
    });
  });
  return new Promise((resolve) => {
    t.server.listen(0, '127.0.0.1', () => {
      t.port = (t.server.address() as AddressInfo).port;
      t.base = `http://127.0.0.1:${t.port}`;
      resolve(t);
    });
  });
}

function stopServer(t: TestServer): Promise<void> {
  t.server.closeAllConnections();
  return new Promise((resolve) => t.server.close(() => resolve()));
}

function fakeContext(signal: AbortSignal = new AbortController().signal): ActionContext {
  return {
    signal,
    idempotencyKey: 'i1:Call:1',
    logger: silentLogger,
    instanceId: 'i1',
    workflowId: 'w1',
    stepName: 'Call',
    attempt: 1,
  };
}

async function call(
  action: ActionDefinition,
  params: Record<string, unknown>,
  ctx: ActionContext = fakeContext(),
): Promise<HttpResponseOutput> {
  return (await action.handler(params, ctx)) as HttpResponseOutput;
}

async function failure(
  action: ActionDefinition,
  params: Record<string, unknown>,
  ctx: ActionContext = fakeContext(),
): Promise<ActionError> {
  try {
    await action.handler(params, ctx);
  } catch (err) {
    expect(err).toBeInstanceOf(ActionError);
    return err as ActionError;
  }
  throw new Error('expected the HTTP action to fail, it succeeded');
}

let a: TestServer;
let b: TestServer;

beforeAll(async () => {
  [a, b] = await Promise.all([startServer(), startServer()]);
});

afterAll(async () => {
  await Promise.all([stopServer(a), stopServer(b)]);
});

beforeEach(() => {
  a.hits.length = 0;
  b.hits.length = 0;
  a.onHit = null;
  b.onHit = null;
});

describe('com.datadoghq.http.request: requests and responses', () => {
  const http = createHttpRequestAction();

  it('is not inline (it goes through the concurrency queue)', () => {
    expect(http.inline).toBeUndefined();
  });

  it('GETs by default and parses a JSON body', async () => {
    const out = await call(http, { url: `${a.base}/echo` });
    expect(out.status).toBe(200);
    expect(out.headers['content-type']).toBe('application/json');
    expect(out.body).toMatchObject({ method: 'GET', path: '/echo', body: '' });
    expect(a.hits).toHaveLength(1);
  });

  it('POSTs an object as JSON with content-type application/json', async () => {
    const out = await call(http, { url: `${a.base}/echo`, verb: 'POST', body: { reason: 'auto', n: [1, 2] } });
    const echoed = out.body as { method: string; headers: Record<string, string>; body: string };
    expect(echoed.method).toBe('POST');
    expect(echoed.headers['content-type']).toBe('application/json');
    expect(JSON.parse(echoed.body)).toEqual({ reason: 'auto', n: [1, 2] });
  });

  it('sends an array body as JSON and keeps a content-type set by requestHeaders', async () => {
    const out = await call(http, {
      url: `${a.base}/echo`,
      verb: 'put',
      body: [1, 'two'],
      requestHeaders: [{ key: 'Content-Type', value: ['application/vnd.acme+json'] }],
    });
    const echoed = out.body as { method: string; headers: Record<string, string>; body: string };
    expect(echoed.method).toBe('PUT');
    expect(echoed.headers['content-type']).toBe('application/vnd.acme+json');
    expect(echoed.body).toBe('[1,"two"]');
  });

  it('sends a string body as is', async () => {
    const out = await call(http, { url: `${a.base}/echo`, verb: 'PATCH', body: 'a=1&b=2' });
    const echoed = out.body as { method: string; headers: Record<string, string>; body: string };
    expect(echoed.method).toBe('PATCH');
    expect(echoed.body).toBe('a=1&b=2');
    expect(echoed.headers['content-type']).toMatch(/^text\/plain/);
  });

  it('sends requestHeaders, with several values for one key', async () => {
    const out = await call(http, {
      url: `${a.base}/echo`,
      requestHeaders: [
        { key: 'X-Api-Key', value: ['k-123'] },
        { key: 'Accept', value: ['application/json', 'text/plain'] },
        { key: 'X-Single', value: 'plain-string' },
      ],
    });
    const headers = (out.body as { headers: Record<string, string> }).headers;
    expect(headers['x-api-key']).toBe('k-123');
    expect(headers['accept']).toBe('application/json, text/plain');
    expect(headers['x-single']).toBe('plain-string');
  });

  it('appends urlParams to the query string, keeping the query the URL already has', async () => {
    const out = await call(http, {
      url: `${a.base}/echo?existing=1`,
      urlParams: [
        { key: 'q', value: 'a b&c' },
        { key: 'n', value: 5 },
        { key: 'tag', value: ['x', 'y'] },
      ],
    });
    const echoed = out.body as { query: Record<string, string>; rawQuery: string };
    expect(echoed.query).toEqual({ existing: '1', q: 'a b&c', n: '5', tag: 'y' });
    expect(echoed.rawQuery).toContain('tag=x&tag=y');
  });

  it('returns a text body, and response headers as a plain object with lower-case names', async () => {
    const out = await call(http, { url: `${a.base}/text` });
    expect(out.body).toBe('plain text ✓');
    expect(out.headers['x-custom']).toBe('Yes');
    expect(Object.getPrototypeOf(out.headers)).toBe(Object.prototype);
    expect(Object.keys(out.headers).every((k) => k === k.toLowerCase())).toBe(true);
    expect(JSON.parse(JSON.stringify(out))).toEqual(out);
  });

  it('joins repeated response headers', async () => {
    const out = await call(http, { url: `${a.base}/cookies` });
    expect(out.headers['set-cookie']).toBe('a=1, b=2');
    expect(out.headers['x-multi']).toBe('one, two');
  });

  it('parses +json media types; keeps invalid JSON as text; an empty JSON body is null', async () => {
    expect((await call(http, { url: `${a.base}/problem` })).body).toEqual({ type: 'about:blank', title: 'odd' });
    expect((await call(http, { url: `${a.base}/bad-json` })).body).toBe('{not json');
    expect((await call(http, { url: `${a.base}/empty-json` })).body).toBeNull();
  });

  it('decodes the charset the response names', async () => {
    expect((await call(http, { url: `${a.base}/latin1` })).body).toBe('café');
  });

  it('returns 204 with an empty body, and HEAD with no body', async () => {
    expect(await call(http, { url: `${a.base}/no-content`, verb: 'DELETE' })).toMatchObject({ status: 204, body: '' });
    const head = await call(http, { url: `${a.base}/text`, verb: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });

  it('sends OPTIONS', async () => {
    const out = await call(http, { url: `${a.base}/echo`, verb: 'OPTIONS' });
    expect((out.body as { method: string }).method).toBe('OPTIONS');
  });
});

describe('com.datadoghq.http.request: failures', () => {
  const http = createHttpRequestAction();

  it('fails a 404 with http_status, naming verb, origin+path, status and a body excerpt', async () => {
    const err = await failure(http, { url: `${a.base}/missing?token=s3cret`, verb: 'GET' });
    expect(err.code).toBe('http_status');
    expect(err.message).toContain(`GET ${a.base}/missing returned HTTP 404 Not Found`);
    expect(err.message).toContain('no such thing');
    expect(err.message).not.toContain('s3cret');
    expect(err.message.length).toBeLessThan(500); // the 2000-char detail is cut
    expect(err.details).toMatchObject({ status: 404, url: `${a.base}/missing` });
  });

  it('fails a 500 with http_status and a whitespace-collapsed excerpt', async () => {
    const err = await failure(http, { url: `${a.base}/boom`, verb: 'POST', body: {} });
    expect(err.code).toBe('http_status');
    expect(err.message).toBe(`POST ${a.base}/boom returned HTTP 500 Internal Server Error: internal failure`);
  });

  it('fails with http_request_failed when nothing listens', async () => {
    const closed = await startServer();
    await stopServer(closed);
    const err = await failure(http, { url: `${closed.base}/echo` });
    expect(err.code).toBe('http_request_failed');
    expect(err.message).toContain(`GET ${closed.base}/echo failed`);
    expect(err.message).toMatch(/ECONNREFUSED/);
  });

  it.each([['not a url'], ['/relative/path'], ['http://']])(
    'fails the URL %j with http_request_failed',
    async (url) => {
      const err = await failure(http, { url });
      expect(err.code).toBe('http_request_failed');
      expect(err.message).toMatch(/not a valid absolute URL/);
    },
  );

  it('fails a URL with credentials without echoing them', async () => {
    const err = await failure(http, { url: `http://user:pa55@127.0.0.1:${a.port}/echo` });
    expect(err.code).toBe('http_request_failed');
    expect(err.message).toContain(`GET ${a.base}/echo: URLs with credentials`);
    expect(err.message).not.toContain('pa55');
    expect(a.hits).toHaveLength(0);
  });

  it.each([['ftp://127.0.0.1/file'], ['file:///etc/passwd'], ['data:text/plain,hi']])(
    'refuses the non-http URL %j',
    async (url) => {
      const err = await failure(http, { url });
      expect(err.code).toBe('http_request_failed');
      expect(err.message).toMatch(/only http: and https: URLs/);
    },
  );

  it.each([
    [{}, '"url"'],
    [{ url: '' }, '"url"'],
    [{ url: 42 }, '"url"'],
    [{ url: 'http://x.test', verb: 'FETCH' }, '"verb"'],
    [{ url: 'http://x.test', verb: 7 }, '"verb"'],
    [{ url: 'http://x.test', requestHeaders: { Accept: 'x' } }, '"requestHeaders"'],
    [{ url: 'http://x.test', requestHeaders: [{ value: ['x'] }] }, '"requestHeaders[0].key"'],
    [{ url: 'http://x.test', requestHeaders: ['Accept: x'] }, '"requestHeaders[0]"'],
    [{ url: 'http://x.test', requestHeaders: [{ key: 'X-A', value: [{ no: 1 }] }] }, '"requestHeaders[0].value"'],
    [{ url: 'http://x.test', requestHeaders: [{ key: 'bad header', value: ['x'] }] }, '"requestHeaders[0]"'],
    [{ url: 'http://x.test', urlParams: 'a=1' }, '"urlParams"'],
    [{ url: 'http://x.test', urlParams: [{ key: '', value: 1 }] }, '"urlParams[0].key"'],
    [{ url: 'http://x.test', body: { a: 1 } }, '"body"'],
    [{ url: 'http://x.test', verb: 'HEAD', body: 'x' }, '"body"'],
    [{ url: 'http://x.test', timeoutMs: 0 }, '"timeoutMs"'],
    [{ url: 'http://x.test', timeoutMs: '100' }, '"timeoutMs"'],
    [{ url: 'http://x.test', timeoutMs: Number.POSITIVE_INFINITY }, '"timeoutMs"'],
  ])('refuses %j with invalid_parameters naming %s', async (params, name) => {
    const err = await failure(http, params);
    expect(err.code).toBe('invalid_parameters');
    expect(err.message).toContain(`Parameter ${name}`);
  });

  it('lists the allowed verbs when the verb is unknown', async () => {
    const err = await failure(http, { url: 'http://x.test', verb: 'FETCH' });
    expect(err.message).toContain('GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS');
    expect(err.message).toContain('"FETCH"');
  });
});

describe('com.datadoghq.http.request: host allowlist', () => {
  it('refuses a host not listed before any connection is made', async () => {
    const http = createHttpRequestAction({ allowedHosts: ['api.example.com'] });
    const err = await failure(http, { url: `${a.base}/echo` });
    expect(err.code).toBe('http_host_not_allowed');
    expect(err.message).toContain('"127.0.0.1"');
    expect(err.message).toContain(`"127.0.0.1:${a.port}"`);
    expect(err.message).toContain('allowedHosts');
    expect(a.hits).toHaveLength(0);
  });

  it('allows a listed host:port, and a bare host name on any port', async () => {
    const byPort = createHttpRequestAction({ allowedHosts: [`127.0.0.1:${a.port}`] });
    expect((await call(byPort, { url: `${a.base}/echo` })).status).toBe(200);
    const byName = createHttpRequestAction({ allowedHosts: ['127.0.0.1'] });
    expect((await call(byName, { url: `${b.base}/echo` })).status).toBe(200);
    const upper = createHttpRequestAction({ allowedHosts: [`  127.0.0.1:${b.port} `] });
    expect((await call(upper, { url: `${b.base}/echo` })).status).toBe(200);
  });

  it('refuses the same host on another port when only host:port is listed', async () => {
    const http = createHttpRequestAction({ allowedHosts: [`127.0.0.1:${a.port}`] });
    const err = await failure(http, { url: `${b.base}/echo` });
    expect(err.code).toBe('http_host_not_allowed');
    expect(b.hits).toHaveLength(0);
  });

  it('matches host names case-insensitively and uses the default port of the scheme', async () => {
    const seen: string[] = [];
    const stub: typeof fetch = (input) => {
      seen.push(String(input));
      return Promise.resolve(new Response('ok'));
    };
    const http = createHttpRequestAction({ allowedHosts: ['API.Example.com:443', 'plain.test:80'], fetch: stub });
    expect((await call(http, { url: 'https://api.example.COM/v1' })).body).toBe('ok');
    expect((await call(http, { url: 'http://plain.test/x' })).body).toBe('ok');
    expect((await failure(http, { url: 'http://api.example.com/v1' })).code).toBe('http_host_not_allowed');
    expect(seen).toEqual(['https://api.example.com/v1', 'http://plain.test/x']);
  });

  it('refuses a redirect to a host not listed, without connecting to it', async () => {
    const http = createHttpRequestAction({ allowedHosts: [`127.0.0.1:${a.port}`] });
    const to = `${b.base}/echo`;
    const err = await failure(http, { url: `${a.base}/redirect?to=${encodeURIComponent(to)}` });
    expect(err.code).toBe('http_host_not_allowed');
    expect(err.message).toContain(`reached by a redirect from ${a.base}/redirect`);
    expect(a.hits).toHaveLength(1);
    expect(b.hits).toHaveLength(0);
  });

  it.each([[['http://example.com']], [['']], [['a b']], [[42]], ['example.com']])(
    'refuses the option allowedHosts %j',
    (allowedHosts) => {
      expect(() => createHttpRequestAction({ allowedHosts } as never)).toThrow(FlowspecError);
      try {
        createHttpRequestAction({ allowedHosts } as never);
      } catch (err) {
        expect((err as FlowspecError).code).toBe('FSP_ERR_INVALID_ARGUMENT');
        expect((err as FlowspecError).message).toContain('allowedHosts');
      }
    },
  );
});

describe('com.datadoghq.http.request: redirects', () => {
  const http = createHttpRequestAction();

  it('follows a redirect to another origin, dropping credentials', async () => {
    const to = `${b.base}/echo`;
    const out = await call(http, {
      url: `${a.base}/redirect?to=${encodeURIComponent(to)}`,
      requestHeaders: [
        { key: 'Authorization', value: ['Bearer secret'] },
        { key: 'X-Trace', value: ['t1'] },
      ],
    });
    expect(out.status).toBe(200);
    const headers = (out.body as { headers: Record<string, string> }).headers;
    expect(headers['authorization']).toBeUndefined();
    expect(headers['x-trace']).toBe('t1');
    expect(a.hits).toHaveLength(1);
    expect(b.hits).toHaveLength(1);
  });

  it('keeps credentials on a same-origin redirect (relative Location)', async () => {
    const out = await call(http, {
      url: `${a.base}/redirect?to=/echo`,
      requestHeaders: [{ key: 'Authorization', value: ['Bearer secret'] }],
    });
    expect((out.body as { headers: Record<string, string> }).headers['authorization']).toBe('Bearer secret');
  });

  it('turns a POST into a body-less GET on 302 and 303', async () => {
    for (const status of [302, 303]) {
      a.hits.length = 0;
      const out = await call(http, {
        url: `${a.base}/redirect?status=${status}&to=/echo`,
        verb: 'POST',
        body: { a: 1 },
      });
      const echoed = out.body as { method: string; body: string; headers: Record<string, string> };
      expect(echoed.method).toBe('GET');
      expect(echoed.body).toBe('');
      expect(echoed.headers['content-type']).toBeUndefined();
      expect(a.hits.map((h) => h.method)).toEqual(['POST', 'GET']);
    }
  });

  it('keeps the method and body on 307 and 308', async () => {
    for (const status of [307, 308]) {
      const out = await call(http, {
        url: `${a.base}/redirect?status=${status}&to=/echo`,
        verb: 'PUT',
        body: { a: 1 },
      });
      const echoed = out.body as { method: string; body: string };
      expect(echoed.method).toBe('PUT');
      expect(echoed.body).toBe('{"a":1}');
    }
  });

  it('stops after 5 redirects with http_request_failed', async () => {
    const err = await failure(http, { url: `${a.base}/loop` });
    expect(err.code).toBe('http_request_failed');
    expect(err.message).toMatch(/more than 5 redirects/);
    expect(a.hits).toHaveLength(6);
  });

  it('refuses a redirect to a non-http scheme', async () => {
    const err = await failure(http, { url: `${a.base}/redirect?to=${encodeURIComponent('file:///etc/passwd')}` });
    expect(err.code).toBe('http_request_failed');
    expect(err.message).toMatch(/only http: and https: URLs/);
    expect(err.message).toContain(`redirected from ${a.base}/redirect`);
  });

  it('returns a 3xx without Location as the response', async () => {
    const out = await call(http, { url: `${a.base}/redirect-no-location` });
    expect(out).toMatchObject({ status: 302, body: 'nowhere to go' });
  });
});

describe('com.datadoghq.http.request: size limit', () => {
  it('fails a streamed body over maxResponseBytes with http_response_too_large', async () => {
    const http = createHttpRequestAction({ maxResponseBytes: 2500 });
    const err = await failure(http, { url: `${a.base}/big` });
    expect(err.code).toBe('http_response_too_large');
    expect(err.message).toContain('over 2500 bytes');
    expect(err.message).toContain('maxResponseBytes');
  });

  it('fails at once when content-length is over the limit', async () => {
    const http = createHttpRequestAction({ maxResponseBytes: 4999 });
    expect((await failure(http, { url: `${a.base}/big-declared` })).code).toBe('http_response_too_large');
  });

  it('accepts a body of exactly the limit', async () => {
    const http = createHttpRequestAction({ maxResponseBytes: 5000 });
    expect(((await call(http, { url: `${a.base}/big` })).body as string).length).toBe(5000);
    expect(((await call(http, { url: `${a.base}/big-declared` })).body as string).length).toBe(5000);
  });

  it('does not count the content-length of a HEAD response', async () => {
    const http = createHttpRequestAction({ maxResponseBytes: 10 });
    expect((await call(http, { url: `${a.base}/big-declared`, verb: 'HEAD' })).status).toBe(200);
  });

  it.each([[-1], [1.5], [Number.NaN], ['10']])('refuses the option maxResponseBytes %j', (maxResponseBytes) => {
    expect(() => createHttpRequestAction({ maxResponseBytes } as never)).toThrow(/maxResponseBytes/);
  });

  it.each([[0], [-1], [Number.POSITIVE_INFINITY]])('refuses the option defaultTimeoutMs %j', (defaultTimeoutMs) => {
    expect(() => createHttpRequestAction({ defaultTimeoutMs })).toThrow(/defaultTimeoutMs/);
  });
});

describe('com.datadoghq.http.request: timeouts and aborts', () => {
  it('times out a server that never answers (timeoutMs parameter)', async () => {
    const http = createHttpRequestAction();
    const started = Date.now();
    const err = await failure(http, { url: `${a.base}/hang`, timeoutMs: 100 });
    expect(err.code).toBe('http_request_failed');
    expect(err.message).toContain(`GET ${a.base}/hang timed out after 100 ms`);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(a.hits).toHaveLength(1);
  });

  it('times out a body that never ends (defaultTimeoutMs option)', async () => {
    const http = createHttpRequestAction({ defaultTimeoutMs: 100 });
    const err = await failure(http, { url: `${a.base}/slow-body` });
    expect(err.code).toBe('http_request_failed');
    expect(err.message).toMatch(/timed out after 100 ms/);
  });

  it('aborts when ctx.signal fires mid-request, with code canceled', async () => {
    const http = createHttpRequestAction();
    const controller = new AbortController();
    a.onHit = () => controller.abort(new Error('instance canceled'));
    const err = await failure(http, { url: `${a.base}/hang` }, fakeContext(controller.signal));
    expect(err.code).toBe('canceled');
    expect(err.message).toContain('aborted: instance canceled');
  });

  it('keeps the ActionError the engine aborts with (step timeout)', async () => {
    const http = createHttpRequestAction();
    const controller = new AbortController();
    const reason = new ActionError('step_timeout', 'timed out after 50 ms');
    a.onHit = () => controller.abort(reason);
    const err = await failure(http, { url: `${a.base}/hang` }, fakeContext(controller.signal));
    expect(err).toBe(reason);
  });

  it('does not connect when ctx.signal has already fired', async () => {
    const http = createHttpRequestAction();
    const err = await failure(http, { url: `${a.base}/echo` }, fakeContext(AbortSignal.abort(new Error('gone'))));
    expect(err.code).toBe('canceled');
    expect(a.hits).toHaveLength(0);
  });
});

describe('com.datadoghq.http.request: fetch option', () => {
  it('calls the given fetch with redirect manual and the combined signal', async () => {
    const calls: { url: string; init: RequestInit | undefined }[] = [];
    const stub: typeof fetch = (input, init) => {
      calls.push({ url: String(input), init });
      return Promise.resolve(
        new Response('{"ok":true}', { status: 201, headers: { 'content-type': 'application/json' } }),
      );
    };
    const http = createHttpRequestAction({ fetch: stub });
    const out = await call(http, { url: 'https://api.example.com/things', verb: 'POST', body: { a: 1 } });
    expect(out).toEqual({ status: 201, headers: { 'content-type': 'application/json' }, body: { ok: true } });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.init?.redirect).toBe('manual');
    expect(calls[0]!.init?.method).toBe('POST');
    expect(calls[0]!.init?.body).toBe('{"a":1}');
    expect(calls[0]!.init?.signal).toBeInstanceOf(AbortSignal);
  });

  it('maps a rejecting fetch to http_request_failed with the cause', async () => {
    const stub: typeof fetch = () =>
      Promise.reject(new TypeError('fetch failed', { cause: new Error('getaddrinfo ENOTFOUND nowhere.test') }));
    const http = createHttpRequestAction({ fetch: stub });
    const err = await failure(http, { url: 'http://nowhere.test/x' });
    expect(err.code).toBe('http_request_failed');
    expect(err.message).toBe('GET http://nowhere.test/x failed: getaddrinfo ENOTFOUND nowhere.test.');
  });

  it('refuses a fetch option that is not a function', () => {
    expect(() => createHttpRequestAction({ fetch: 'no' } as never)).toThrow(/fetch must be a function/);
  });
});
