// The client matrix's scenario for Node.js libraries, through each library's
// own API:
//
//   node scenario.js <package> <port> [password]
//
// <package> is one of the aliases in package.json (ioredis-v5, ioredis-v6,
// redis-v4, redis-v6). Prints one JSON line, {"ok": true, "resp": 2|3, ...}
// or {"ok": false, "error": ...}, and exits non-zero on failure.
'use strict';

const assert = require('assert/strict');

const [pkg, portText, password] = process.argv.slice(2);
const port = Number(portText);
const host = '127.0.0.1';
const isIoredis = pkg.startsWith('ioredis');
// Issue 15's rate limiter: INCR, EXPIRE NX, return the count.
const RATE_LIMITER =
  "local count = redis.call('incr', KEYS[1]) redis.call('expire', KEYS[1], 60, 'NX') return count";

// ---- A thin adapter over the two APIs ----

async function connect(options = {}) {
  const pass = 'password' in options ? options.password : password;
  if (isIoredis) {
    const Redis = require(pkg);
    const client = new Redis({
      host, port, password: pass, lazyConnect: true, maxRetriesPerRequest: 0,
      enableOfflineQueue: false, retryStrategy: () => null,
      // The ready check (INFO, waiting for loading:0) stays on, except for
      // the client that must see NOAUTH itself.
      enableReadyCheck: !options.noReadyCheck,
    });
    // A failed handshake closes the connection; what the server said
    // arrives as 'error' events.
    const errors = [];
    client.on('error', (error) => errors.push(String(error && error.message)));
    try {
      await client.connect();
    } catch (error) {
      throw new Error([String(error && error.message), ...errors].join('; '));
    }
    return {
      raw: client,
      set: (k, v, ex) => (ex ? client.set(k, v, 'EX', ex) : client.set(k, v)),
      get: (k) => client.get(k),
      mget: (keys) => client.mget(...keys),
      incr: (k) => client.incr(k),
      incrby: (k, n) => client.incrby(k, n),
      expire: (k, s) => client.expire(k, s),
      ttl: (k) => client.ttl(k),
      call: (...args) => client.call(...args),
      // ioredis defineCommand: EVALSHA, and EVAL after NOSCRIPT.
      async rateLimit(key) {
        if (!client.rateLimit) client.defineCommand('rateLimit', { numberOfKeys: 1, lua: RATE_LIMITER });
        return client.rateLimit(key);
      },
      async scan(cursor, match, count) {
        const [next, keys] = await client.scan(cursor, 'MATCH', match, 'COUNT', count);
        return [String(next), keys];
      },
      async pipeline(build) {
        const p = client.pipeline();
        build({ set: (k, v) => p.set(k, v), get: (k) => p.get(k) });
        const results = await p.exec();
        return results.map(([error, value]) => {
          if (error) throw error;
          return value;
        });
      },
      async transaction(build) {
        const m = client.multi();
        build({ set: (k, v) => m.set(k, v), incr: (k) => m.incr(k) });
        const results = await m.exec();
        return results === null ? null : results.map(([error, value]) => {
          if (error) throw error;
          return value;
        });
      },
      watch: (k) => client.watch(k),
      close: () => client.quit(),
    };
  }
  const { createClient, defineScript } = require(pkg);
  // node-redis defineScript: EVALSHA, and EVAL after NOSCRIPT. Version 4
  // builds the arguments with transformArguments, later ones with
  // parseCommand.
  const rateLimit = defineScript({
    NUMBER_OF_KEYS: 1,
    SCRIPT: RATE_LIMITER,
    transformArguments: (key) => [key],
    parseCommand: (parser, key) => parser.pushKey(key),
    transformReply: (reply) => reply,
  });
  const client = createClient({ socket: { host, port, reconnectStrategy: false }, password: pass,
                                scripts: { rateLimit } });
  client.on('error', () => {});
  await client.connect();
  const sendCommand = (args) => client.sendCommand(args.map(String));
  return {
    raw: client,
    set: (k, v, ex) => (ex ? client.set(k, v, { EX: ex }) : client.set(k, v)),
    get: (k) => client.get(k),
    mget: (keys) => client.mGet(keys),
    incr: (k) => client.incr(k),
    incrby: (k, n) => client.incrBy(k, n),
    expire: (k, s) => client.expire(k, s),
    ttl: (k) => client.ttl(k),
    call: (...args) => sendCommand(args),
    rateLimit: (key) => client.rateLimit(key),
    async scan(cursor, match, count) {
      const reply = await client.scan(pkg === 'redis-v4' ? Number(cursor) : String(cursor), { MATCH: match, COUNT: count });
      return [String(reply.cursor), reply.keys];
    },
    async pipeline(build) {
      const m = client.multi();
      build({ set: (k, v) => m.set(k, v), get: (k) => m.get(k) });
      return m.execAsPipeline();
    },
    async transaction(build) {
      const m = client.multi();
      build({ set: (k, v) => m.set(k, v), incr: (k) => m.incr(k) });
      try {
        return await m.exec();
      } catch (error) {
        if (error.constructor && error.constructor.name === 'WatchError') return null;
        throw error;
      }
    },
    watch: (k) => client.watch(k),
    close: () => (client.close ? client.close() : client.quit()),
  };
}

