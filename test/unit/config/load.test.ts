import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../config/load.ts';

const problemsOf = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
};

describe('loadConfig', () => {
  it('gives the documented defaults with an empty environment', () => {
    const c = loadConfig({});
    expect(c.server).toEqual({
      host: '127.0.0.1',
      port: 8080,
      publicUrl: 'http://localhost:8080',
      trustProxy: false,
      drainSeconds: 60,
      docs: true,
      headersTimeoutSeconds: 20,
      requestTimeoutSeconds: 300,
      idleTimeoutSeconds: 90,
      keepAliveTimeoutSeconds: 72,
      socketPingIntervalSeconds: 10,
      socketPingTimeoutSeconds: 5,
    });
    expect(c.mediasoup.resumeGraceSeconds).toBe(45);
    expect(loadConfig({ MEDIA_RESUME_GRACE_SECONDS: '30', SOCKET_PING_INTERVAL_SECONDS: '20' })).toMatchObject({
      mediasoup: { resumeGraceSeconds: 30 },
      server: { socketPingIntervalSeconds: 20 },
    });
    expect(c.turn).toEqual({ urls: [], ttlSeconds: 300, forceRelay: false });
    expect(c.security).toMatchObject({ socketsPerParticipant: 5, socketsPerAddress: 100, socketMessagesPerSecond: 20, socketMessageBurst: 100 });
    expect(c.files).toMatchObject({
      uploadTimeoutSeconds: 180,
      maxBytesPerConsultation: 209_715_200,
      maxConcurrentUploadsPerAddress: 8,
      maxConcurrentUploadsPerParticipant: 2,
      guestPdf: false,
      sanitizeThreads: 1,
      sanitizeQueue: 8,
      sanitizeTimeoutSeconds: 10,
      sanitizeMemoryMb: 256,
      maxPixels: 50_000_000,
      maxProgressivePixels: 16_000_000,
    });
    expect(c.redisUrl).toBeUndefined();
    expect(c.mediasoup.numWorkers).toBe(0);
    expect(c.auth.apiKeys).toEqual([]);
  });

  it('applies environment overrides with their types', () => {
    const c = loadConfig({ PORT: '9000', TRUST_PROXY: 'true', MEDIASOUP_NUM_WORKERS: '2', REDIS_URL: 'redis://127.0.0.1:6390', API_KEYS: 'a'.repeat(32) + ', ' + 'b'.repeat(32) });
    expect(c.server.port).toBe(9000);
    expect(c.server.publicUrl).toBe('http://localhost:9000');
    expect(c.server.trustProxy).toBe(true);
    expect(c.mediasoup.numWorkers).toBe(2);
    expect(c.redisUrl).toBe('redis://127.0.0.1:6390');
    expect(c.auth.apiKeys).toEqual(['a'.repeat(32), 'b'.repeat(32)]);
  });

  it('keeps an explicit PUBLIC_URL when PORT changes', () => {
    expect(loadConfig({ PORT: '9000', PUBLIC_URL: 'https://video.example.nhs.uk' }).server.publicUrl).toBe('https://video.example.nhs.uk');
  });

  it('names every offending key, with its source and the expected form, in one error', () => {
    const e = problemsOf({ PORT: 'eighty', LOG_LEVEL: 'loud', REDIS_URL: 'http://x', API_KEYS: 'short', MEDIASOUP_NUM_WORKERS: '-1' });
    const keys = e.problems.map((p) => p.key);
    expect(keys).toEqual(
      expect.arrayContaining([
        'server.port (env PORT)',
        'logLevel (env LOG_LEVEL)',
        'redisUrl (env REDIS_URL)',
        'auth.apiKeys.0 (env API_KEYS)',
        'mediasoup.numWorkers (env MEDIASOUP_NUM_WORKERS)',
      ]),
    );
    expect(e.problems).toHaveLength(5);
    expect(e.message).toContain('server.port (env PORT): expected TCP port, 0 to 65535');
    expect(e.message).toContain('logLevel (env LOG_LEVEL): expected one of fatal, error, warn, info, debug, trace, silent');
  });

  it('reads a JSON config file and reports unknown and missing keys in it', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cfg-'));
    const file = path.join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ server: { prot: 1 }, mediasoup: { listenIp: '' } }));
    const e = problemsOf({ CONFIG_FILE: file });
    expect(e.problems).toEqual(
      expect.arrayContaining([
        { key: 'server.prot', problem: 'unknown key' },
        { key: 'mediasoup.listenIp', problem: 'expected IP address the WebRtcServer binds' },
      ]),
    );
  });

  it('reports an unreadable CONFIG_FILE and API_KEYS_FILE instead of crashing', () => {
    const e = problemsOf({ CONFIG_FILE: '/nonexistent/c.json', API_KEYS_FILE: '/nonexistent/keys' });
    expect(e.problems.map((p) => p.key)).toEqual(['CONFIG_FILE', 'auth.apiKeys (env API_KEYS_FILE)']);
  });

  it('reads API keys from a file, one per line, skipping comments', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cfg-'));
    const file = path.join(dir, 'keys');
    writeFileSync(file, `# booking system\n${'k'.repeat(40)}\n\n`);
    expect(loadConfig({ API_KEYS_FILE: file }).auth.apiKeys).toEqual(['k'.repeat(40)]);
  });
});
