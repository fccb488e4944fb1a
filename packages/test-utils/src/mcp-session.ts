/**
 * Opens a Streamable HTTP session on `<baseUrl>/mcp` the way a client does (`initialize`, then
 * `notifications/initialized`) and returns its `Mcp-Session-Id`. For benchmarks and load tests that
 * drive the endpoint with raw requests afterwards. Throws on any other answer than 200 / 202.
 */
export async function openMcpSession(
  baseUrl: string,
  token: string,
  o: { path?: string; protocolVersion?: string } = {},
): Promise<string> {
  const url = `${baseUrl}${o.path ?? '/mcp'}`;
  const protocolVersion = o.protocolVersion ?? '2025-11-25';
  const headers = {
    authorization: `Bearer ${token}`,
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
  };
  const init = await fetch(url, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: {
        protocolVersion,
        capabilities: {},
        clientInfo: { name: 'bench', version: '1.0.0' },
      },
    }),
  });
  const sessionId = init.headers.get('mcp-session-id');
  await init.body?.cancel();
  if (init.status !== 200 || sessionId === null)
    throw new Error(`initialize answered ${init.status}`);
  const done = await fetch(url, {
    method: 'POST',
    headers: { ...headers, 'mcp-session-id': sessionId, 'mcp-protocol-version': protocolVersion },
    body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
  });
  await done.body?.cancel();
  if (done.status !== 202) throw new Error(`notifications/initialized answered ${done.status}`);
  return sessionId;
}
