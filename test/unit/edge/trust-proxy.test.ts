import { describe, expect, it } from 'vitest';
import { clientAddress, dropInvalidForwardedFor, forwardedFor, isPrivateAddress } from '../../../server/edge/trust-proxy.ts';

describe('client address behind proxies', () => {
  it('believes one proxy hop only from a loopback or private peer', () => {
    expect(clientAddress('127.0.0.1', '198.51.100.1, 203.0.113.9', true)).toBe('203.0.113.9');
    expect(clientAddress('10.1.2.3', '203.0.113.9', true)).toBe('203.0.113.9');
    // A client on the internet writing its own header is not believed.
    expect(clientAddress('203.0.113.50', '10.0.0.1', true)).toBe('203.0.113.50');
    expect(clientAddress('127.0.0.1', '203.0.113.9', false)).toBe('127.0.0.1');
  });

  it('follows a chain of N proxies, and an explicit proxy list exactly', () => {
    expect(clientAddress('127.0.0.1', '203.0.113.9, 10.0.0.2', 2)).toBe('203.0.113.9');
    expect(clientAddress('192.0.2.7', '203.0.113.9', '192.0.2.7')).toBe('203.0.113.9');
    expect(clientAddress('192.0.2.6', '203.0.113.9', '192.0.2.0/29')).toBe('203.0.113.9');
    expect(clientAddress('192.0.2.9', '203.0.113.9', '192.0.2.0/29')).toBe('192.0.2.9');
  });

  it('knows private and loopback addresses, IPv4-mapped too', () => {
    for (const a of ['127.0.0.1', '10.0.0.1', '172.20.1.1', '192.168.1.1', '::1', '::ffff:127.0.0.1', 'fd00::1']) expect(isPrivateAddress(a), a).toBe(true);
    for (const a of ['203.0.113.1', '8.8.8.8', '2001:db8::1', 'not an ip']) expect(isPrivateAddress(a), a).toBe(false);
  });

  it('drops X-Forwarded-For entries that are not IP addresses, so no hop or client is ever one', () => {
    expect(forwardedFor('<script>, 1.2.3.4, not-an-ip')).toBe('1.2.3.4');
    expect(forwardedFor(['unknown', '2001:db8::7 , _hidden', '203.0.113.5:4711', '[2001:db8::8]:443'])).toBe('2001:db8::7, 203.0.113.5, 2001:db8::8');
    expect(forwardedFor('garbage, , 999.1.1.1')).toBeUndefined();
    // Through one trusted proxy: the IP the proxy reported, whatever junk surrounds it.
    expect(clientAddress('127.0.0.1', '<script>, 1.2.3.4, not-an-ip', true)).toBe('1.2.3.4');
    expect(clientAddress('127.0.0.1', 'not-an-ip', true)).toBe('127.0.0.1');
    expect(clientAddress('192.0.2.7', '203.0.113.9, unknown', '192.0.2.7')).toBe('203.0.113.9');
    expect(clientAddress('127.0.0.1', 'x, 203.0.113.9, y, 10.0.0.2, z', 2)).toBe('203.0.113.9');
    const headers: Record<string, string | string[] | undefined> = { 'x-forwarded-for': '<script>, 1.2.3.4, not-an-ip' };
    dropInvalidForwardedFor(headers);
    expect(headers['x-forwarded-for']).toBe('1.2.3.4');
    const junk: Record<string, string | string[] | undefined> = { 'x-forwarded-for': 'a, b' };
    dropInvalidForwardedFor(junk);
    expect('x-forwarded-for' in junk).toBe(false);
  });
});
