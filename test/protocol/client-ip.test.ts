/** S28 (unit) — ClientIpResolver: trusted hops from the right, IPv4/IPv6/v4-mapped, CIDRs, garbage. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ClientIpResolver, checkTrustedProxy } from '../../src/server/client-ip.js';

describe('ClientIpResolver', () => {
  test('no trusted proxies: the socket peer, whatever X-Forwarded-For says', () => {
    const r = new ClientIpResolver([]);
    assert.equal(r.resolve('10.0.0.1', '1.2.3.4'), '10.0.0.1');
    assert.equal(r.resolve('::ffff:10.0.0.1', '1.2.3.4'), '10.0.0.1', 'v4-mapped peer unmapped');
    assert.equal(r.resolve('2001:db8::1', undefined), '2001:db8::1');
    assert.equal(r.resolve(undefined, '1.2.3.4'), '');
  });

  test('untrusted peer: X-Forwarded-For ignored even with trusted proxies configured', () => {
    const r = new ClientIpResolver(['10.0.0.0/8']);
    assert.equal(r.resolve('192.0.2.7', '10.1.1.1, 1.2.3.4'), '192.0.2.7');
  });

  test('trusted peer: walk from the right, skip trusted hops, stop at the first untrusted address', () => {
    const r = new ClientIpResolver(['10.0.0.0/8', '192.168.1.5']);
    assert.equal(r.resolve('10.0.0.2', '1.1.1.1'), '1.1.1.1');
    assert.equal(
      r.resolve('10.0.0.2', '6.6.6.6, 1.1.1.1'),
      '1.1.1.1',
      'entries left of the client are not believed',
    );
    assert.equal(r.resolve('10.0.0.2', '6.6.6.6, 1.1.1.1, 192.168.1.5, 10.9.9.9'), '1.1.1.1');
    assert.equal(r.resolve('192.168.1.5', '  1.1.1.1 ,, 10.0.0.3 '), '1.1.1.1', 'spaces and empty entries');
    assert.equal(
      r.resolve('10.0.0.2', ['6.6.6.6, 1.1.1.1', '10.0.0.4']),
      '1.1.1.1',
      'repeated fields, in order',
    );
    assert.equal(r.resolve('10.0.0.2', '10.0.0.3, 10.0.0.4'), '10.0.0.3', 'all trusted: the leftmost');
    assert.equal(r.resolve('10.0.0.2', undefined), '10.0.0.2', 'no header: the peer');
    assert.equal(r.resolve('10.0.0.2', ''), '10.0.0.2');
  });

  test('garbage stops the walk at the last verified address', () => {
    const r = new ClientIpResolver(['10.0.0.0/8']);
    assert.equal(r.resolve('10.0.0.2', '1.1.1.1, garbage'), '10.0.0.2');
    assert.equal(r.resolve('10.0.0.2', 'garbage, 1.1.1.1'), '1.1.1.1');
    assert.equal(r.resolve('10.0.0.2', '1.1.1.1, 10.0.0.3, <script>'), '10.0.0.2');
    assert.equal(
      r.resolve('10.0.0.2', '1.1.1.1, garbage, 10.0.0.3'),
      '10.0.0.3',
      'trusted hop, then garbage',
    );
    // Ports and brackets are not bare addresses; `unknown` and obfuscated tokens (RFC 7239) neither.
    assert.equal(r.resolve('10.0.0.2', '1.1.1.1:443'), '10.0.0.2');
    assert.equal(r.resolve('10.0.0.2', '[2001:db8::1]'), '10.0.0.2');
    assert.equal(r.resolve('10.0.0.2', 'unknown'), '10.0.0.2');
    assert.equal(r.resolve('10.0.0.2', '0x7f000001'), '10.0.0.2');
    assert.equal(r.resolve('10.0.0.2', '01.2.3.4'), '10.0.0.2', 'leading zeros are not an address');
  });

  test('IPv6 and v4-mapped addresses', () => {
    const r = new ClientIpResolver(['2001:db8::/32', '::1', '10.0.0.0/8']);
    assert.equal(r.resolve('::1', '2001:db8::7, 2a00::1'), '2a00::1');
    assert.equal(r.resolve('2001:db8:ffff::1', '2a00::1, 2001:db8::9'), '2a00::1');
    assert.equal(r.resolve('2001:DB8::1', '2a00::1'), '2a00::1', 'upper-case hex');
    assert.equal(r.resolve('::ffff:10.0.0.2', '1.1.1.1'), '1.1.1.1', 'v4-mapped peer matches a v4 CIDR');
    assert.equal(r.resolve('10.0.0.2', '::ffff:1.1.1.1'), '1.1.1.1', 'v4-mapped entry unmapped');
    assert.equal(r.resolve('10.0.0.2', '::FFFF:1.1.1.1'), '1.1.1.1', 'upper-case mapping prefix');
    assert.equal(r.resolve('10.0.0.2', '1.1.1.1, ::ffff:10.0.0.9'), '1.1.1.1', 'mapped trusted hop skipped');
    assert.equal(r.resolve('2001:db9::1', '1.1.1.1'), '2001:db9::1', 'outside the /32');
  });

  test('CIDR boundaries', () => {
    const r = new ClientIpResolver(['192.168.4.0/22']);
    assert.equal(r.resolve('192.168.7.255', '1.1.1.1'), '1.1.1.1');
    assert.equal(r.resolve('192.168.8.0', '1.1.1.1'), '192.168.8.0');
    assert.equal(r.resolve('192.168.3.255', '1.1.1.1'), '192.168.3.255');
    const all = new ClientIpResolver(['0.0.0.0/0']);
    assert.equal(all.resolve('8.8.8.8', '1.1.1.1, 9.9.9.9'), '1.1.1.1', '/0 trusts every v4 hop');
  });

  test('malformed trusted-proxy entries are refused with a message', () => {
    for (const bad of [
      'abc',
      '10.0.0.0/33',
      '2001:db8::/129',
      '10.0.0.0/',
      '10.0.0.0/-1',
      '10.0.0.0/8/9',
      '10.0.0.0/0x8',
      '10.0.0.0/ 8',
      '10.0.0.0/8.5',
      '',
      '256.0.0.1',
    ]) {
      assert.notEqual(checkTrustedProxy(bad), undefined, `"${bad}" accepted`);
      assert.throws(() => new ClientIpResolver([bad]), Error, bad);
    }
    for (const good of ['10.0.0.0/8', '::1', '2001:db8::/32', '127.0.0.1', '0.0.0.0/0']) {
      assert.equal(checkTrustedProxy(good), undefined, good);
    }
  });
});
