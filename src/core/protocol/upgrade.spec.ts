import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { isChatPath, refuseUpgrade, requestPath, routePath, UPGRADE_NOT_FOUND } from './upgrade.js';

describe('requestPath', () => {
  it.each([
    ['/ws', '/ws'],
    ['/ws?x=1', '/ws'],
    ['/ws?', '/ws'],
    ['/ws?a?b', '/ws'],
    ['/ws#f', '/ws#f'],
    ['/ws#f?x=1', '/ws#f'],
    ['/ws/../ws', '/ws/../ws'],
    ['/ws%2F', '/ws%2F'],
    ['//ws', '//ws'],
    ['*', '*'],
    ['http://127.0.0.1:80/ws?x', 'http://127.0.0.1:80/ws'],
    ['?x', ''],
    ['', ''],
    [undefined, ''],
  ])('of %j is %j', (url, path) => {
    expect(requestPath(url)).toBe(path);
  });
});

describe('isChatPath', () => {
  it.each(['/ws', '/ws?x=1', '/ws?', '/ws?/ws'])('accepts %j', (url) => {
    expect(isChatPath(url)).toBe(true);
  });

  it.each([
    '/ws#f',
    '/ws/../ws',
    '/foo',
    '/ws/',
    '/WS',
    '//ws',
    '/health',
    '/ws%2F',
    '/ws ',
    '*',
    'http://127.0.0.1:8080/ws',
    'ws',
    '',
    undefined,
  ])('refuses %j', (url) => {
    expect(isChatPath(url)).toBe(false);
  });
});

describe('refuseUpgrade', () => {
  let server: Server | undefined;
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    if (server) await new Promise((resolve) => server?.close(resolve));
    server = undefined;
  });

  it('answers the 404 bytes', () => {
    expect(UPGRADE_NOT_FOUND).toBe('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });

  it('sends the 404 and closes the connection although the client keeps its half open', async () => {
    server = createServer();
    const accepted = once(server, 'connection') as Promise<[Socket]>;
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const client = connect({ port: (server.address() as AddressInfo).port, host: '127.0.0.1', allowHalfOpen: true });
    sockets.push(client);
    const received: Buffer[] = [];
    client.on('data', (d: Buffer) => received.push(d));
    const [socket] = await accepted;
    sockets.push(socket);
    const serverClosed = once(socket, 'close');
    refuseUpgrade(socket);
    await once(client, 'end');
    expect(Buffer.concat(received).toString('latin1')).toBe(UPGRADE_NOT_FOUND);
    await serverClosed; // the client never ended its side
    expect(socket.destroyed).toBe(true);
  });

  it('destroys the socket on an error instead of leaving the error unhandled', () => {
    const socket = new PassThrough();
    refuseUpgrade(socket);
    socket.emit('error', new Error('ECONNRESET'));
    expect(socket.destroyed).toBe(true);
  });
});

describe('routePath', () => {
  it.each([
    ['/health', '/health'],
    ['/health?x=1', '/health'],
    ['/health#x', '/health'],
    ['/health#x?y', '/health'],
    ['/v1/check?x#y', '/v1/check'],
    ['http://127.0.0.1:3000/health', '/health'],
    ['https://h/health?x', '/health'],
    ['http://h', '/'],
    ['http://h?x', '/'],
    ['//health', '//health'],
    ['/Health/', '/Health/'],
    ['/%68ealth', '/%68ealth'],
    ['*', '*'],
    ['', ''],
  ])('routes %s by %s', (url, path) => {
    expect(routePath(url)).toBe(path);
  });

  it('is empty without a url', () => {
    expect(routePath(undefined)).toBe('');
  });
});
