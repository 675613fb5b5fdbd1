// The lock and rate-limit helpers applications put in front of Redis, from
// the npm registry at the versions pinned in package-lock.json, through
// their own APIs:
//
//   node helpers.js <port> [password]
//
// * rate-limiter-flexible's RateLimiterRedis, on ioredis (its Lua script,
//   loaded with defineCommand) and on node-redis (EVAL): the points of a
//   window are granted, the next consume is refused with the time left, and
//   another key has its own points.
// * redlock (its compare-and-delete and compare-and-extend scripts, EVALSHA
//   then EVAL), on ioredis: a lock excludes a second one, extends, and once
//   released can be taken again.
//
// Prints one JSON line, {"ok": true, ...} or {"ok": false, "error": ...},
// and exits non-zero on failure.
'use strict';

const assert = require('assert/strict');

const [portText, password] = process.argv.slice(2);
const port = Number(portText);
const host = '127.0.0.1';

async function rateLimiter(storeClient, useRedisPackage, prefix) {
  const { RateLimiterRedis } = require('rate-limiter-flexible');
  const limiter = new RateLimiterRedis({
    storeClient, useRedisPackage, keyPrefix: prefix, points: 5, duration: 10,
  });
  for (let i = 1; i <= 5; i++) {
    const res = await limiter.consume('user-1');
    assert.equal(res.remainingPoints, 5 - i);
    assert.equal(res.consumedPoints, i);
  }
  let refused = null;
  try {
    await limiter.consume('user-1');
  } catch (res) {
    refused = res;
  }
  assert.ok(refused && !(refused instanceof Error), 'the sixth consume is refused: ' + refused);
  assert.equal(refused.remainingPoints, 0);
  assert.ok(refused.msBeforeNext > 0 && refused.msBeforeNext <= 10000, String(refused.msBeforeNext));
  const other = await limiter.consume('user-2', 2);
  assert.equal(other.remainingPoints, 3);
  // The window's key carries the window's TTL.
  const stored = await limiter.get('user-1');
  assert.equal(stored.consumedPoints, 6);
  return refused.msBeforeNext;
}

async function redlock(client) {
  const Redlock = require('redlock');
  const locks = new Redlock([client], { retryCount: 0, driftFactor: 0.01 });
  const first = await locks.lock('locks:order-42', 2000);
  let second = null;
  try {
    second = await locks.lock('locks:order-42', 2000);
  } catch (error) {
    assert.equal(error.name, 'LockError');
  }
  assert.equal(second, null, 'a held lock excludes another');
  const value = await client.get('locks:order-42');
  assert.equal(value, first.value);
  const extended = await first.extend(5000);
  const ttl = await client.pttl('locks:order-42');
  assert.ok(ttl > 2000 && ttl <= 5000, 'extend sets the new TTL: ' + ttl);
  await extended.unlock();
  assert.equal(await client.exists('locks:order-42'), 0);
  const again = await locks.lock('locks:order-42', 2000);
  // Releasing a lock someone else holds now leaves theirs alone.
  await client.set('locks:order-42', 'someone-else', 'PX', 2000);
  let failed = false;
  try {
    await again.unlock();
  } catch (error) {
    failed = true;
  }
  assert.ok(failed, 'unlocking a lock that changed hands fails');
  assert.equal(await client.get('locks:order-42'), 'someone-else');
}

async function main() {
  const IORedis = require('ioredis-v5');
  const io = new IORedis({ host, port, password, maxRetriesPerRequest: 0 });
  const { createClient } = require('redis-v4');
  const nodeRedis = createClient({ socket: { host, port }, password });
  await nodeRedis.connect();
  try {
    await io.flushall();
    const report = {
      ok: true,
      rateLimiterIoredisMsBeforeNext: await rateLimiter(io, false, 'rl-io'),
      rateLimiterNodeRedisMsBeforeNext: await rateLimiter(nodeRedis, true, 'rl-nr'),
    };
    await redlock(io);
    report.redlock = 'ok';
    console.log(JSON.stringify(report));
  } finally {
    io.disconnect();
    await nodeRedis.quit();
  }
}

main().catch((error) => {
  console.log(JSON.stringify({ ok: false, error: String((error && error.stack) || error) }));
  process.exit(1);
});
