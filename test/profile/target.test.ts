/** The one target parser (profile/target.ts): hosts for files and flags, and the emulator forms. */
import { describe, expect, it } from 'vitest';
import { parseHosts, parseTarget } from '../../src/profile/target.js';

describe('parseTarget', () => {
  it('sim, sim:<loopback> and hosts are a discriminated union', () => {
    expect(parseTarget('sim')).toEqual({ ok: true, value: { kind: 'sim' } });
    expect(parseTarget('sim:127.0.3.1')).toEqual({ ok: true, value: { kind: 'sim', host: '127.0.3.1' } });
    expect(parseTarget('10.0.0.1,[::1]:9043,db:19042')).toEqual({
      ok: true, value: { kind: 'hosts', hosts: [{ host: '10.0.0.1', port: 9042 }, { host: '::1', port: 9043 }, { host: 'db', port: 19042 }] },
    });
  });

  it('refuses what is not a target, quoting it safely', () => {
    expect(parseTarget('sim:10.0.0.1')).toMatchObject({ ok: false, message: expect.stringMatching(/loopback only/) });
    expect(parseTarget('sim:127.0.0.300')).toMatchObject({ ok: false });
    expect(parseHosts('')).toMatchObject({ ok: false, message: expect.stringMatching(/empty value/) });
    expect(parseHosts('h:0')).toMatchObject({ ok: false, message: expect.stringMatching(/invalid port in 'h:0'/) });
    expect(parseHosts('h:1e3')).toMatchObject({ ok: false });
    expect(parseHosts('\u001b[2J')).toEqual({ ok: false, message: "invalid host in '\\x1b[2J'" });
  });
});