async function expectFailure(promise, pattern) {
  try {
    await promise;
  } catch (error) {
    assert.match(String(error && error.message), pattern);
    return;
  }
  assert.fail('expected an error matching ' + pattern);
}

// ---- The scenario ----

async function scenario() {
  const c = await connect();
  const other = await connect();
  const info = String(await c.call('CLIENT', 'INFO'));
  const resp = Number(/ resp=(\d)/.exec(info)[1]);
  const libName = (/ lib-name=(\S*)/.exec(info) || [])[1] || '';
  await c.call('FLUSHALL');

  assert.equal(await c.set('greeting', 'hello', 100), 'OK');
  const ttl = Number(await c.ttl('greeting'));
  assert.ok(ttl > 0 && ttl <= 100, 'TTL ' + ttl);
  assert.equal(await c.get('greeting'), 'hello');
  assert.deepEqual(await c.mget(['greeting', 'missing']), ['hello', null]);

  // A pipeline: 100 SETs then 100 GETs, replies in order.
  const replies = await c.pipeline((p) => {
    for (let i = 0; i < 100; i++) p.set('pipe:' + i, String(i));
    for (let i = 0; i < 100; i++) p.get('pipe:' + i);
  });
  assert.equal(replies.length, 200);
  for (let i = 0; i < 100; i++) {
    assert.equal(replies[i], 'OK');
    assert.equal(replies[100 + i], String(i));
  }

  // MULTI/EXEC.
  const tx = await c.transaction((m) => { m.incr('tx:counter'); m.incr('tx:counter'); m.set('tx:key', 'v'); });
  assert.deepEqual(tx.map(String), ['1', '2', 'OK']);

  // WATCH conflict: another client changes the key; EXEC aborts.
  await c.set('watched', 'original');
  assert.equal(await c.watch('watched'), 'OK');
  await other.set('watched', 'theirs');
  assert.equal(await c.transaction((m) => m.set('watched', 'mine')), null);
  assert.equal(await c.get('watched'), 'theirs');

  // EXPIRE / TTL.
  await c.set('temp', 'v');
  assert.equal(Number(await c.expire('temp', 100)), 1);
  const tempTtl = Number(await c.ttl('temp'));
  assert.ok(tempTtl > 0 && tempTtl <= 100);
  assert.equal(Number(await c.expire('missing', 10)), 0);

  // INCR.
  assert.equal(Number(await c.incr('counter')), 1);
  assert.equal(Number(await c.incrby('counter', 41)), 42);

  // SCAN over 50 keys on every shard.
  for (let i = 0; i < 50; i++) await c.set('scan:' + i, 'x');
  const seen = new Set();
  let cursor = '0';
  do {
    const [next, keys] = await c.scan(cursor, 'scan:*', 10);
    keys.forEach((k) => seen.add(String(k)));
    cursor = next;
  } while (cursor !== '0');
  assert.equal(seen.size, 50);

  // Scripts: a library helper's script (EVALSHA, falling back to EVAL),
  // then FUNCTION LOAD and FCALL.
  await c.call('SCRIPT', 'FLUSH');
  assert.equal(Number(await c.rateLimit('rl:' + pkg)), 1);
  assert.equal(Number(await c.rateLimit('rl:' + pkg)), 2);
  assert.ok(Number(await c.ttl('rl:' + pkg)) > 0);
  const library = '#!lua name=lib_' + pkg.replace(/-/g, '_') + '\n' +
    "redis.register_function('hello_" + pkg.replace(/-/g, '_') +
    "', function(keys, args) return 'hello ' .. args[1] end)";
  assert.equal(String(await c.call('FUNCTION', 'LOAD', 'REPLACE', library)), 'lib_' + pkg.replace(/-/g, '_'));
  assert.equal(String(await other.call('FCALL', 'hello_' + pkg.replace(/-/g, '_'), '0', 'world')), 'hello world');

  await c.close();
  await other.close();
  return { resp, libName };
}

async function authChecks() {
  // Without the password commands are refused; with a wrong one the
  // handshake fails.
  let refused = false;
  try {
    const anonymous = await connect({ password: undefined, noReadyCheck: true });
    try {
      await anonymous.get('greeting');
    } catch (error) {
      assert.match(String(error.message), /NOAUTH/);
      refused = true;
    }
    anonymous.raw.disconnect ? anonymous.raw.disconnect() : anonymous.raw.destroy?.();
  } catch (error) {
    // Libraries that send HELLO 3 fail the handshake itself.
    assert.match(String(error.message), /NOAUTH/);
    refused = true;
  }
  assert.ok(refused, 'a client without the password was not refused');
  await expectFailure(connect({ password: 'wrong-password' }), /WRONGPASS|invalid username-password/);
}

(async () => {
  try {
    if (password) await authChecks();
    const result = await scenario();
    console.log(JSON.stringify({ ok: true, package: pkg, ...result }));
    process.exit(0);
  } catch (error) {
    console.log(JSON.stringify({ ok: false, package: pkg, error: String(error && error.stack || error) }));
    process.exit(1);
  }
})();
