import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import type { ReactElement } from 'react';
import { vi } from 'vitest';

/** Renders inside a fresh QueryClient (no retries). */
export function renderWithClient(ui: ReactElement) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: Infinity }, mutations: { retry: false } } });
  return { client, ...render(<QueryClientProvider client={client}>{ui}</QueryClientProvider>) };
}

export interface Call {
  method: string;
  path: string;
  search: URLSearchParams;
  body: any;
  headers: Headers;
}

type Handler = (call: Call) => unknown | Response;

/**
 * Replaces fetch with routes like `'GET /api/jobs/:id'`; records every call. A handler's plain value
 * is sent as JSON 200; return a Response for anything else. Unrouted calls answer 404.
 */
export function mockApi(routes: Record<string, Handler>) {
  const calls: Call[] = [];
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(new URL(String(input), 'http://localhost:3000'), init);
    const url = new URL(request.url);
    const text = request.method === 'GET' || request.method === 'HEAD' ? '' : await request.clone().text();
    const call: Call = {
      method: request.method,
      path: url.pathname,
      search: url.searchParams,
      body: text ? JSON.parse(text) : undefined,
      headers: request.headers,
    };
    calls.push(call);
    for (const [key, handler] of Object.entries(routes)) {
      const [method, pattern] = key.split(' ');
      const re = new RegExp(`^${pattern.replace(/:[^/]+/g, '[^/]+')}$`);
      if (method === call.method && re.test(call.path)) {
        const out = await handler(call);
        if (out instanceof Response) return out;
        return new Response(out === undefined ? '' : JSON.stringify(out), { status: 200, headers: { 'content-type': 'application/json' } });
      }
    }
    return new Response(JSON.stringify({ error: { code: 'not_found', message: `no route ${call.method} ${call.path}` } }), {
      status: 404,
      headers: { 'content-type': 'application/json' },
    });
  });
  vi.stubGlobal('fetch', fetchMock);
  return { calls, fetchMock };
}
